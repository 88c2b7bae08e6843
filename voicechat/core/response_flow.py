"""Asking for, queueing and cancelling responses, and reading what the server says about them.

From the client's view at most one response is active: one the server announced
(``response.created`` → ``response.done``) or one we asked for and have not heard back about.
A ``response.create`` wanted meanwhile is queued (one at most; later wishes merge into it, since
one response answers every new item) and sent when ``response.done`` arrives, with a Notice
either way. Client-created responses follow non-empty input only (typed text that is not blank
here, enough push-to-talk audio in :mod:`voicechat.core.ptt`). ``response.cancel`` is sent at
most once per response and only while one is active; a cancel asked before ``response.created``
is sent once it arrives. The state lives in
:class:`voicechat.core.responses.ResponseTracker`; this part decides what to send and say.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voicechat.core.effects import Effects
from voicechat.core.responses import ResponseTracker, final_status


class ResponseFlow:
    """The session's responses: requests, the queue, cancels, and the server's answers."""

    def __init__(self, effects: Effects) -> None:
        self.tracker = ResponseTracker()
        self._out = effects
        #: responses this session saw end with status ``completed`` (each counted once)
        self.completed = 0

    @property
    def busy(self) -> bool:
        return self.tracker.busy

    @property
    def active_id(self) -> str | None:
        """The response the server announced and has not finished (``None`` while asking)."""
        return self.tracker.active_id

    # --- the client's wishes ---------------------------------------------------------------

    def request(self) -> None:
        """Create a response now, or queue it (visibly) while one is active."""
        tracker = self.tracker
        if tracker.busy:
            if tracker.queue():
                message = "response queued: waiting for the current response to finish"
            else:
                message = "a response is already queued"
            self._out.notice("info", message)
            return
        sent = self._out.send({"type": "response.create"})
        if sent is not None:
            tracker.requested(sent.event.get("event_id"))

    def ask(self, text: str) -> None:
        """A typed message: the item, then a response to it; blank text sends nothing."""
        if not text.strip():
            self._out.notice("warning", "nothing to send: the message is empty")
            return
        content = [{"type": "input_text", "text": text}]
        item = {"type": "message", "role": "user", "content": content}
        if self._out.send({"type": "conversation.item.create", "item": item}) is not None:
            self.request()

    def ask_with_image(self, image_url: str, caption: str) -> None:
        """A picture (``input_image``, GA) with its caption as ``input_text``, then a response
        to it, as for typed text; a refused item (the validator) asks for nothing."""
        content: list[dict[str, Any]] = [{"type": "input_image", "image_url": image_url}]
        if caption.strip():
            content.append({"type": "input_text", "text": caption})
        item = {"type": "message", "role": "user", "content": content}
        if self._out.send({"type": "conversation.item.create", "item": item}) is not None:
            self.request()

    def cancel_active(self) -> None:
        target = self.tracker.cancel_target()
        if target is not None:
            self._out.send({"type": "response.cancel", "response_id": target})

    def drop_queued(self) -> None:
        """The user cancelled: a queued create goes too."""
        if self.tracker.take_queued():
            self._out.notice("info", "queued response dropped")

    # --- the server's answers --------------------------------------------------------------

    def created(self, event: Mapping[str, Any]) -> bool:
        """``response.created``; ``True`` when it made a response active."""
        response = event.get("response")
        rid = response.get("id") if isinstance(response, Mapping) else None
        if not isinstance(rid, str):
            self._out.notice(
                "warning", "skipped a malformed response.created: field 'response' has no 'id'"
            )
            return False
        superseded, cancel_now = self.tracker.created(rid)
        if superseded is not None:
            self._out.notice(
                "warning", f"server started {rid} while {superseded} was still active"
            )
        if cancel_now:
            self.cancel_active()
        return True

    def done(self, event: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """``response.done``: the response object when it ended the active response."""
        response = event.get("response")
        if not isinstance(response, Mapping):
            self._out.notice(
                "warning", "skipped a malformed response.done: field 'response' is not an object"
            )
            return None
        rid = response.get("id")
        rid = rid if isinstance(rid, str) else None
        status = final_status(response.get("status"))
        reason = status_reason(response.get("status_details"))
        if not self.tracker.done(rid, status, reason):
            return None
        if status == "completed":
            self.completed += 1
        if status == "failed":
            self._out.notice("error", f"response failed: {reason or 'no reason given'}")
        if self.tracker.take_queued():
            self.request()
        return response

    def error(self, event: Mapping[str, Any]) -> None:
        """An ``error`` event: busy rejections queue, our failed create ends, the rest is shown."""
        error = event.get("error")
        error = error if isinstance(error, Mapping) else {}
        code = error.get("code")
        message = str(error.get("message") or "unknown error")[:500]
        if is_busy_rejection(code, message):
            self.tracker.rejected_as_busy(message)
            self._out.notice(
                "warning",
                "the server already has an active response; "
                "the new response is queued until it finishes",
            )
            return
        if code == "response_cancel_not_active":
            self._out.notice("info", "nothing to cancel: the response had already finished")
            return
        self.tracker.request_failed(error.get("event_id"), message)
        param = error.get("param")
        detail = f"param {param}" if param else f"code {code}" if code else "no code"
        self._out.notice("error", f"server error: {message} ({detail})")


def is_busy_rejection(code: Any, message: str) -> bool:
    """Whether an error refuses a ``response.create`` because a response is still running.

    GA says so with the code ``conversation_already_has_active_response``; the older beta
    service sent the same refusal with ``code: null`` and only the message "Conversation
    already has an active response" (realtime-tools.md §3, openai-realtime-console#473), which
    the local server's beta dialect reproduces. Both mean "retry after ``response.done``".
    """
    if code == "conversation_already_has_active_response":
        return True
    return code is None and message.startswith("Conversation already has an active response")


def status_reason(details: Any) -> str | None:
    """``turn_detected`` / ``client_cancelled`` / an error message, from ``status_details``."""
    if not isinstance(details, Mapping):
        return None
    error = details.get("error")
    if isinstance(error, Mapping):
        text = error.get("message") or error.get("code")
        if text:
            return str(text)
    reason = details.get("reason")
    return str(reason) if reason else None
