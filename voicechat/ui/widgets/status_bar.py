"""The status bar: connection, mic state with its reason, input level, response, a running tool
call (its name and how long it has run), barge-in, echo cancellation (state and live echo return
loss enhancement), mode. A GPT-Live session (mode ``live``) has a second line of its own
(:mod:`voicechat.ui.widgets.live_status`).

Redrawn with ``render()``/``refresh()`` from the app's 20 Hz poll and only when a shown value
changed (the level meter is quantised to its cells, so a steady level costs nothing).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import ClassVar

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from voicechat.ui.handle import AecStatus, ConnectionInfo
from voicechat.ui.viewstate import UiState
from voicechat.ui.widgets.live_status import ALWAYS_ON, live_line2_variants, remaining_text

METER_CELLS = 12
#: a Realtime session's time left is shown in its last ten minutes (GPT-Live's always)
ENDS_SHOWN_S = 600.0
Field = list[tuple[str, Style]]
"""One group of the status bar: (text, style) runs, shown together or not at all."""

SEPARATOR = "│ "  # after a plain space, so it reads " │ "
#: shown in place of "barge-in on" while the local detector holds the assistant paused
INTERRUPTING = "you're interrupting"
_BLOCKS = " ▏▎▍▌▋▊▉█"

MIC_REASONS = {
    "playback": "muted for playback",
    "user": "muted by you",
    "ptt_idle": "push-to-talk closed",
    "ptt_closed": "push-to-talk closed",
    "no_device": "no device",
    "disconnected": "not connected",
    "transport": "not connected",
    "settle": "muted for playback",
}


def mic_label(state: UiState, *, connected: bool = True, ended: bool = False) -> tuple[str, str]:
    """(text, tone) for the mic: tone is live | muted | ptt, which picks the colour.

    "live" means the assistant hears you: not after the mic file ended, and not while there is
    no connection, whatever the core's gate says."""
    mic, reason = state.mic_state, state.mic_reason
    ptt = state.mode == "ptt"
    if ended:
        return "file ended", "muted"
    if mic in {"live", "open", "unmuted"} and not connected:
        return "not connected", "muted"
    if mic in {"live", "open", "unmuted"}:
        if state.mode in ("live", "gemini"):  # streams for the whole session, never gated
            return ALWAYS_ON, "live"
        return ("push-to-talk open" if ptt else "live"), ("ptt" if ptt else "live")
    if mic in {"no_device", "unavailable"} or reason == "no_device":
        return "no device", "muted"
    if mic in {"ptt_open"}:
        return "push-to-talk open", "ptt"
    if mic in {"ptt_closed", "ptt_idle"} or reason in {"ptt_idle", "ptt_closed"}:
        return "push-to-talk closed", "ptt"
    if mic == "unknown":
        return "starting…", "muted"
    return MIC_REASONS.get(reason, f"muted ({reason})" if reason else "muted"), "muted"


#: the response's status as the bar says it: words, not the raw id (issue 36, item 5: at 120
#: columns ``response resp_9cae62c210bd54b4e5f89c completed`` took the room of the usage, the
#: cost, the applied settings and the rate limits; the id is in the event pane)
RESPONSE_WORDS = {
    "requested": "answer asked", "in_progress": "answering", "completed": "answered",
    "cancelled": "answer cancelled", "failed": "answer failed", "incomplete": "answer cut short",
}


def response_label(state: UiState) -> str:
    status = state.response_status
    if not state.response_id and not status:
        return "no answer yet"
    text = RESPONSE_WORDS.get(status, f"answer {status.replace('_', ' ')}".strip())
    if state.response_reason and status in {"cancelled", "failed", "incomplete"}:
        text += f" ({state.response_reason.replace('_', ' ')})"
    return text


def captions_label(count: int) -> str:
    """Transcribe mode's count of caption segments in place of the answer's status."""
    return "no captions yet" if not count else f"{count} caption{'s' if count != 1 else ''}"


def meter(level: float, cells: int = METER_CELLS) -> str:
    """A left-to-right bar with eighth-cell resolution for a 0..1 level."""
    eighths = round(max(0.0, min(1.0, level)) * cells * 8)
    full, rest = divmod(eighths, 8)
    bar = "█" * full + (_BLOCKS[rest] if rest and full < cells else "")
    return bar.ljust(cells)


