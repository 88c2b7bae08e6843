"""VAD segments: opened by speech_started, closed by the matching stop, short ones marked."""

from __future__ import annotations

from tests.core.harness import Harness
from voicechat.core.segments import VadSegments
from voicechat.protocol.session_audio import SHORT_SPEECH_SEGMENT_MS


def test_vad_segments_mark_short_speech() -> None:
    h = Harness()  # the default: SHORT_SPEECH_SEGMENT_MS
    h.start()
    h.ev("input_audio_buffer.speech_started", audio_start_ms=1000, item_id="item_1")
    h.advance(0.3)
    h.ev("input_audio_buffer.speech_stopped", audio_end_ms=1300, item_id="item_1")
    h.ev("input_audio_buffer.speech_started", audio_start_ms=2000, item_id="item_2")
    h.ev("input_audio_buffer.speech_stopped", audio_end_ms=3500, item_id="item_2")
    short, ok = h.view.vad_segments
    assert (short.start_audio_ms, short.end_audio_ms, short.too_short) == (1000, 1300, True)
    assert (short.started_at, short.ended_at) == (0.0, 0.3)
    assert ok.too_short is False


def test_stray_speech_stopped_still_records_a_segment() -> None:
    h = Harness()
    h.start()
    h.ev("input_audio_buffer.speech_stopped", audio_end_ms=500, item_id="item_9")
    [segment] = h.view.vad_segments
    assert segment.end_audio_ms == 500 and segment.start_audio_ms is None


def test_the_session_uses_the_protocol_short_segment_threshold() -> None:
    h = Harness()
    h.start()
    for n, length in enumerate([SHORT_SPEECH_SEGMENT_MS - 1, SHORT_SPEECH_SEGMENT_MS]):
        h.ev("input_audio_buffer.speech_started", audio_start_ms=n * 5000, item_id=f"u{n}")
        h.ev("input_audio_buffer.speech_stopped", audio_end_ms=n * 5000 + length, item_id=f"u{n}")
    assert [s.too_short for s in h.view.vad_segments] == [True, False]


# --- the part on its own ------------------------------------------------------------------------


def test_stop_closes_the_segment_of_its_item_and_returns_the_audio_length() -> None:
    segments = VadSegments(short_ms=500)
    segments.started(1.0, "u1", 1000)
    segments.started(2.0, "u2", 3000)
    assert segments.stopped(2.5, "u1", 1450) == 450  # not the newest: found by item
    first, second = segments.segments
    assert (first.ended_at, first.end_audio_ms, first.too_short) == (2.5, 1450, True)
    assert second.ended_at is None
    assert segments.stopped(4.0, None, 4000) == 1000  # no item id: the newest open one
    assert segments.segments[1].too_short is False


def test_unmeasured_stop_is_recorded_but_has_no_length() -> None:
    segments = VadSegments(short_ms=500)
    segments.started(1.0, "u1", None)
    assert segments.stopped(2.0, "u1", 1500) is None
    assert segments.segments[0].too_short is False
    assert segments.stopped(3.0, "u1", 2500) is None  # nothing open: a stray stop of its own
    stray = segments.segments[1]
    assert (stray.start_audio_ms, stray.started_at, stray.ended_at) == (None, 3.0, 3.0)


def test_a_stop_looks_back_only_a_few_segments() -> None:
    segments = VadSegments(short_ms=500)
    segments.started(0.0, "old", 0)
    for n in range(7):
        segments.started(1.0 + n, f"u{n}", 1000 * n)
        segments.stopped(1.5 + n, f"u{n}", 1000 * n + 600)
    assert segments.stopped(9.0, "old", 9000) is None  # too far back: recorded as stray
    assert segments.segments[0].ended_at is None


def test_barge_in_marks_only_an_open_newest_segment() -> None:
    segments = VadSegments(short_ms=500)
    segments.mark_barge_in()  # nothing yet: nothing to mark
    segments.started(1.0, "u1", 1000)
    segments.mark_barge_in()
    assert segments.segments[-1].barge_in
    segments.stopped(2.0, "u1", 2000)
    segments.started(3.0, "u2", 3000)
    segments.stopped(4.0, "u2", 4000)
    segments.mark_barge_in()
    assert [s.barge_in for s in segments.segments] == [True, False]


def test_history_is_bounded_and_its_tuple_reused() -> None:
    segments = VadSegments(short_ms=500, limit=2)
    for n in range(3):
        segments.started(float(n), f"u{n}", n * 1000)
    assert [s.item_id for s in segments.segments] == ["u1", "u2"]
    assert segments.segments is segments.segments
