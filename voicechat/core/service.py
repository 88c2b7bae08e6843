"""What the service reports about itself: the session it runs, usage, limits, and endings.

The part of the session that listens to the server's account of things the user cannot see:
``session.updated`` compared with the request (:mod:`voicechat.core.server_session`), tokens and
cost (:mod:`voicechat.core.usage`), rate limits, the idle timeout, and why a response ended
when it did not complete. Each becomes view state or a Notice, so a difference from what the
client asked for is never silent. ``interrupt_response: true`` reported by the server means the
server cancels the response itself when the user speaks: the session then cuts local playback at
once (see :attr:`ServiceWatch.server_interrupts`) instead of applying its own guards.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from voicechat.core.effects import Effects
from voicechat.core.server_session import ReportedSession, differences, read_reported
from voicechat.core.usage import Usage

Event = Mapping[str, Any]
Handler = Callable[[Event, float], None]

_CANCEL_REASONS = {
    "turn_detected": "the server heard the user speak (turn_detected)",
    "client_cancelled": "the client cancelled it (client_cancelled)",
}
_INCOMPLETE_REASONS = {
    "max_output_tokens": "it reached max_output_tokens",
    "content_filter": "the content filter stopped it",
}


class ServiceWatch:
    """Reads the service's reports into the view and into notices."""

    def __init__(self, effects: Effects, requested: Mapping[str, Any], usage: Usage) -> None:
        self._out = effects
        self._requested = requested
        self.usage = usage
        self.reported: ReportedSession | None = None

    @property
    def server_interrupts(self) -> bool:
        """The server reports it cancels responses on user speech (``interrupt_response``)."""
        return self.reported is not None and self.reported.interrupt_response is True

    def handlers(self) -> dict[str, Handler]:
        return {
            "rate_limits.updated": self._rate_limits,
            "input_audio_buffer.timeout_triggered": self._timeout,
        }

    def session(self, event: Event) -> tuple[Mapping[str, Any], ReportedSession] | None:
        """``session.created``/``.updated``: remember it; tell what ``.updated`` did not apply."""
        session = event.get("session")
        if not isinstance(session, Mapping):
            self._out.malformed(str(event.get("type")), "field 'session' is not an object")
            return None
        reported = read_reported(session)
        if reported.expires_at is None and self.reported is not None:
            # a session.updated that leaves the end out has not moved it
            reported = replace(reported, expires_at=self.reported.expires_at)
        self.reported = reported
        self.usage.model_reported(session.get("model"))
        if event.get("type") == "session.updated":
            for text in differences(self._requested, session):
                self._out.notice_once("warning", text)
            if self.server_interrupts:
                self._out.notice_once(
                    "warning",
                    "the server cancels the assistant itself when you speak "
                    "(interrupt_response: true): barge-in guards do not apply, "
                    "local playback is cut at once",
                )
        return session, self.reported

    def response_done(self, response: Mapping[str, Any], now: float | None = None) -> None:
        """Count the usage and say why a response ended without completing."""
        self.usage.response_done(response, now)
        status = response.get("status")
        details = response.get("status_details")
        reason = details.get("reason") if isinstance(details, Mapping) else None
        rid = response.get("id") if isinstance(response.get("id"), str) else "the response"
        if status == "cancelled":
            why = _CANCEL_REASONS.get(str(reason), f"reason {reason or 'not given'}")
            self._out.notice("info", f"{rid} was cancelled: {why}")
        elif status == "incomplete":
            why = _INCOMPLETE_REASONS.get(str(reason), f"reason {reason or 'not given'}")
            self._out.notice("warning", f"{rid} ended incomplete: {why}")

    def _rate_limits(self, event: Event, now: float) -> None:
        if not self.usage.rate_limits_updated(event, now):
            self._out.malformed("rate_limits.updated", "field 'rate_limits' is not a list")

    def _timeout(self, event: Event, now: float) -> None:
        self._out.notice(
            "info",
            "the server's idle timeout fired: no speech for a while, it committed the "
            "silence as a turn (input_audio_buffer.timeout_triggered)",
        )
