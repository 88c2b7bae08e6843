"""The event-flow pane's lines as data: folding, filtering, trimming; no Textual.

:class:`~voicechat.ui.event_flow.EventFlow` paints these rows. Keeping the model apart means the
folding rules (deltas fold per response, mic appends per speech segment) are plain code with
plain tests, and the widget only decides what to repaint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from voicechat.eventlog.gemini_frames import frame_label
from voicechat.eventlog.record import LogRecord
from voicechat.eventlog.summarizer import Summarizer
from voicechat.eventlog.summary import detail, is_delta, is_error
from voicechat.protocol.gemini.family import side_of
from voicechat.protocol.text import printable

FilterMode = Literal["all", "no_deltas", "errors"]
FILTERS: tuple[FilterMode, ...] = ("all", "no_deltas", "errors")

_MAX_OPEN_FOLDS = 64
_FOLD_RESETS = frozenset({"input_audio_buffer.committed", "input_audio_buffer.cleared",
                          "input_audio_buffer.commit", "input_audio_buffer.clear",
                          "input_audio_buffer.speech_started"})


@dataclass(slots=True)
class Row:
    """One displayed line: an event, or a fold of many deltas of one kind."""

    record: LogRecord
    kind: str
    text: str
    first_t: float | None = None  # a fold shows when it began, so the column stays in order
    count: int = 1
    error: bool = False
    delta: bool = False
    serial: int = 0  # unique per model: with ``count`` it keys the rendered-line cache

    def shown_in(self, mode: FilterMode) -> bool:
        if mode == "errors":
            return self.error
        if mode == "no_deltas":
            return not self.delta
        return True


class EventRows:
    """Every row (bounded by ``max_lines``), and the ones the current filter shows."""

    def __init__(self, max_lines: int = 2000) -> None:
        self.max_lines = max(10, max_lines)
        self.all: list[Row] = []
        self.visible: list[Row] = []
        self.filter: FilterMode = "all"
        self._folds: dict[tuple[str, str], Row] = {}
        self._append_segment = 0
        self._serial = 0
        self._summarizer = Summarizer()  # tool calls: names and durations across events

    def add(self, record: LogRecord) -> tuple[Row, bool]:
        """Take one event; returns its row and whether the row is new (``False``: folded)."""
        self._serial += 1
        event = record.event
        if "type" not in event and side_of(event) is not None:
            return self._add_gemini(record)
        kind = str(event.get("type", "?"))
        if kind in _FOLD_RESETS:
            self._append_segment += 1
        if kind == "response.done":
            response = event.get("response")
            rid = response.get("id") if isinstance(response, dict) else None
            for key in [k for k in self._folds if k[1] == rid]:
                del self._folds[key]
        if is_delta(kind):
            key = (kind, _fold_id(event) or f"segment-{self._append_segment}")
            row = self._folds.get(key)
            if row is not None:
                row.count += 1
                row.record = record
                row.text = printable(detail(event))
                return row, False
            row = Row(record, printable(kind), printable(detail(event)), record.t, delta=True,
                      serial=self._serial)
            self._folds[key] = row
            if len(self._folds) > _MAX_OPEN_FOLDS:
                del self._folds[next(iter(self._folds))]
        else:
            row = Row(record, printable(kind), printable(self._summarizer.detail(record)),
                      record.t, error=is_error(event), serial=self._serial)
        return self._keep(row)

    def _add_gemini(self, record: LogRecord) -> tuple[Row, bool]:
        """A Gemini Live frame (no ``type``): named by its message keys; the audio and
        transcript frames that stream many a second fold per direction and turn, as the
        Realtime deltas and appends do (a turn's end or interruption starts the next fold)."""
        label = frame_label(record.event)
        if label is not None:
            if "turnComplete" in label or "interrupted" in label:
                self._append_segment += 1
            return self._keep(Row(record, printable(label), "", record.t,
                                  serial=self._serial))
        kind = "realtimeInput (audio)" if record.dir == "out" else "serverContent (stream)"
        key = (kind, f"segment-{self._append_segment}")
        row = self._folds.get(key)
        if row is not None:
            row.count += 1
            row.record = record
            return row, False
        row = Row(record, kind, "", record.t, delta=True, serial=self._serial)
        self._folds[key] = row
        if len(self._folds) > _MAX_OPEN_FOLDS:
            del self._folds[next(iter(self._folds))]
        return self._keep(row)

    def _keep(self, row: Row) -> tuple[Row, bool]:
        self.all.append(row)
        if row.shown_in(self.filter):
            self.visible.append(row)
        return row, True

    def over_limit(self) -> bool:
        """Trim in batches (a tenth over the limit), not on every line."""
        return len(self.all) > self.max_lines + max(10, self.max_lines // 10)

    def trim(self) -> None:
        """Drop the oldest rows down to ``max_lines``."""
        drop = len(self.all) - self.max_lines
        gone = {id(row) for row in self.all[:drop]}
        del self.all[:drop]
        self._folds = {k: v for k, v in self._folds.items() if id(v) not in gone}
        self.visible = [row for row in self.all if row.shown_in(self.filter)]

    def set_filter(self, mode: FilterMode) -> None:
        if mode not in FILTERS:
            raise ValueError(f"unknown filter {mode!r}; use one of {', '.join(FILTERS)}")
        self.filter = mode
        self.visible = [row for row in self.all if row.shown_in(mode)]

    def next_filter(self) -> FilterMode:
        return FILTERS[(FILTERS.index(self.filter) + 1) % len(FILTERS)]

    def clear(self) -> None:
        self.all.clear()
        self.visible.clear()
        self._folds.clear()
        self._summarizer = Summarizer()


def _fold_id(event: dict[str, Any]) -> str:
    for key in ("response_id", "item_id"):
        value = event.get(key)
        if isinstance(value, str):
            return value
    return ""
