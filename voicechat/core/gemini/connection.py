"""The life of a Gemini Live conversation across connections: a connection lasts about ten
minutes (``goAway`` warns, then the server closes 1011 "Deadline expired…"), and the session
goes on over a new one that sends the last ``sessionResumptionUpdate`` handle in its ``setup``.

Decisions (providers.md §2 says to resume, not when):

* after ``goAway`` the client waits for the turn in progress to end and for the user to pause
  (so no answer is cut in half, and no words are lost in the old connection's VAD buffer) and
  reconnects then, or :data:`~.policy.GO_AWAY_MARGIN_S` before the announced end,
  whichever is first; with no turn in progress it reconnects at once. The old socket is closed
  first: the service refuses to resume a session whose connection is still open;
* an unexpected close is resumed too when its code is retryable (1011, 1001, 1006 and the
  deadline), up to :data:`~.policy.MAX_RECONNECTS` tries with backoff; a 1007/1008 is not (the
  same setup would be refused again) and ends the conversation with the close code's meaning
  and fix;
* a resume refused with 1007 (the handle is no longer resumable) starts a fresh session once,
  saying that the model lost the conversation's context.
"""

from __future__ import annotations

from typing import Literal

from voicechat.core.actions import Notice
from voicechat.core.gemini.actions import Reconnect
from voicechat.core.gemini.policy import GO_AWAY_MARGIN_S, MAX_RECONNECTS, RECONNECT_BACKOFF_S
from voicechat.protocol.gemini import close_codes

LinkState = Literal["idle", "connecting", "setting_up", "ready", "reconnecting", "closing",
                    "closed", "failed"]


def close_notice(code: int | None, reason: str) -> str:
    """A close explained: what the code means from Gemini Live, and the fix."""
    info = close_codes.describe(code)
    said = f": {reason}" if reason else ""
    shown = "no close code" if code is None else f"close code {code} ({info.name})"
    fix = info.fix
    if code == close_codes.POLICY_VIOLATION and "key" in reason.lower():
        fix = "check the key in GEMINI_API_KEY (or GOOGLE_API_KEY): it is not one this " \
              f"endpoint accepts. Otherwise: {fix}"
    return f"Gemini Live closed the connection with {shown}{said}. {info.meaning} Fix: {fix}"


class ConnectionLife:
    """Where the link is, the handle to resume with, and when to reconnect."""

    def __init__(self) -> None:
        self.state: LinkState = "idle"
        self.handle: str | None = None
        self.connections = 0  # setups completed
        self.reconnects = 0  # resumptions asked for
        self.close_reason: str | None = None
        self._tries = 0
        self._due: float | None = None  # a reconnect waiting (goAway, backoff)
        self._due_reason = ""
        self._going_away = False
        self._resuming = False  # the setup in flight carries a handle
        #: a fresh session's loss of context was said (the session says it, once per reconnect)
        self.fresh_said = False

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    @property
    def ended(self) -> bool:
        return self.state in ("closing", "closed", "failed")

    def deadline(self) -> float | None:
        return self._due

    # --- the link's facts -------------------------------------------------------------------

    def connected(self) -> str | None:
        """The socket is open: the handle to put in ``setup`` (``None``: a fresh session)."""
        self.state = "setting_up"
        self._resuming = self.handle is not None
        return self.handle

    def setup_complete(self) -> bool:
        """``True`` when it completes the setup in flight (a stray one is ignored)."""
        if self.state != "setting_up":
            return False
        self.state = "ready"
        self.fresh_said = False
        self.connections += 1
        self._tries = 0
        self._going_away = False
        return True

    def new_handle(self, handle: str | None, resumable: bool) -> None:
        if resumable and handle:
            self.handle = handle

    def go_away(self, time_left_s: float | None, now: float, *, busy: bool) -> Reconnect | None:
        """The server will close this connection: reconnect now, or when the turn ends."""
        if self.ended or self.state != "ready":
            return None
        self._going_away = True
        if not busy:
            return self._reconnect("the connection's time is up (goAway)")
        left = time_left_s if time_left_s is not None else GO_AWAY_MARGIN_S
        self._due = now + max(0.0, left - GO_AWAY_MARGIN_S)
        self._due_reason = "the connection's time is up (goAway)"
        return None

    def quiet(self) -> Reconnect | None:
        """Nothing is under way (no answer, no tool, the user not speaking): the moment a
        goAway was waiting for."""
        if self._going_away and self.state == "ready":
            return self._reconnect("the connection's time is up (goAway)")
        return None

    def timer(self, now: float) -> Reconnect | None:
        if self._due is None or now < self._due or self.ended:
            return None
        return self._reconnect(self._due_reason)

    def closed(self, code: int | None, reason: str,
               now: float) -> tuple[Reconnect | None, list[Notice]]:
        """The socket closed: resume, or end the conversation saying why."""
        if self.state == "closing":
            self.state = "closed"
            self.close_reason = "ended by the user"
            return None, []
        if self.state in ("reconnecting", "closed", "failed", "idle"):
            return None, []  # the old socket we closed on purpose, or nothing to do
        if self._resuming and code == close_codes.INVALID_PAYLOAD and self.state == "setting_up":
            self.handle = None
            self.fresh_said = True  # said here, with the reason
            notice = Notice("warning", "Gemini Live could not resume the session (close "
                            f"1007{': ' + reason if reason else ''}); starting a fresh one: "
                            "the model no longer knows the conversation so far")
            return self._reconnect("the session handle was refused"), [notice]
        deadline = close_codes.is_deadline(code, reason)
        if not (deadline or close_codes.describe(code).retryable):
            return self._fail(close_notice(code, reason))
        return self._retry(now, None if deadline else Notice(
            "warning", close_notice(code, reason) + " Resuming the session."))

    def connect_failed(self, reason: str, now: float) -> tuple[Reconnect | None, list[Notice]]:
        if self.ended:
            return None, []
        return self._retry(now, Notice("warning", f"reconnecting failed: {reason}"))

    def hangup(self) -> bool:
        """``True`` when there is a socket to close."""
        had = self.state in ("connecting", "setting_up", "ready", "reconnecting")
        self.state = "closing" if had else "closed"
        self._due = None
        return had

    # --- parts ------------------------------------------------------------------------------

    def _retry(self, now: float,
               notice: Notice | None) -> tuple[Reconnect | None, list[Notice]]:
        notices = [notice] if notice is not None else []
        if self._tries >= MAX_RECONNECTS:
            return self._fail(f"Gemini Live: gave up after {self._tries} tries to reconnect "
                              "(see the notices above for why)", notices)
        backoff = RECONNECT_BACKOFF_S[min(self._tries, len(RECONNECT_BACKOFF_S) - 1)]
        self._tries += 1
        if self._tries == 1:
            return self._reconnect("the connection closed"), notices
        self.state = "reconnecting"
        self._due = now + backoff
        self._due_reason = "the connection closed"
        return None, notices

    def _fail(self, message: str,
              notices: list[Notice] | None = None) -> tuple[None, list[Notice]]:
        self.state = "failed"
        self._due = None
        self.close_reason = message
        return None, [*(notices or []), Notice("error", message)]

    def _reconnect(self, reason: str) -> Reconnect:
        self.state = "reconnecting"
        self._due = None
        self._going_away = False
        self.reconnects += 1
        return Reconnect(self.handle, reason)
