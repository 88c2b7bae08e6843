"""The one place that reads the session core's ``SessionView`` into plain UI values.

Widgets take these plain values instead of core objects, so they can be tested with plain data
and a change in the core's view is a one-file change here. ``ViewReader`` adds the caching the
20 Hz poll needs on a long conversation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import Enum

from voicechat.conversation.seed import is_earlier
from voicechat.core.usage import RateLimit
from voicechat.core.view import PlaybackSpan, SessionView, TranscriptEntry, VadSegment
from voicechat.protocol.text import printable
from voicechat.ui.tool_calls import ToolCall, read_tool_calls

FINAL_STATUSES = frozenset({"done", "completed", "failed", "incomplete", "untranscribed"})
"""Transcript entry statuses after which the text no longer streams (see core.view)."""


@dataclass(frozen=True)
class Entry:
    """One transcript entry (a user or assistant turn, or a caption segment)."""

    id: str
    role: str  # user | assistant
    text: str
    status: str  # pending | streaming | done | failed | incomplete | untranscribed
    truncated: bool = False
    heard: str | None = None  # of a truncated answer, what the user heard (None: not known)
    error: str = ""
    call_id: str = ""  # a function_call or function_call_output item: the call it belongs to
    kind: str = "message"  # the item's type: message, function_call, mcp_call, …
    call: ToolCall | None = None  # a tool call's entry: the call as the tool loop sees it
    earlier: bool = False  # a turn of the earlier conversation --resume seeded
    latency: str = ""  # an answer: how long it took to start, and where (issue 39)

    @property
    def final(self) -> bool:
        if self.call is not None:
            return not self.call.active
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class Segment:
    """A span on the VAD timeline, in the core's clock (seconds)."""

    kind: str  # user | assistant
    start: float
    end: float | None
    short: bool = False

    def duration(self, now: float) -> float:
        return max(0.0, (self.end if self.end is not None else now) - self.start)


@dataclass(frozen=True)
class Notice:
    level: str  # info | warning | error
    message: str


@dataclass(frozen=True)
class UiState:
    """Everything the status bar, transcript and timeline show, as plain values."""

    mic_state: str = "unknown"
    mic_reason: str = ""
    response_id: str | None = None
    response_status: str = ""
    response_reason: str = ""
    barge_in: bool = False
    #: the local barge-in detector paused the assistant: the status bar says so at once
    interrupting: bool = False
    mode: str = "vad"
    ptt_style: str = "toggle"
    transport_state: str = ""
    entries: tuple[Entry, ...] = ()
    segments: tuple[Segment, ...] = ()
    notices: tuple[Notice, ...] = ()
    usage_text: str = ""  # session tokens and estimated cost; "" before the first response
    limits_text: str = ""  # the latest rate limits (remaining/limit, reset)
    scarcest_limit_text: str = ""  # the one with the least left of its limit, alone
    tool_calls: tuple[ToolCall, ...] = ()
    session_text: str = ""  # what the server applied (session.updated): voice, turns, noise
    expires_at: int | None = None  # when the server ends the session (unix seconds)
    context_ratio: float | None = None  # how full the context window is (0..1)


