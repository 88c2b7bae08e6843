"""Which response is active from the client's point of view, and what waits for it.

A response is active from the moment we send ``response.create`` (or the server announces one
with ``response.created``) until its ``response.done``. While one is active a new create is
queued, never sent: the server would reject it, and two answers would talk over each other. The
tracker only keeps this state; :class:`voicechat.core.session.Session` decides what to send and
what to tell the user.
"""

from __future__ import annotations

import re
from typing import Literal

from voicechat.core.view import ResponseInfo, ResponseStatus

MAX_REMEMBERED = 500
_RESPONSE_ID = re.compile(r"resp_[A-Za-z0-9_-]+")
FINAL_STATUSES: dict[str, ResponseStatus] = {
    "completed": "completed",
    "cancelled": "cancelled",
    "failed": "failed",
    "incomplete": "incomplete",
}


class ResponseTracker:
    """One conversation's response slot, the queued create, and pending cancels."""

    def __init__(self) -> None:
        self.active_id: str | None = None
        self.in_flight = False
        self.create_event_id: str | None = None
        self.queued = False
        self.cancel_on_create = False
        self.info: ResponseInfo | None = None
        self._cancelled: set[str] = set()
        self._ended: dict[str, None] = {}  # finished response ids, oldest first

    @property
    def busy(self) -> bool:
        """A response is active (or asked for and not yet answered)."""
        return self.active_id is not None or self.in_flight

    # --- the client's side ---------------------------------------------------------------------

    def requested(self, event_id: str | None) -> None:
        self.in_flight = True
        self.create_event_id = event_id
        self.info = ResponseInfo(None, "requested", None, "client")

    def queue(self) -> bool:
        """Remember that a create is wanted; ``False`` when one was already queued."""
        if self.queued:
            return False
        self.queued = True
        return True

    def take_queued(self) -> bool:
        queued, self.queued = self.queued, False
        return queued

    def cancel_target(self) -> str | None:
        """The response id to send ``response.cancel`` for, at most once per response.

        With a create still unanswered there is nothing to name yet: the cancel is sent when
        its ``response.created`` arrives.
        """
        if self.active_id is not None:
            if self.active_id in self._cancelled:
                return None
            self._cancelled.add(self.active_id)
            if len(self._cancelled) > MAX_REMEMBERED:
                self._cancelled.clear()
                self._cancelled.add(self.active_id)
            return self.active_id
        if self.in_flight:
            self.cancel_on_create = True
        return None

    def was_cancelled(self, rid: str) -> bool:
        """We sent ``response.cancel`` for ``rid`` (the last few hundred remembered)."""
        return rid in self._cancelled

    # --- the server's side ---------------------------------------------------------------------

    def created(self, rid: str) -> tuple[str | None, bool]:
        """``response.created``: returns (the id it superseded, whether to cancel it now)."""
        superseded = self.active_id if self.active_id not in (None, rid) else None
        self._ended.pop(rid, None)  # ids are never reused, but a confused server must not wedge us
        origin: Literal["client", "server"] = "client" if self.in_flight else "server"
        self.in_flight = False
        self.create_event_id = None
        self.active_id = rid
        self.info = ResponseInfo(rid, "in_progress", None, origin)
        cancel_now, self.cancel_on_create = self.cancel_on_create, False
        return superseded, cancel_now

    def done(self, rid: str | None, status: ResponseStatus, reason: str | None) -> bool:
        """``response.done``; ``False`` when it ends nothing (a repeat, or a superseded one)."""
        if rid is not None and rid in self._ended:
            return False
        if self.active_id is not None and rid is not None and rid != self.active_id:
            return False
        if rid is not None:
            self._ended[rid] = None
            if len(self._ended) > MAX_REMEMBERED:
                del self._ended[next(iter(self._ended))]
        origin = self.info.origin if self.info is not None else "server"
        self.info = ResponseInfo(rid, status, reason, origin)
        self.active_id = None
        self.in_flight = False
        self.cancel_on_create = False
        return True

    def rejected_as_busy(self, message: str) -> None:
        """``conversation_already_has_active_response``: our create bounced; retry after done."""
        if self.in_flight:
            self.in_flight = False
            self.queued = True
        found = _RESPONSE_ID.search(message)
        if self.active_id is None and found:
            self.active_id = found.group(0)
            self.info = ResponseInfo(self.active_id, "in_progress", None, "server")

    def request_failed(self, event_id: object, message: str) -> bool:
        """An error answering our own ``response.create`` (matched by ``event_id``)."""
        if not self.in_flight or event_id is None or event_id != self.create_event_id:
            return False
        self.in_flight = False
        self.info = ResponseInfo(None, "failed", message, "client")
        return True

    def lost(self) -> None:
        """The transport went away: nothing is active any more, nothing waits."""
        self.active_id = None
        self.in_flight = False
        self.queued = False
        self.cancel_on_create = False
        if self.info is not None and self.info.status in ("requested", "in_progress"):
            self.info = ResponseInfo(self.info.id, "failed", "connection lost", self.info.origin)


def final_status(raw: object) -> ResponseStatus:
    """The status of a ``response.done``; anything unrecognised counts as completed."""
    return FINAL_STATUSES.get(raw, "completed") if isinstance(raw, str) else "completed"