def aec_label(aec: AecStatus, *, short: bool = False) -> tuple[str, str]:
    """(text, tone) for echo cancellation: tone is good | bad | dim.

    On, it shows the live echo return loss enhancement: how many dB quieter the assistant's
    voice is in the mic than it would be without cancellation (20 dB or more is working)."""
    if aec.state == "on":
        if aec.leaking:
            return ("leaking" if short else "AEC on · echo leaking"), "bad"
        erle = f"{aec.erle_db:.0f} dB" if aec.erle_db is not None else ""
        if short:
            return (erle or "on"), "good"
        return (f"AEC on · {erle}" if erle else "AEC on"), "good"
    if aec.state == "unavailable":
        return ("n/a" if short else "AEC unavailable"), "bad"
    return ("off" if short else "AEC off"), "dim"


def _quantised(aec: AecStatus) -> AecStatus:
    """Only what is shown (whole dB), so a steady figure costs no redraw."""
    erle = round(aec.erle_db) if aec.erle_db is not None else None
    return AecStatus(state=aec.state, erle_db=erle, leaking=aec.leaking)


@dataclass(frozen=True)
class _Shown:
    connection: ConnectionInfo
    state: UiState
    meter: str
    mic_ended: bool = False
    aec: AecStatus = field(default_factory=AecStatus)
    tool: str = ""
    ends: str = ""  # the session's time left, as shown (`StatusBar._ends`)
    latency: str = ""  # the session's median wait for first audio ("0.82 s")
    captions: int = 0  # transcribe mode: the caption segments so far (the entries are dropped)


