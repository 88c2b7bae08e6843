"""Media: which model audio reaches the speaker, and what the speaker reports back to the core."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.runtime.fakes import Parts
from tests.runtime.test_driver import response_playing
from voicechat.audio.files import FRAME, WavFileSource, write_wav
from voicechat.audio.meter import LevelMeter
from voicechat.audio.playback import PlaybackBuffer
from voicechat.core import CancelRequested, SendText
from voicechat.runtime.media import RTC_DISCARD_S, MicPump, PlaybackMonitor, RtcGate

LOUD = np.full(960, 3000, dtype=np.int16)
HISS = np.full(960, 8, dtype=np.int16)


async def gate() -> tuple[Parts, PlaybackBuffer, RtcGate]:
    parts = Parts()
    await parts.link.connect()
    playback = PlaybackBuffer()
    return parts, playback, RtcGate(parts.driver, playback, parts.clock)


async def test_tagged_audio_always_plays_under_its_item() -> None:
    _, playback, rtc = await gate()
    rtc.take(HISS, "item_ws")
    assert playback.snapshot().queued_ms == 20
    assert playback.queued_ms == 20


async def test_rtp_outside_the_servers_playing_window_plays_only_when_audible() -> None:
    _, playback, rtc = await gate()
    rtc.take(HISS, None)  # comfort noise between answers
    assert playback.queued_ms == 0
    rtc.take(LOUD, None)  # the jitter buffer's tail of an answer
    assert playback.queued_ms == 20


async def test_rtp_in_the_playing_window_plays_under_the_assistant_item_pauses_included() -> None:
    parts, playback, rtc = await gate()
    response_playing(parts)
    assert parts.driver.view.server_playing
    rtc.take(HISS, None)
    rtc.take(LOUD, None)
    assert playback.queued_ms == 40
    playback.read(960)
    assert playback.played_ms("item_a1") == 20


async def test_rtp_plays_under_the_item_the_server_streams_while_a_newer_response_waits() -> None:
    # resp_2 is created while resp_1's audio still streams (a typed turn during the answer):
    # what arrives until resp_1's buffer stops is resp_1's, or a barge-in would truncate
    # item_a2 by item_a1's playing time (the server refuses: "already shorter than")
    parts, playback, rtc = await gate()
    response_playing(parts)
    parts.server_event({"type": "response.content_part.added", "response_id": "resp_1",
                        "item_id": "item_a1", "output_index": 0, "content_index": 0,
                        "part": {"type": "audio", "transcript": ""}})
    parts.server_event({"type": "response.created",
                        "response": {"id": "resp_2", "status": "in_progress", "output": []}})
    parts.server_event({"type": "response.output_item.added", "response_id": "resp_2",
                        "output_index": 0, "item": {"id": "item_a2", "type": "message",
                                                    "role": "assistant", "content": []}})
    parts.server_event({"type": "response.content_part.added", "response_id": "resp_2",
                        "item_id": "item_a2", "output_index": 0, "content_index": 0,
                        "part": {"type": "audio", "transcript": ""}})
    rtc.take(LOUD, None)
    playback.read(960)
    assert playback.played_ms("item_a1") == 20
    assert playback.played_ms("item_a2") == 0
    parts.server_event({"type": "output_audio_buffer.stopped", "response_id": "resp_1"})
    parts.server_event({"type": "output_audio_buffer.started", "response_id": "resp_2"})
    rtc.take(LOUD, None)
    playback.read(960)
    assert playback.played_ms("item_a2") == 20


async def test_after_a_flush_the_cut_answers_backlog_is_dropped_for_a_moment() -> None:
    parts, playback, rtc = await gate()
    rtc.take(LOUD, None)
    assert rtc.flush() == 960
    rtc.take(LOUD, None)
    assert playback.queued_ms == 0
    parts.clock.now += RTC_DISCARD_S + 0.01
    rtc.take(LOUD, None)
    assert playback.queued_ms == 20


def new_answer(parts: Parts, rid: str, item: str) -> None:
    parts.server_event({"type": "response.created",
                        "response": {"id": rid, "status": "in_progress", "output": []}})
    parts.server_event({"type": "response.output_item.added", "response_id": rid,
                        "output_index": 0, "item": {"id": item, "type": "message",
                                                    "role": "assistant", "content": []}})


async def test_a_cut_answers_late_rtp_never_plays_again_a_new_answers_does() -> None:
    """A test run on a loaded machine: the client cut an answer, and 200 ms later its late
    RTP audio (the jitter buffer's backlog) started playback again. Whatever arrives of a cut
    answer, however late, is dropped; the next answer plays."""
    parts, playback, rtc = await gate()
    response_playing(parts)
    rtc.take(LOUD, None)
    parts.driver.user("cancel", CancelRequested())
    rtc.flush()
    for late_s in (0.05, RTC_DISCARD_S + 0.01, 1.0, 3.0):
        parts.clock.now += late_s
        rtc.take(LOUD, None)
    assert playback.queued_ms == 0
    # the server's output buffer starting the cut answer after all (it crossed the clear)
    # neither plays nor counts as playing: it is cleared again
    parts.server_event({"type": "output_audio_buffer.started", "response_id": "resp_1"})
    assert not parts.driver.view.playing
    assert parts.server.last.sent[-1]["type"] == "output_audio_buffer.clear"
    rtc.take(LOUD, None)
    assert playback.queued_ms == 0
    new_answer(parts, "resp_2", "item_a2")
    rtc.take(LOUD, None)  # the new answer's first frame, before its buffer's started
    parts.server_event({"type": "output_audio_buffer.started", "response_id": "resp_2"})
    rtc.take(HISS, None)
    assert playback.queued_ms == 40
    assert playback.snapshot().item_id == "item_a2"


async def test_a_cut_answers_late_deltas_never_play_the_next_answers_do() -> None:
    """WebSocket: deltas of the cut item that crossed the cancel are dropped by their item."""
    parts, playback, rtc = await gate()
    response_playing(parts)
    parts.driver.user("cancel", CancelRequested())
    rtc.flush()
    parts.clock.now += 1.0
    rtc.take(LOUD, "item_a1")
    assert playback.queued_ms == 0
    new_answer(parts, "resp_2", "item_a2")
    rtc.take(LOUD, "item_a2")
    assert playback.queued_ms == 20


async def test_an_answer_cancelled_before_it_was_created_never_plays() -> None:
    """The cancel key while a create is unanswered: the response is cancelled when its
    ``response.created`` comes, and what arrives of it is dropped like a cut answer's."""
    parts, playback, rtc = await gate()
    parts.driver.user("text", SendText("hello"))
    parts.driver.user("cancel", CancelRequested())
    new_answer(parts, "resp_1", "item_a1")
    cancel = parts.server.last.sent[-1]
    assert (cancel["type"], cancel["response_id"]) == ("response.cancel", "resp_1")
    parts.clock.now += 1.0
    rtc.take(LOUD, None)
    rtc.take(LOUD, "item_a1")
    assert playback.queued_ms == 0


async def test_the_monitor_reports_start_progress_and_drain() -> None:
    parts, playback, rtc = await gate()
    monitor = PlaybackMonitor(playback, parts.driver, parts.events, parts.clock)
    response_playing(parts)
    for _ in range(10):
        rtc.take(LOUD, None)
    playback.read(960)
    monitor.poll()
    assert "local.playback.started" in parts.kinds("local")
    parts.clock.now += 1.0
    playback.read(960 * 9)
    monitor.poll()
    playback.read(960)  # nothing left: the speaker went quiet
    monitor.poll()
    assert parts.kinds("local")[-1] == "local.playback.drained"
    # the speaker is done but the server still streams: playback goes on until both ended
    assert parts.driver.view.playing
    parts.server_event({"type": "output_audio_buffer.stopped", "response_id": "resp_1"})
    assert not parts.driver.view.playing
    assert parts.driver.view.playback_spans[-1].end_reason == "stopped"


async def test_the_pump_takes_what_the_link_batches_per_wakeup_and_single_frames_otherwise(
    tmp_path: Path,
) -> None:
    """Over a link that sends every 5 frames (the WebSocket's appends) the mic hands over up to
    the frame that completes the next send in one wake-up, and every frame still goes out, in
    order; frame by frame while a response is under way or plays, or the link is down."""
    parts = Parts()
    await parts.link.connect()
    parts.server.last.frames_per_send = 5
    path = tmp_path / "mic.wav"
    write_wav(path, np.repeat(np.arange(1, 14, dtype=np.int16) * 100, FRAME))  # 13 frames
    source = WavFileSource(path)
    pump = MicPump(source, parts.driver, parts.link, parts.events, LevelMeter())
    assert pump.per_wakeup() == 5
    asked = []
    frames = source.frames

    async def watched():  # type: ignore[no-untyped-def]
        async for frame in frames():
            yield frame
            asked.append(source.frames_per_wakeup)

    source.frames = watched  # type: ignore[method-assign]
    await pump.run()
    sent = parts.server.last.mic
    assert [int(f[0]) // 100 for f in sent[:13]] == list(range(1, 14))
    # then the room's silence after the last word (a file mic stands for a person): a second
    tail = sent[13:]
    assert len(tail) >= 45 and not any(frame.any() for frame in tail)
    assert asked[:13] == [4, 3, 2, 1, 5, 4, 3, 2, 1, 5, 4, 3, 2]  # each batch ends on a send
    parts.server_event({"type": "response.created",
                        "response": {"id": "resp_0", "status": "in_progress", "output": []}})
    assert parts.driver.view.mic_open and pump.per_wakeup() == 1
    response_playing(parts)
    assert pump.per_wakeup() == 1
    idle = Parts()
    assert MicPump(source, idle.driver, idle.link, idle.events, LevelMeter()).per_wakeup() == 1
