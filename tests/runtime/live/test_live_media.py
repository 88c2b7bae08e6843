"""What the GPT-Live player reports to the core (hypothesis): any mix of speech and silence
chunks, read by the speaker in any block sizes, with flushes in between: ``played_ms`` never
decreases and equals what the speaker took off the buffer (padding excluded), "speaking" is
only ever on after speech was read, and the ``local.playback.*`` events alternate."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from voicechat.audio.playback import RATE, PlaybackBuffer
from voicechat.core.live import PlaybackProgress
from voicechat.runtime.fanout import EventFanout
from voicechat.runtime.live.media import AUDIBLE_HOLD_S, LiveAudioIn, LivePlaybackMonitor

Step = tuple[str, int]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


steps = st.lists(st.one_of(
    st.tuples(st.just("speech"), st.integers(1, 4800)),
    st.tuples(st.just("silence"), st.integers(1, 4800)),
    st.tuples(st.just("read"), st.integers(1, 9600)),
    st.tuples(st.just("flush"), st.just(0)),
    st.tuples(st.just("wait"), st.integers(1, 1000)),
), max_size=60)


@settings(max_examples=150, deadline=None)
@given(steps)
def test_reports_follow_what_was_really_played(script: list[Step]) -> None:
    clock = Clock()
    events = EventFanout(clock)
    seen: list[dict[str, Any]] = []
    events.subscribe(lambda r: seen.append(r.event))
    buffer = PlaybackBuffer()
    audio_in = LiveAudioIn(buffer)
    reports: list[PlaybackProgress] = []
    monitor = LivePlaybackMonitor(buffer, reports.append, events, clock)
    taken = queued = 0  # samples
    spoke = False
    for kind, n in script:
        if kind == "speech":
            audio_in.take(np.full(n, 3000, dtype=np.int16), None)
            queued += n
        elif kind == "silence":
            audio_in.take(np.zeros(n, dtype=np.int16), None)
            queued += n
        elif kind == "read":
            out = buffer.read(n)
            assert out.size == n  # zero-padded when the queue runs dry
            taken += min(n, queued)
            queued -= min(n, queued)
        elif kind == "flush":
            assert buffer.flush() == queued
            queued = 0
        else:
            clock.now += n / 1000
        monitor.poll()
        snap = buffer.snapshot()
        spoke = spoke or (snap.playing and snap.item_id == "live:speech")
        assert not monitor.speaking or spoke
    played = [r.played_ms for r in reports]
    assert played == sorted(played)
    total = buffer.played_ms("live:speech") + buffer.played_ms("live:silence")
    assert not reports or reports[-1].played_ms == total
    assert total <= taken * 1000 // RATE  # padding is never counted as played
    assert total >= taken * 1000 // RATE - 2  # (each of the two tags rounds down)
    marks = [e["type"] for e in seen if e["type"].startswith("local.playback.")]
    assert all(a != b for a, b in pairwise(marks))
    assert not marks or marks[0] == "local.playback.started"


def test_speaking_is_held_across_a_short_gap_and_ends_after_it() -> None:
    clock = Clock()
    buffer = PlaybackBuffer()
    audio_in = LiveAudioIn(buffer)
    monitor = LivePlaybackMonitor(buffer, lambda _r: None, EventFanout(clock), clock)
    audio_in.take(np.full(960, 3000, dtype=np.int16), None)
    audio_in.take(np.zeros(48000, dtype=np.int16), None)
    buffer.read(960)
    monitor.poll()
    assert monitor.speaking
    buffer.read(4800)  # 100 ms of the server's silence: a gap between words
    clock.now += 0.1
    monitor.poll()
    assert monitor.speaking
    buffer.read(48000 - 4800)
    clock.now += AUDIBLE_HOLD_S + 0.1
    monitor.poll()
    assert not monitor.speaking
