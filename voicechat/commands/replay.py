"""``voicechat replay LOG [--speed X] [--no-ui]``: play a recorded session back.

Reads any format the doctor reads (ours, JSON arrays, JSONL of events, text logs), lazily.
Events without times (many foreign logs) are paced evenly, :data:`EVEN_STEP_S` apart. Exit 0
after a replay, 2 when the log cannot be read or has no events or the speed is not positive.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from voicechat.eventlog.reader import LogReadError, ReadStats, read_entries
from voicechat.eventlog.record import LogRecord
from voicechat.eventlog.summary import summary_line

EVEN_STEP_S = 0.25
MAX_GAP_S = 3.0


def records_from_log(path: Path, stats: ReadStats | None = None) -> Iterator[LogRecord]:
    """Every event of ``path`` as a :class:`LogRecord`, with even pacing where times are absent."""
    for entry in read_entries(path, stats):
        t = entry.t if entry.t is not None else entry.index * EVEN_STEP_S
        yield LogRecord(t=t, ts=entry.ts or "", dir=entry.dir, event=entry.event)


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
        return _print_lines(stream, speed, stats)
    from voicechat.ui.replay_app import ReplayApp

    ReplayApp(stream, speed=speed, source=log.name).run()
    return 0


def _print_lines(stream: Iterator[LogRecord], speed: float, stats: ReadStats) -> int:
    last_t: float | None = None
    for record in stream:
        if last_t is not None:
            delay = min(MAX_GAP_S, max(0.0, record.t - last_t) / speed)
            if delay > 0:
                time.sleep(delay)
        last_t = record.t
        print(summary_line(record.t, record.dir, record.event), flush=True)
    print(f"replayed {stats.events} events; skipped {stats.skipped_lines} lines that were not "
          "events", flush=True)
    return 0
