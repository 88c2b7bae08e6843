"""``voicechat replay LOG [--speed X] [--no-ui]``: play a recorded session back.

Reads any format the doctor reads (ours, JSON arrays, JSONL of events, text logs), lazily.
Events without times (many foreign logs) are paced evenly, :data:`EVEN_STEP_S` apart (as
:class:`~voicechat.eventlog.summarizer.PacedRecord`, so no tool durations are made up from
those times). ``--no-ui`` prints a run of a call's argument deltas as one line that counts them
(the ``.done`` line after it has the whole arguments). Exit 0 after a replay, 2 when the log
cannot be read or has no events or the speed is not positive.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from voicechat.eventlog.reader import LogReadError, ReadStats, read_entries
from voicechat.eventlog.record import LogRecord
from voicechat.eventlog.summarizer import PacedRecord, Summarizer
from voicechat.eventlog.summary import arrow, format_time
from voicechat.protocol.text import printable

EVEN_STEP_S = 0.25
MAX_GAP_S = 3.0


def records_from_log(path: Path, stats: ReadStats | None = None) -> Iterator[LogRecord]:
    """Every event of ``path`` as a :class:`LogRecord`, with even pacing where times are absent."""
    for entry in read_entries(path, stats):
        if entry.t is not None:
            yield LogRecord(t=entry.t, ts=entry.ts or "", dir=entry.dir, event=entry.event)
        else:
            yield PacedRecord(t=entry.index * EVEN_STEP_S, ts=entry.ts or "", dir=entry.dir,
                              event=entry.event)


def run(log: Path, *, speed: float, no_ui: bool) -> int:
    if not speed > 0:
        print(f"voicechat replay: --speed must be above 0 (got {speed}); 2 plays twice as fast.",
              file=sys.stderr)
        return 2
    stats = ReadStats()
    records = records_from_log(log, stats)
    try:
        first = next(records, None)
    except LogReadError as exc:
        print(f"voicechat replay: {exc}", file=sys.stderr)
        return 2
    if first is None:
        print(f"voicechat replay: {log}: no Realtime events found in {stats.lines} lines.",
              file=sys.stderr)
        return 2
    stream = itertools.chain([first], records)
    if no_ui:
        try:
            return _print_lines(stream, speed, stats)
        except LogReadError as exc:  # a read that failed after the first event
            print(f"voicechat replay: {exc}", file=sys.stderr)
            return 2
    from voicechat.ui.replay_app import ReplayApp

    ReplayApp(stream, speed=speed, source=log.name).run()
    return 0


_ARGUMENT_DELTAS = frozenset({"response.function_call_arguments.delta",
                             "response.mcp_call_arguments.delta"})


def _print_lines(stream: Iterator[LogRecord], speed: float, stats: ReadStats) -> int:
    from voicechat.latency.records import RecordTimeline, latency_lines

    summarizer = Summarizer()
    timing = RecordTimeline()  # each answer's latency after the event that completed it
    last_t: float | None = None
    run: list[LogRecord] = []  # a call's argument deltas, printed as one line when they end
    for record in stream:
        if last_t is not None:
            delay = min(MAX_GAP_S, max(0.0, record.t - last_t) / speed)
            if delay > 0:
                time.sleep(delay)
        last_t = record.t
        if run and not _same_run(run[0], record):
            _print_run(run, summarizer)
            run = []
        if record.event.get("type") in _ARGUMENT_DELTAS:
            run.append(record)
            continue
        print(summarizer.line(record), flush=True)
        for line in latency_lines(timing, record):
            print(f"{format_time(record.t)} :: {line}", flush=True)
    if run:
        _print_run(run, summarizer)
    print(f"replayed {stats.events} events; skipped {stats.skipped_lines} lines that were not "
          "events", flush=True)
    return 0


def _same_run(first: LogRecord, record: LogRecord) -> bool:
    a, b = first.event, record.event
    return a.get("type") == b.get("type") and a.get("item_id") == b.get("item_id")


def _print_run(run: list[LogRecord], summarizer: Summarizer) -> None:
    """``  83.750 ← response.function_call_arguments.delta ×75 call_kmnU… "}"``: the time of
    the first delta, the count, the last fragment."""
    first, last = run[0], run[-1]
    if len(run) == 1:
        print(summarizer.line(last), flush=True)
        return
    kind = printable(str(last.event.get("type")))
    print(f"{format_time(first.t)} {arrow(first.dir)} {kind} ×{len(run)} "
          f"{printable(summarizer.detail(last))}".rstrip(), flush=True)