def compact(n: float) -> str:
    """``950``, ``12.3k``, ``1.2M``: a count short enough for the status bar."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 10_000:
        return f"{n / 1000:.0f}k"
    if n >= 1000:
        return f"{n / 1000:.1f}k"
    return f"{n:.0f}"


def usage_text(view: SessionView) -> str:
    """``1.4k tok · ~$0.021 est.`` for the session so far (the cost is always an estimate);
    ``3.2 min · ~$0.160 est.`` for a provider that bills by the minute (xAI)."""
    usage = view.usage
    if usage.minutes is not None and usage.responses:  # a provider billing by the minute
        cost = f" · ~${usage.cost_usd:.3f} est." if usage.cost_usd is not None else ""
        minutes = usage.minutes
        length = f"{minutes * 60:.0f} s" if minutes < 1 else f"{minutes:.1f} min"
        return f"{length}{cost}"
    if not usage.total.total:
        return ""  # no response yet, or a server that reports no usage
    text = f"{compact(usage.total.total)} tok"
    if usage.cost_usd is not None:
        text += f" · ~${usage.cost_usd:.3f} est."
    return text


def session_text(view: SessionView) -> str:
    """``marin ×1.2 · semantic_vad low · noise far_field``: the settings the server reports
    it applied (``session.updated``), not the ones asked for."""
    applied = view.server_session
    if applied is None:
        return ""
    parts = []
    if applied.voice:
        speed = f" ×{applied.speed:g}" if applied.speed not in (None, 1.0) else ""
        parts.append(f"{applied.voice}{speed}")
    kind = applied.turn_detection
    if kind == "semantic_vad":
        parts.append(f"semantic_vad {applied.eagerness or 'auto'}")
    elif kind == "server_vad":
        details = [f"{applied.threshold:g}" if applied.threshold is not None else "",
                   f"{applied.silence_ms:g} ms" if applied.silence_ms is not None else ""]
        parts.append(" ".join(["server_vad", *(d for d in details if d)]))
    # no turn detection (push-to-talk) is what the mode field says already
    if applied.noise_reduction and applied.noise_reduction != "off":
        parts.append(f"noise {applied.noise_reduction}")
    return " · ".join(parts)


def limits_text(view: SessionView) -> str:
    """``tokens 39k/40k ↻1.5s`` per reported limit (remaining of limit, reset in seconds)."""
    return ", ".join(_limit_text(limit) for limit in view.rate_limits)


def scarcest_limit_text(view: SessionView) -> str:
    """The limit with the smallest share left (a narrow status bar's one limit)."""
    if not view.rate_limits:
        return ""
    return _limit_text(min(view.rate_limits, key=lambda limit: (
        (limit.remaining or 0) / limit.limit if limit.limit else 1.0)))


def _limit_text(limit: RateLimit) -> str:
    text = f"{limit.name} {compact(limit.remaining or 0)}"
    if limit.limit is not None:
        text += f"/{compact(limit.limit)}"
    if limit.reset_seconds is not None:
        text += f" ↻{limit.reset_seconds:.3g}s"
    return text


def name_of(value: object) -> str:
    """Enum or string to a lowercase name (``MicState.LIVE`` -> ``"live"``)."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        raw = value.value if isinstance(value.value, str) else value.name
        return str(raw).lower()
    return str(value).lower()


def read_entry(raw: TranscriptEntry) -> Entry:
    """A ``core.view.TranscriptEntry`` as an :class:`Entry`; what the server said is shown with
    its control characters as escapes (a transcript must not drive the terminal)."""
    call_id = raw.call_id
    return Entry(id=raw.id, role=raw.role, text=printable(raw.text or "", keep_newlines=True),
                 status=raw.status, truncated=bool(raw.truncated),
                 heard=None if raw.heard is None
                 else printable(raw.heard, keep_newlines=True),
                 error=printable(raw.error or ""),
                 call_id=call_id if isinstance(call_id, str) else "", kind=raw.kind,
                 earlier=is_earlier(raw.id))


def attach_calls(entries: tuple[Entry, ...],
                 calls: tuple[ToolCall, ...]) -> tuple[Entry, ...]:
    """Each call joined to its ``function_call`` entry, and its output entry folded into it.

    The transcript draws a call as one entry (name, arguments, status, duration, result), so
    the ``function_call_output`` item the client added for it is not drawn again, nor a hosted
    MCP approval's answer (the request's line says approved or denied). An output whose call
    is unknown (an old conversation seeded as text) stays as it is."""
    if not calls:
        return entries
    by_item = {call.item_id: call for call in calls if call.item_id}
    by_call = {call.call_id: call for call in calls if call.call_id}
    out: list[Entry] = []
    for entry in entries:
        call = by_item.get(entry.id)
        if call is not None:
            out.append(replace(entry, call=call) if entry.call != call else entry)
        elif entry.role == "tool" and entry.call_id and entry.call_id in by_call:
            continue  # the output, shown on its call's line
        elif entry.kind == "mcp_approval_response":
            continue  # the answer, shown on its request's line (approved / denied)
        else:
            out.append(entry)
    return tuple(out)


def read_segments(
    vad: Iterable[VadSegment], playback: Iterable[PlaybackSpan]
) -> tuple[Segment, ...]:
    """User VAD segments and assistant playback spans on one time axis, by start time."""
    segments = [Segment("user", s.started_at, s.ended_at, bool(s.too_short)) for s in vad]
    segments += [Segment("assistant", p.started_at, p.ended_at) for p in playback]
    segments.sort(key=lambda s: s.start)
    return tuple(segments)


def read_view(view: SessionView | None, entries: tuple[Entry, ...] | None = None,
              segments: tuple[Segment, ...] | None = None,
              calls: tuple[ToolCall, ...] | None = None) -> UiState:
    """Translate a ``core.view.SessionView`` into :class:`UiState`.

    ``entries``/``segments``/``calls`` let a caller that already converted them (ViewReader)
    skip that (``entries`` with the calls already attached).
    """
    if view is None:
        return UiState()
    if calls is None:
        calls = read_tool_calls(view)
    if entries is None:
        entries = attach_calls(tuple(read_entry(e) for e in view.entries), calls)
    if segments is None:
        segments = read_segments(view.vad_segments, view.playback_spans)
    response = view.response
    return UiState(
        mic_state=name_of(view.mic),
        mic_reason=name_of(view.mic_reason),
        response_id=response.id if response is not None else None,
        response_status=response.status if response is not None else "",
        response_reason=(response.reason or "") if response is not None else "",
        barge_in=bool(view.barge_in),
        interrupting=bool(view.interrupting),
        mode=name_of(view.mode),
        ptt_style=name_of(view.ptt_style),
        transport_state=name_of(view.transport_state),
        entries=entries,
        segments=segments,
        notices=tuple(Notice(name_of(n.level), str(n.message)) for n in view.notices),
        usage_text=usage_text(view),
        limits_text=limits_text(view),
        scarcest_limit_text=scarcest_limit_text(view),
        tool_calls=calls,
        session_text=session_text(view),
        expires_at=view.expires_at,
        context_ratio=view.context_ratio,
    )


class ViewReader:
    """``read_view`` with caches, for the 20 Hz poll on long conversations.

    With thousands of turns, re-translating every transcript entry 20 times a second would cost
    more than drawing. Entries are converted once per core object (the core keeps unchanged
    entries as the same objects) and the whole tuple is reused while the core's tuple is the
    same object; the same goes for the timeline segments.
    """

    def __init__(self) -> None:
        self._last_view: SessionView | None = None
        self._last_state = UiState()
        self._entry_cache: dict[int, tuple[TranscriptEntry, Entry]] = {}
        self._last_entries_raw: tuple[TranscriptEntry, ...] | None = None
        self._last_entries: tuple[Entry, ...] = ()
        self._last_segments_raw: tuple[object, object] = (None, None)
        self._last_segments: tuple[Segment, ...] = ()
        self._last_calls_raw: object = ()
        self._last_calls: tuple[ToolCall, ...] = ()
        self._attached_from: tuple[object, object] = (None, None)
        self._attached: tuple[Entry, ...] = ()

    def read(self, view: SessionView | None) -> UiState:
        if view is None:
            return UiState()
        if view is self._last_view:
            return self._last_state
        entries = self._read_entries(view.entries)
        raw_calls = view.tool_calls
        if raw_calls is not self._last_calls_raw:
            self._last_calls = read_tool_calls(view)
            self._last_calls_raw = raw_calls
        if self._attached_from[0] is not entries or self._attached_from[1] is not self._last_calls:
            self._attached = attach_calls(entries, self._last_calls)
            self._attached_from = (entries, self._last_calls)
        entries = self._attached
        raw_segments = (view.vad_segments, view.playback_spans)
        if (raw_segments[0] is not self._last_segments_raw[0]
                or raw_segments[1] is not self._last_segments_raw[1]):
            self._last_segments = read_segments(*raw_segments)
            self._last_segments_raw = raw_segments
        state = read_view(view, entries, self._last_segments, self._last_calls)
        self._last_view, self._last_state = view, state
        return state

    def _read_entries(self, raw_entries: tuple[TranscriptEntry, ...]) -> tuple[Entry, ...]:
        if raw_entries is self._last_entries_raw:
            return self._last_entries
        cache: dict[int, tuple[TranscriptEntry, Entry]] = {}
        out: list[Entry] = []
        for raw in raw_entries:
            hit = self._entry_cache.get(id(raw))
            entry = hit[1] if hit is not None and hit[0] is raw else read_entry(raw)
            cache[id(raw)] = (raw, entry)
            out.append(entry)
        self._entry_cache = cache
        self._last_entries_raw = raw_entries
        self._last_entries = tuple(out)
        return self._last_entries

