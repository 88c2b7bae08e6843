"""The push-to-talk key: open, closed, how much audio the open turn captured.

``turn_detection: null``: the client says where a turn starts and ends. Opening clears the input
buffer; closing commits and asks for a response when at least ``min_audio_ms`` of audio was sent
(counted from ``MicAudio``), otherwise clears the buffer and says the turn was too short. The
*toggle* style flips on each press; the *release* style opens on press and closes on release (a
press while open is the terminal's key auto-repeat). The style can change at run time (the TUI does
when the terminal turns out to report key releases); an open turn stays open and closes the new way.

States: ``OFF`` (not a push-to-talk session), ``CLOSED``, ``OPEN``. The part sends the buffer
events and asks :class:`~voicechat.core.response_flow.ResponseFlow` for the response itself; what
an opening does to a speaking assistant (barge-in, or a notice) is the session's business.
"""

from __future__ import annotations

from enum import StrEnum

from voicechat.core.effects import Effects
from voicechat.core.policy import Mode, PttStyle
from voicechat.core.response_flow import ResponseFlow

STYLES: dict[str, str] = {
    "toggle": "each press of the talk key opens or closes the mic",
    "release": "the mic is open while the talk key is held",
}


class PttState(StrEnum):
    OFF = "off"
    CLOSED = "closed"
    OPEN = "open"


class PushToTalk:
    """The talk key's turn for one session."""

    def __init__(
        self,
        *,
        mode: Mode,
        style: PttStyle,
        min_audio_ms: float,
        effects: Effects,
        responses: ResponseFlow,
    ) -> None:
        self.mode = mode
        self.enabled = mode == "ptt"
        self.style: PttStyle = style
        self.min_audio_ms = min_audio_ms
        self.is_open = False
        self.captured_ms = 0.0
        self._out = effects
        self._responses = responses

    @property
    def state(self) -> PttState:
        if not self.enabled:
            return PttState.OFF
        return PttState.OPEN if self.is_open else PttState.CLOSED

    @property
    def key_open(self) -> bool | None:
        """The key's state for the mic gate: ``None`` outside push-to-talk."""
        return self.is_open if self.enabled else None

    # --- the key ---------------------------------------------------------------------------

    def press(self) -> bool:
        """The talk key went down; ``True`` when that opened a turn."""
        if not self.enabled:
            self._out.notice("info", f"push-to-talk is off in {self.mode} mode")
        elif not self.is_open:
            self._out.send({"type": "input_audio_buffer.clear"})
            self.is_open = True
            self.captured_ms = 0.0
            return True
        elif self.style == "toggle":
            self._close()
        # release style: a press while open is key auto-repeat; ignore it
        return False

    def release(self) -> None:
        if self.enabled and self.style == "release" and self.is_open:
            self._close()

    def set_style(self, style: str) -> None:
        """Switch style in place; an open turn stays open and closes the new way."""
        if style == self.style:
            return
        if style not in STYLES:
            self._out.notice(
                "warning", f"ptt_style must be toggle or release, not {style!r}; unchanged"
            )
            return
        self.style = "release" if style == "release" else "toggle"
        self._out.notice("info", f"push-to-talk style: {style} ({STYLES[style]})")

    def _close(self) -> None:
        self.is_open = False
        captured, needed = self.captured_ms, self.min_audio_ms
        if captured >= needed:
            self._out.send({"type": "input_audio_buffer.commit"})
            self._responses.request()
        else:
            self._out.send({"type": "input_audio_buffer.clear"})
            self._out.notice(
                "warning",
                f"too short: {captured:.0f} ms of audio captured, at least {needed:.0f} ms "
                "needed; nothing was sent",
            )

    # --- audio -----------------------------------------------------------------------------

    def audio(self, ms: float) -> None:
        """Mic audio sent; counted only while the turn is open."""
        if self.is_open:
            self.captured_ms += ms
