"""One tool call as transcript text: a line when folded, the full call when details are shown.

Folded::

    ⚙ get_weather city="Paris" · ✓ done 0.4 s → 18 °C and sunny

With details (the transcript's tool-details key), indented below it: where it ran, the
arguments as indented JSON and the result, both cut at :data:`DETAIL_LINES` lines. Arguments and
results are foreign text, made safe and secret-free by :mod:`voicechat.ui.tool_text`. The line
gives no running time for a call still running: that would re-wrap the entry on every frame;
the status bar counts it instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

from voicechat.ui.tool_calls import STATUS_LABELS, STATUS_MARKS, ToolCall
from voicechat.ui.tool_text import (
    duration,
    pretty_arguments,
    pretty_result,
    safe,
    short_arguments,
    short_result,
    shorten,
)
from voicechat.ui.viewstate import Entry

DETAIL_LINES = 40
"""Arguments and result are each cut at this many lines in the transcript."""

MIN_RESULT = 8
"""Fewer cells than this left on the line: the folded line gives no result (``o`` shows it)."""

TOOL_MARK = "⚙ "

_TONES = {"done": "ok", "failed": "bad", "timed_out": "bad", "denied": "wait",
          "cancelled": "wait", "awaiting_approval": "wait", "running": "wait"}


@dataclass(frozen=True)
class ToolStyles:
    """The transcript's styles for tool entries (resolved from its component classes)."""

    dim: Style
    ok: Style
    bad: Style
    wait: Style

    def tone(self, status: str) -> Style:
        return {"ok": self.ok, "bad": self.bad, "wait": self.wait}.get(
            _TONES.get(status, ""), self.dim)


def render_tool_entry(entry: Entry, styles: ToolStyles, *, width: int = 80,
                      details: bool = False) -> Text:
    """``entry`` (a role ``tool`` entry) as text; see the module docstring."""
    call = entry.call
    if call is None:  # a call the tool loop does not know (seeded history, tools off)
        text = Text(TOOL_MARK, style=styles.dim)
        text.append(shorten(safe(entry.text, keep_newlines=False), max(20, width - 2)))
        return text
    return _call_text(call, styles, width=width, details=details)


def _call_text(call: ToolCall, styles: ToolStyles, *, width: int, details: bool) -> Text:
    text = Text(TOOL_MARK, style=styles.dim)
    text.append(call.name, style=Style(bold=True))
    args = short_arguments(call.arguments, max(12, width // 3))
    if args:
        text.append(" ")
        text.append(args, style=styles.dim)
    text.append(" · ", style=styles.dim)
    tone = styles.tone(call.status)
    label = STATUS_LABELS.get(call.status, call.status.replace("_", " "))
    if call.hosted and call.status == "done":
        label = "approved"  # the Realtime server runs it: its result is the mcp_call below
    text.append(f"{STATUS_MARKS.get(call.status, '•')} {label}", style=tone)
    took = duration(call.elapsed(call.ended_at)) if call.ended_at is not None else ""
    if took:
        text.append(f" {took}", style=styles.dim)
    room = width - text.cell_len - 3  # " → "
    shows_result = call.output and not call.active and not call.hosted
    if shows_result and (room >= MIN_RESULT or details):
        text.append(" → ", style=styles.dim)
        text.append(short_result(call.output, max(room, MIN_RESULT)))
    if details:
        _details(text, call, styles)
    return text


def _details(text: Text, call: ToolCall, styles: ToolStyles) -> None:
    text.append("\n    source: ", style=styles.dim)
    text.append(safe(call.source, keep_newlines=False) or "unknown")
    pretty, valid = pretty_arguments(call.arguments)
    text.append("\n    arguments" + ("" if valid else " (not valid JSON)") + ":", style=styles.dim)
    _block(text, pretty or "(none)")
    if call.output:
        text.append("\n    result:", style=styles.dim)
        _block(text, pretty_result(call.output))


def _block(text: Text, body: str) -> None:
    lines = body.splitlines() or [""]
    for line in lines[:DETAIL_LINES]:
        text.append("\n      " + line)
    if len(lines) > DETAIL_LINES:
        text.append(f"\n      … {len(lines) - DETAIL_LINES} more lines", style=Style(italic=True))
