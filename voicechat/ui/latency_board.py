"""The TUI's latency figures: the session's ``local.turn.latency`` records, gathered.

The core times every answered turn (``core/turn_timing.py``) and the runtime records each
figure; the board keeps them for the line under each answer (by its item id), the status
bar's median and the ``l`` view, so the screen shows exactly what ``--record`` keeps.
"""

from __future__ import annotations

from voicechat.eventlog.record import LogRecord
from voicechat.latency import BargeIn, TurnLatency, summarize
from voicechat.latency.model import BARGE_RECORD, TURN_RECORD, barge_from_json, turn_from_json
from voicechat.latency.text import seconds, turn_line


class LatencyBoard:
    """Answered turns so far, the line under each answer (by item id) and the median."""

    def __init__(self) -> None:
        self.turns: list[TurnLatency] = []
        self.barge_ins: list[BargeIn] = []
        self.lines: dict[str, str] = {}
        """The quiet line under each answer, by its message item id."""
        self.version = 0
        """Moves on each new figure: what a widget compares to know it must redraw."""

    def feed(self, record: LogRecord) -> None:
        kind = record.event.get("type")
        if kind == TURN_RECORD:
            turn = turn_from_json(record.event)
            if turn is None:
                return
            self.version += 1
            self.turns.append(turn)
            if turn.item_id is not None:
                self.lines[turn.item_id] = turn_line(turn)
        elif kind == BARGE_RECORD:
            barge = barge_from_json(record.event)
            if barge is not None:
                self.version += 1
                self.barge_ins.append(barge)

    def median_text(self) -> str:
        """``0.82 s`` (the session's median wait for first audio), ``""`` before any answer."""
        summary = summarize(turn.heard_ms for turn in self.turns)
        return "" if summary is None else f"{seconds(summary.p50)} s"