class StatusBar(Widget):
    """Two lines: where we are connected and mic/level; then response, barge-in and mode.

    Groups are separated by a dim ``│`` and each value has its label ("mic", "barge-in",
    "mode"). The bar never wraps: on a narrow terminal it drops the least useful detail first
    (connection detail, dialect, model, half the meter, ...) and uses shorter wording."""

    DEFAULT_CSS = """
    StatusBar { height: 2; background: $panel; padding: 0 1; }
    StatusBar .status--live { color: $vc-mic-live; text-style: bold; }
    StatusBar .status--muted { color: $vc-mic-muted; text-style: bold; }
    StatusBar .status--ptt { color: $vc-mic-ptt; text-style: bold; }
    StatusBar .status--active { color: $vc-response-active; text-style: bold; }
    StatusBar .status--dim { color: $vc-dim; }
    StatusBar .status--bad { color: $error; text-style: bold; }
    StatusBar .status--good { color: $success; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "status--live", "status--muted", "status--ptt", "status--active", "status--dim",
        "status--bad", "status--good",
    }

    def __init__(self, *, id: str | None = None,
                 wall_clock: Callable[[], float] = time.time) -> None:
        super().__init__(id=id)
        self._wall_clock = wall_clock  # for the time left of a session that says its end
        self._shown = _Shown(ConnectionInfo(), UiState(), meter(0.0))
        self._last_state: UiState | None = None
        self._last_input: tuple[object, ...] = ()

    @property
    def state(self) -> UiState:
        return self._shown.state

    def show(self, connection: ConnectionInfo, state: UiState, level: float, *,
             mic_ended: bool = False, aec: AecStatus | None = None, tool: str = "",
             latency: str = "") -> None:
        """Update the values; repaints only when the visible text would change.

        Called at 20 Hz; the poll hands over the same state object while nothing happens, so
        an idle tick is one tuple comparison (no copy of the state, no field-by-field compare).
        ``tool`` is the running tool call's label (:func:`voicechat.ui.tool_calls.running_label`).
        """
        bar = meter(level)
        echo = _quantised(aec or AecStatus())
        ends = self._ends(state)
        key = (connection, bar, mic_ended, echo, tool, ends, latency)
        if state is self._last_state and key == self._last_input:
            return
        self._last_state, self._last_input = state, key
        captions = len(state.entries) if state.mode == "transcribe" else 0
        state = UiState(**{**state.__dict__, "entries": (), "segments": (), "notices": (),
                           "tool_calls": ()})
        shown = _Shown(connection, state, bar, mic_ended, echo, tool, ends, latency, captions)
        if shown != self._shown:
            self._shown = shown
            self.refresh()

    def _ends(self, state: UiState) -> str:
        """The session's time left: always for GPT-Live (its sessions are short), and for a
        Realtime session (OpenAI's 60-minute cap, a provider's own) in its last
        :data:`ENDS_SHOWN_S`, when it starts to matter; ``""`` unknown."""
        if state.expires_at is None:
            return ""
        now = self._wall_clock()
        if state.mode != "live" and state.expires_at - now > ENDS_SHOWN_S:
            return ""
        return remaining_text(state.expires_at, now)

    def _s(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def render(self) -> RenderableType:
        width = self.content_size.width or 1000
        dim = self._s("status--dim")
        line1 = first_fitting(self._line1_variants(), width, dim)
        line2 = first_fitting(self._line2_variants(), width, dim)
        text = Text("\n").join([line1, line2])
        text.no_wrap = True  # a wrapped first line would push the second out of the bar
        text.overflow = "ellipsis"
        return text

    def _line1_variants(self) -> Iterator[list[Field]]:
        """Connection, where, mic and meter; dropping the least useful detail first."""
        conn, state = self._shown.connection, self._shown.state
        dim = self._s("status--dim")
        tone_style = {"connected": "status--good", "failed": "status--bad",
                      "closed": "status--bad"}.get(conn.state, "status--active")
        connection: Field = [("● " + conn.state, self._s(tone_style))]
        label, tone = mic_label(state, connected=conn.state == "connected",
                                ended=self._shown.mic_ended)
        mic: Field = [("mic ", dim), (label, self._s(f"status--{tone}"))]
        places = [p for p in (conn.transport, conn.server, conn.model, conn.dialect) if p]
        wheres = [" · ".join(places[:n]) for n in range(len(places), 0, -1)]
        if conn.detail and wheres:
            wheres.insert(0, f"{wheres[0]} · {conn.detail}")
        cells = (METER_CELLS, METER_CELLS // 2)
        applied: Field = ([("session ", dim), (state.session_text, Style())]
                          if state.session_text else [])  # what the server applied
        if applied:  # beside the connection it belongs to, while the model still shows
            with_model = [where for where in wheres if where.count(" · ") >= 2]
            for meter_cells in cells:
                for where in with_model:
                    yield [connection, [(where, dim)], [*mic, *self._meter(meter_cells, tone)],
                           applied]
        for meter_cells in cells:
            for where in wheres:
                yield [connection, [(where, dim)], [*mic, *self._meter(meter_cells, tone)]]
        yield [connection, [(wheres[-1], dim)] if wheres else [], mic]
        yield [connection, mic]

    def _meter(self, cells: int, tone: str) -> Field:
        bar = self._shown.meter[:cells] if cells < METER_CELLS else self._shown.meter
        return [("  ", Style()), (bar, self._s(f"status--{tone}")),
                ("▏", self._s("status--dim"))]

    def _line2_variants(self) -> Iterator[list[Field]]:
        """Response, barge-in, echo and mode; shorter wording when the terminal is narrow."""
        state = self._shown.state
        dim = self._s("status--dim")
        tone_styles = {"good": self._s("status--good"), "bad": self._s("status--bad"),
                       "dim": dim}
        if state.mode in ("live", "gemini"):
            def echo_field(short: bool) -> Field:
                text, tone = aec_label(self._shown.aec, short=short)
                return [("echo ", dim), (text, tone_styles[tone])]
            yield from live_line2_variants(state, task=self._shown.tool, ends=self._shown.ends,
                                           echo=echo_field, style=self._s)
            return
        if state.mode == "transcribe":
            yield from self._captions_line2(state)
            return
        active = state.response_status == "in_progress"
        bad = state.response_status in {"failed", "cancelled", "incomplete"}
        resp_style = self._s("status--active") if active else (
            self._s("status--bad") if bad else Style())
        response = response_label(state)
        barge: Field = [("barge-in ", dim), ("on" if state.barge_in else "off",
                                             self._s("status--good") if state.barge_in
                                             else Style())]
        if state.interrupting:  # the local detector paused the assistant (issue 29)
            barge = [(INTERRUPTING, self._s("status--active"))]
        tool: Field = ([("tool ", dim), (self._shown.tool, self._s("status--active"))]
                       if self._shown.tool else [])
        # the session's last minutes (a Realtime session shows them only then: ``_ends``)
        ends: Field = ([("ends in ", dim), (self._shown.ends, self._s("status--active"))]
                       if self._shown.ends else [])
        usage, limits, scarcest = self._usage_fields()
        first: Field = ([("first audio ", dim), (self._shown.latency, Style())]
                        if self._shown.latency else [])
        # (short echo, short mode, the latency, usage and limits fields): the usage with its
        # cost and the rate limits outrank the long wording of echo and mode, which shorten
        # first; then the limits shrink to the scarcest one, then go; then the median latency
        # (issue 39); the usage goes last
        variants: tuple[tuple[bool, bool, list[Field]], ...] = (
            (False, False, [first, usage, limits]), (True, True, [first, usage, limits]),
            (True, True, [first, usage, scarcest]), (True, True, [first, usage]),
            (True, True, [usage]), (True, True, [first]), (False, False, []), (True, True, []))
        for short_echo, short, extra in variants:
            text, tone = aec_label(self._shown.aec, short=short_echo)
            echo: Field = [("echo ", dim), (text, tone_styles[tone])]
            yield [[(response, resp_style)], tool, ends, barge, echo,
                   [("mode ", dim), (mode_label(state, short=short), Style())], *extra]
        yield [[(response, resp_style)], tool, ends, barge,  # too narrow for the echo field
               [("mode ", dim), (mode_label(state, short=True), Style())]]
        if tool or ends:  # a running tool, the session's end matter more than the response
            yield [tool, ends, barge, [("mode ", dim), (mode_label(state, short=True), Style())]]

    def _captions_line2(self, state: UiState) -> Iterator[list[Field]]:
        """Transcribe mode: the captions so far, echo and mode. It has no answers and no
        barge-in, and "no answer yet │ barge-in off" said otherwise (issue 55, item 13)."""
        dim = self._s("status--dim")
        tone_styles = {"good": self._s("status--good"), "bad": self._s("status--bad"),
                       "dim": dim}
        usage, _limits, _scarcest = self._usage_fields()
        for short in (False, True):
            text, tone = aec_label(self._shown.aec, short=short)
            for extra in ([usage], []):
                echo: Field = [("echo ", dim), (text, tone_styles[tone])]
                yield [[(captions_label(self._shown.captions), Style())], echo,
                       [("mode ", dim), (mode_label(state, short=short), Style())], *extra]

    def _usage_fields(self) -> tuple[Field, Field, Field]:
        """Session usage with its estimated cost, the rate limits, and the scarcest limit alone
        (issue 11), each empty when not reported."""
        state, dim = self._shown.state, self._s("status--dim")
        usage: Field = [("usage ", dim), (state.usage_text, Style())] if state.usage_text else []
        limits: Field = ([("limits ", dim), (state.limits_text, Style())]
                         if state.limits_text else [])
        scarcest: Field = ([("limit ", dim), (state.scarcest_limit_text, Style())]
                           if state.scarcest_limit_text else [])
        return usage, limits, scarcest


def fields_text(fields: list[Field], separator: Style) -> Text:
    """Join groups with a dim ``│``; the space before it ends the previous run.

    No styled run starts with a blank: some SVG renderers (librsvg) drop leading blanks of
    a run, which glued "connected" to "webrtc" in the screenshots."""
    text = Text()
    for i, group in enumerate(f for f in fields if f):
        if i:
            text.append(" ")
            text.append(SEPARATOR, separator)
        for chunk, style in group:
            text.append(chunk, style)
    return text


def first_fitting(variants: Iterator[list[Field]], width: int, separator: Style) -> Text:
    """The first variant that fits in ``width`` cells, else the last one (cropped on display)."""
    text = Text()
    for fields in variants:
        text = fields_text(fields, separator)
        if text.cell_len <= width:
            return text
    return text


def mode_label(state: UiState, *, short: bool = False) -> str:
    if state.mode == "ptt":
        # the core's "release" style is what a user does: hold the key
        style = "hold" if state.ptt_style == "release" else state.ptt_style
        return f"PTT {style}" if short else f"push-to-talk ({style})"
    if state.mode == "transcribe":
        return "captions" if short else "transcribe (captions)"
    return "VAD" if short else "VAD (hands-free)"
