"""One log line per refused client event, at the server's default level.

Why: a client whose event the server refused learns it from an ``error`` event, but the developer
watching ``voicechat serve`` saw only ``errors=1`` when the session closed, even at ``-vv``, and
had to log on the client side to find which event and why (issue 56: LiveKit's
``response.create`` with ``"instructions": null``). The line names the session, the event's
type (or what the frame was, when it had none), the client's ``event_id``, the error's code,
param and message: the same words the client got. Message and param quote client text; the
server's :class:`~voicechat.server.redact.SecretFilter` escapes control characters and masks
keys in every record, this one included.
"""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger("voicechat.server")


class Refused(Protocol):
    """What both families' errors carry (Realtime's ``ProtocolError``, GPT-Live's
    ``LiveError``)."""

    @property
    def code(self) -> str | None: ...
    @property
    def message(self) -> str: ...
    @property
    def param(self) -> str | None: ...
    @property
    def type(self) -> str: ...


def log_refusal(
    session_id: object, refused: str, error: Refused, client_event_id: str | None = None
) -> None:
    """``session sess_… refused response.create (evt_1): [invalid_type] response.instructions:
    Invalid type for …`` at INFO, which ``voicechat serve`` shows by default."""
    log.info(
        "session %s refused %s%s: [%s] %s%s",
        session_id,
        refused,
        f" ({client_event_id})" if client_event_id else "",
        error.code or error.type,
        f"{error.param}: " if error.param else "",
        error.message,
    )
