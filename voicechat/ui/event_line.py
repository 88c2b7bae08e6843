"""Fitting one event-flow line into the pane's width: time, arrow, event type, summary.

Why a module of its own: the event pane is often narrow (a third of an 80-column terminal), and
the Realtime event names are long (``conversation.item.input_audio_transcription.completed`` is 53
characters). Cropping the line at the edge hid the part of the name that says what happened
(``.completed`` / ``.failed``), and the summary never showed. The rules here, pure and tested:

* the time and the direction arrow are never dropped;
* a type is written in full when it fits with room for a fold count, else in its well-known
  short form (``conversation.item.`` → ``item.``, ``input_audio_buffer.`` → ``in_buf.``); the
  choice depends only on the type and the pane's width (never on the summary or the count), so
  one event type has one spelling down the column, and a wide pane reads like ``replay``;
* the event type keeps priority over the summary: a type that still does not fit is shortened
  by cutting leading name parts to their initials; the last part (the verb: ``delta``,
  ``done``, ``failed``) is cut last, and only when nothing else is left;
* the summary takes the remaining width, cropped with ``…``; it is dropped when less than a few
  characters would be left, since a stub of an id says nothing;
* a fold count (``×37``) is always kept with the type.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

SUMMARY_WANTED = 10
"""Width the summary gets before the type is shortened beyond its well-known short form."""
SUMMARY_MIN = 6
"""Below this width a summary is not shown at all."""
FOLD_ROOM = 5
"""Cells kept free after a full type name for a fold count (`` ×999``), so a growing count
never flips a line from the full name to the short form."""

SHORT_PREFIXES: tuple[tuple[str, str], ...] = (
    ("conversation.item.input_audio_transcription.", "transcript."),
    ("conversation.item.", "item."),
    ("conversation.", "conv."),
    ("response.output_audio_transcript.", "resp.transcript."),
    ("response.audio_transcript.", "resp.transcript."),
    ("response.output_audio.", "resp.audio."),
    ("response.audio.", "resp.audio."),
    ("response.output_text.", "resp.text."),
    ("response.text.", "resp.text."),
    ("response.content_part.", "resp.part."),
    ("response.output_item.", "resp.item."),
    ("response.function_call_arguments.", "resp.fn_args."),
    ("response.", "resp."),
    ("input_audio_buffer.", "in_buf."),
    ("output_audio_buffer.", "out_buf."),
    ("transcription_session.", "tr_session."),
)
"""Short forms for the prefixes of GA and beta event names, longest first (first match wins)."""


@dataclass(frozen=True, slots=True)
class LineParts:
    """The texts of one fitted line; ``label`` includes the fold count, ``summary`` may be ""."""

    time: str
    arrow: str
    label: str
    summary: str

    @property
    def text(self) -> str:
        line = f"{self.time} {self.arrow} {self.label}"
        return f"{line} {self.summary}" if self.summary else line


def time_text(t: float | None, width: int) -> str:
    """Seconds with milliseconds, right-aligned to ``width`` (blank for logs without times)."""
    return " " * width if t is None else f"{t:.3f}".rjust(width)


def time_width(t: float | None) -> int:
    """Cells the time of ``t`` needs; the pane keeps the largest seen, so the column is steady."""
    return 5 if t is None else max(5, len(f"{t:.3f}"))


def short_form(kind: str) -> str:
    """The well-known short form of an event type, or the type itself."""
    for prefix, short in SHORT_PREFIXES:
        if kind.startswith(prefix) and len(kind) > len(prefix):
            return short + kind[len(prefix):]
    return kind


def _initials(part: str) -> str:
    return "".join(word[:1] for word in part.split("_") if word) or part[:1]


def shorter_forms(kind: str) -> Iterator[str]:
    """Ever shorter spellings of ``kind``: its short form, then leading parts to initials."""
    current = short_form(kind)
    yield current
    parts = current.split(".")
    for i in range(len(parts) - 1):
        initials = _initials(parts[i])
        if initials != parts[i]:
            parts[i] = initials
            yield ".".join(parts)


def crop(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells, ending in ``…`` when cut."""
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: width - 1] + "…"


def abbreviate(kind: str, width: int) -> str:
    """``kind`` in at most ``width`` cells, shortened as little as possible (see module doc)."""
    if len(kind) <= width:
        return kind
    last = kind
    for form in shorter_forms(kind):
        last = form
        if len(form) <= width:
            return form
    return crop(last, width)


def fit_line(
    time: str, arrow: str, kind: str, count: int, summary: str, width: int
) -> LineParts:
    """Fit an event line into ``width`` cells (the time is already formatted and padded)."""
    suffix = f" ×{count}" if count > 1 else ""
    avail = width - len(time) - len(arrow) - 2  # the two gaps around the arrow
    if len(kind) + FOLD_ROOM > avail:
        kind = short_form(kind)  # by type and width only: one type, one spelling in the column
    full = kind + suffix
    if len(full) <= avail - (1 + min(len(summary), SUMMARY_WANTED) if summary else 0):
        return _parts(time, arrow, full, summary, avail)
    if len(full) <= avail:  # the whole type and a cropped summary (or none)
        return _parts(time, arrow, full, summary, avail)
    label = abbreviate(kind, max(1, avail - len(suffix))) + suffix
    return _parts(time, arrow, label, summary, avail)


def _parts(time: str, arrow: str, label: str, summary: str, avail: int) -> LineParts:
    left = avail - len(label) - 1
    shown = crop(summary, left) if summary and left >= min(SUMMARY_MIN, len(summary)) else ""
    return LineParts(time, arrow, label, shown)
