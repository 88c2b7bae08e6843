"""The event fan-out: one redacted record per event, to every subscriber that keeps working."""

from __future__ import annotations

from voicechat.eventlog.record import LogRecord
from voicechat.runtime.fanout import EventFanout


def test_records_are_redacted_timed_and_reach_every_subscriber() -> None:
    now = [10.0]
    fanout = EventFanout(lambda: now[0])
    first: list[LogRecord] = []
    second: list[LogRecord] = []
    fanout.subscribe(first.append)
    unsubscribe = fanout.subscribe(second.append)
    now[0] = 11.5
    fanout.emit("out", {"type": "input_audio_buffer.append", "audio": "AAAA" * 100})
    unsubscribe()
    fanout.notice("info", "hello")
    assert [r.event["type"] for r in first] == ["input_audio_buffer.append", "local.notice"]
    assert len(second) == 1
    record = first[0]
    assert record.t == 1.5 and record.dir == "out"
    assert record.event["audio"] != "AAAA" * 100  # the payload is not logged as is


def test_a_failing_subscriber_is_dropped_and_the_others_keep_receiving() -> None:
    fanout = EventFanout(lambda: 0.0)
    kept: list[LogRecord] = []

    def broken(record: LogRecord) -> None:
        raise BrokenPipeError("stdout went away")

    fanout.subscribe(broken)
    fanout.subscribe(kept.append)
    fanout.local({"type": "local.key", "action": "cancel"})
    fanout.local({"type": "local.key", "action": "cancel"})
    assert len(kept) == 2
    assert len(fanout.failures) == 1 and "stdout went away" in fanout.failures[0]


def test_a_record_emitted_by_a_subscriber_reaches_everyone_after_the_one_it_answers() -> None:
    """The turn timing emits ``local.turn.latency`` from inside the fan-out, on the record
    that completed the turn: every subscriber, earlier or later in the list, must see that
    record first and the figure right after it (the recorder writes them in that order)."""
    fanout = EventFanout(clock=lambda: 0.0)
    first: list[str] = []
    last: list[str] = []

    def answering(record: LogRecord) -> None:
        first.append(record.event["type"])
        if record.event["type"] == "response.done":
            fanout.local({"type": "local.turn.latency"})

    fanout.subscribe(answering)
    fanout.subscribe(lambda record: last.append(record.event["type"]))
    fanout.emit("in", {"type": "response.done"})
    fanout.emit("in", {"type": "session.updated"})
    order = ["response.done", "local.turn.latency", "session.updated"]
    assert first == order and last == order
