"""The WebRTC output buffer's lifecycle when one answer's audio waits behind another's.

A short sound over an answer that the client does not take as a barge-in still ends a turn, and
the server answers it: that answer's audio is queued behind the one playing. Found by CI
(``tests/audio/test_aec_barge_in.py``): the server announced the queued answer at once, the
client took it for the one playing, and its barge-in truncated an answer nobody had heard yet.
``output_audio_buffer.started`` now goes out when a response's audio begins streaming.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from voicechat.rtc import tracks
from voicechat.rtc.tracks import FRAME_SAMPLES, PacedAudioTrack
from voicechat.server.audio_out import TrackSink

FMT = {"type": "audio/pcm", "rate": 24000}
_yield = asyncio.sleep  # the real one: the fixture makes the track's sleeps return at once


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class RecordingEncoder:
    def encode(self, mono: np.ndarray, pts: int) -> tuple[np.ndarray, int]:
        return mono.copy(), pts


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> tuple[TrackSink, list[dict[str, Any]]]:
    async def no_sleep(_delay: float) -> None:
        return None

    monkeypatch.setattr(tracks.asyncio, "sleep", no_sleep)  # the track's pacing: frames at once
    events: list[dict[str, Any]] = []
    track = PacedAudioTrack(clock=Clock(), encoder=RecordingEncoder())
    return TrackSink(events.append, track), events


def ms_of_audio(ms: int, level: int = 1000) -> np.ndarray:
    return np.full(24 * ms, level, np.int16)  # 24 kHz


def lifecycle(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["type"].rsplit(".", 1)[1], e["response_id"]) for e in events]


async def settle() -> None:
    for _ in range(5):
        await _yield(0)  # the sink's watcher tasks run


async def send_frames(track: PacedAudioTrack, n: int) -> None:
    for _ in range(n):
        await track.recv()
    await settle()


async def answer(out: TrackSink, n: int, ms: int, *, finished: bool = True) -> None:
    """Answer ``resp_n`` writes ``ms`` of audio for ``item_n``; ``finished``: nothing follows."""
    await out.write(f"resp_{n}", f"item_{n}", ms_of_audio(ms), FMT)
    if finished:
        out.response_finished(f"resp_{n}")


async def test_a_queued_answer_is_announced_when_its_audio_begins_streaming(
    sink: tuple[TrackSink, list[dict[str, Any]]],
) -> None:
    out, events = sink
    await answer(out, 1, 100)
    await send_frames(out.track, 2)
    await answer(out, 2, 60)  # queued behind 60 ms of resp_1
    await settle()
    assert lifecycle(events) == [("started", "resp_1")]
    assert out.is_playing

    await send_frames(out.track, 3)  # resp_1 drains: it stops, then resp_2 starts
    assert lifecycle(events) == [("started", "resp_1"), ("stopped", "resp_1"),
                                 ("started", "resp_2")]
    await send_frames(out.track, 3)
    assert lifecycle(events)[-1] == ("stopped", "resp_2")
    assert not out.is_playing
    assert out.played_ms("item_1") == 100 and out.played_ms("item_2") == 60


async def test_a_clear_cuts_the_answer_being_heard_not_the_one_queued_behind_it(
    sink: tuple[TrackSink, list[dict[str, Any]]],
) -> None:
    out, events = sink
    await answer(out, 1, 200)
    await answer(out, 2, 200, finished=False)
    await send_frames(out.track, 3)  # 60 ms of resp_1 heard

    cut = out.clear()
    assert (cut.response_id, cut.item_id, cut.played_ms) == ("resp_1", "item_1", 60)
    assert out.played_ms("item_2") == 0
    await send_frames(out.track, 2)  # silence now; the queued answer is never announced
    assert lifecycle(events) == [("started", "resp_1")]
    assert not out.is_playing


async def test_an_answer_with_nothing_ahead_is_announced_at_once(
    sink: tuple[TrackSink, list[dict[str, Any]]],
) -> None:
    out, events = sink
    await answer(out, 1, 40)
    await send_frames(out.track, 2)
    assert lifecycle(events) == [("started", "resp_1"), ("stopped", "resp_1")]
    await answer(out, 2, 40, finished=False)  # the buffer had drained
    assert lifecycle(events)[-1] == ("started", "resp_2")
    assert out.track.played_total == 2 * FRAME_SAMPLES


async def test_only_recent_items_keep_their_spans(
    sink: tuple[TrackSink, list[dict[str, Any]]],
) -> None:
    out, _ = sink
    for n in range(TrackSink.KEPT_ITEMS + 3):
        await answer(out, n, 20, finished=False)
    assert out.played_ms("item_0") is None  # forgotten: memory stays bounded
    assert out.played_ms(f"item_{TrackSink.KEPT_ITEMS + 2}") == 0


async def test_a_stop_is_not_lost_when_the_next_answer_is_written_before_its_watcher_runs(
    sink: tuple[TrackSink, list[dict[str, Any]]],
) -> None:
    out, events = sink
    await answer(out, 1, 40)
    for _ in range(2):
        await out.track.recv()  # resp_1 all sent; its stop watcher has not run yet
    await answer(out, 2, 40, finished=False)
    await settle()
    assert sorted(lifecycle(events)) == [("started", "resp_1"), ("started", "resp_2"),
                                         ("stopped", "resp_1")]
    assert out.is_playing  # resp_2's audio is the one in the buffer


async def test_after_a_clear_the_next_answer_is_the_one_a_second_clear_cuts(
    sink: tuple[TrackSink, list[dict[str, Any]]],
) -> None:
    # a clear drops the unsent rest of an item: its span must end where its audio stopped, or
    # it would still look audible while the next answer plays
    out, _ = sink
    await answer(out, 1, 400, finished=False)
    await send_frames(out.track, 2)
    first = out.clear()
    assert (first.item_id, first.played_ms) == ("item_1", 40)
    await answer(out, 2, 200, finished=False)
    await send_frames(out.track, 3)
    second = out.clear()
    assert (second.response_id, second.item_id, second.played_ms) == ("resp_2", "item_2", 60)
    assert out.played_ms("item_1") == 40
