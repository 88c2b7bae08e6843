"""A text log's own timeline: the newest timestamp among its last lines that hold no event.

``ReadStats.last_line_t`` is how the doctor knows a session stayed open after its last event
(issue 27, the seed's case); it is read once at the end, from a few kept lines.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from voicechat.eventlog.reader import read_entries
from voicechat.eventlog.stats import ReadStats

EVENT = '{"type": "output_audio_buffer.stopped", "response_id": "resp_1"}'


def timeline(path: Path, text: str) -> tuple[list[float | None], float | None]:
    path.write_text(text)
    stats = ReadStats()
    times = [entry.t for entry in read_entries(path, stats)]
    return times, stats.last_line_t


def test_app_lines_after_the_last_event_extend_the_timeline(tmp_path: Path) -> None:
    text = (f"[2026-11-21 10:00:01.000] D/Rtc: onMessage: {EVENT}\n"
            "[2026-11-21 10:00:30.500] D/AudioRecord: mic muted, 0 frames sent\n"
            "[2026-11-21 10:00:51.250] E/Peer: connection FAILED 2026-12-01T00:00:00Z\n"
            "   at com.example.Peer.onFailure(Peer.kt:40)\n"
            "\n")
    times, end = timeline(tmp_path / "a.log", text)
    assert times == [0.0]
    # the newest stamped line wins over the untimed stack line after it; the date inside its
    # message does not displace the line's own stamp
    assert end == 50.25


def test_no_timeline_without_stamped_events_or_stamped_lines(tmp_path: Path) -> None:
    _, end = timeline(tmp_path / "b.log", f"D/Rtc: {EVENT}\n[10:00:05.000] app line\n")
    assert end is None  # the events have no time to relate it to
    _, end = timeline(tmp_path / "c.log", f"[10:00:01.000] D/Rtc: {EVENT}\nno stamp here\n")
    assert end is None
    _, end = timeline(tmp_path / "d.jsonl", EVENT + "\n" + EVENT + "\n")
    assert end is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 59)), min_size=1, max_size=30))
def test_the_timeline_is_the_newest_stamp_of_the_trailing_app_lines(
        lines: list[tuple[bool, int]]) -> None:
    """Whatever the mix of event and app lines (seconds rising), the value is the last app
    line's second, relative to the first event's."""
    import tempfile

    rows, second = [], 0
    first_event: int | None = None
    app_seconds: list[int] = []
    for is_event, step in lines:
        second += step
        stamp = f"[2026-11-21 {10 + second // 3600:02d}:{second // 60 % 60:02d}:" \
                f"{second % 60:02d}.000]"
        if is_event:
            first_event = second if first_event is None else first_event
            rows.append(f"{stamp} D/Rtc: {EVENT}")
        else:
            rows.append(f"{stamp} I/App: working")
            app_seconds.append(second)
    with tempfile.TemporaryDirectory() as folder:
        _, end = timeline(Path(folder) / "g.log", "\n".join(rows) + "\n")
    if first_event is None or not app_seconds:
        assert end is None
    else:
        assert end == app_seconds[-1] - first_event
