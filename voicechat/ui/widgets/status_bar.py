"""The status bar: connection, mic state with its reason, input level, response, barge-in, mode.

Redrawn with ``render()``/``refresh()`` from the app's 20 Hz poll and only when a shown value
changed (the level meter is quantised to its cells, so a steady level costs nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from voicechat.runtime_api import ConnectionInfo
from voicechat.ui.viewstate import UiState

METER_CELLS = 12
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


def mic_label(state: UiState) -> tuple[str, str]:
    """(text, tone) for the mic: tone is live | muted | ptt, which picks the colour."""
    mic, reason = state.mic_state, state.mic_reason
    ptt = state.mode == "ptt"
    if mic in {"live", "open", "unmuted"}:
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


def response_label(state: UiState) -> str:
    status = state.response_status.replace("_", " ")
    if not state.response_id and not status:
        return "no response yet"
    text = f"{state.response_id or ''} {status}".strip()
    if state.response_reason and state.response_status in {"cancelled", "failed", "incomplete"}:
        text += f" ({state.response_reason.replace('_', ' ')})"
    return text


def meter(level: float, cells: int = METER_CELLS) -> str:
    """A left-to-right bar with eighth-cell resolution for a 0..1 level."""
    eighths = round(max(0.0, min(1.0, level)) * cells * 8)
    full, rest = divmod(eighths, 8)
    bar = "█" * full + (_BLOCKS[rest] if rest and full < cells else "")
    return bar.ljust(cells)


@dataclass(frozen=True)
class _Shown:
    connection: ConnectionInfo
    state: UiState
    meter: str


class StatusBar(Widget):
    """Two lines: where we are connected and mic/level; then response, barge-in and mode."""

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

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown = _Shown(ConnectionInfo(), UiState(), meter(0.0))

    @property
    def state(self) -> UiState:
        return self._shown.state

    def show(self, connection: ConnectionInfo, state: UiState, level: float) -> None:
        """Update the values; repaints only when the visible text would change."""
        state = UiState(**{**state.__dict__, "entries": (), "segments": (), "notices": ()})
        shown = _Shown(connection, state, meter(level))
        if shown != self._shown:
            self._shown = shown
            self.refresh()

    def _s(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def render(self) -> RenderableType:
        conn, state = self._shown.connection, self._shown.state
        dim = self._s("status--dim")
        line1 = Text()
        conn_style = {"connected": "status--good", "failed": "status--bad",
                      "closed": "status--bad"}.get(conn.state, "status--active")
        line1.append("● ", self._s(conn_style))
        line1.append(conn.state, self._s(conn_style))
        where = " · ".join(p for p in (conn.transport, conn.server, conn.model, conn.dialect) if p)
        line1.append(f"  {where}", dim)
        if conn.detail:
            line1.append(f"  {conn.detail}", dim)
        line1.append("   mic ", dim)
        label, tone = mic_label(state)
        line1.append(label, self._s(f"status--{tone}"))
        line1.append("  ")
        line1.append(self._shown.meter, self._s(f"status--{tone}"))
        line1.append("▏", dim)

        line2 = Text()
        line2.append("response ", dim)
        active = state.response_status == "in_progress"
        bad = state.response_status in {"failed", "cancelled", "incomplete"}
        resp_style = "status--active" if active else ("status--bad" if bad else "status--dim")
        line2.append(response_label(state), self._s(resp_style) if active or bad else Style())
        line2.append("   barge-in ", dim)
        line2.append("on" if state.barge_in else "off",
                     self._s("status--good") if state.barge_in else Style())
        line2.append("   mode ", dim)
        if state.mode == "ptt":
            line2.append(f"push-to-talk ({state.ptt_style})")
        elif state.mode == "transcribe":
            line2.append("transcribe (captions)")
        else:
            line2.append("VAD (hands-free)")
        return Text("\n").join([line1, line2])
