"""The dialect edge of a session: wire text in → validated canonical events; canonical out → wire.

Both transports carry the same JSON events, so parsing, the real server's errors for bad input
(malformed JSON, a missing ``type``, an invalid event in the peer's own dialect) and the beta
mapping live here once. Validation runs on the event *as the client sent it*, so error ``param``
paths use the client's own field names (``session.turn_detection.…`` for beta).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from voicechat.protocol import errors
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.errors import ProtocolError
from voicechat.protocol.mapping import client_event_to_canonical, server_event_from_canonical
from voicechat.server.engine import Engine
from voicechat.server.nesting import nested_too_deeply, too_deep

Validator = Callable[..., ProtocolError | None]


def _load_validator() -> Validator | None:
    try:
        from voicechat.protocol.validation import validate_client_event
    except ImportError:  # the validator ships with the protocol package; keep serving without it
        return None
    return validate_client_event


class EventBridge:
    """Converts between one peer's wire dialect and the engine's canonical events."""

    def __init__(self, dialect: Dialect, *, azure: bool = False) -> None:
        self.dialect = dialect
        self.azure = azure
        self._validate = _load_validator()

    def outgoing(self, event: dict[str, Any]) -> str | None:
        """A canonical server event as this peer's wire text (``None``: beta has no such event)."""
        mapped = server_event_from_canonical(event, self.dialect)
        if mapped is None:
            return None
        return json.dumps(mapped, separators=(",", ":"))

    def check(self, event: dict[str, Any]) -> ProtocolError | None:
        """Validate a parsed client event in this peer's dialect."""
        if self._validate is None:
            return None
        return self._validate(event, self.dialect, azure=self.azure)

    async def incoming(self, text: str, engine: Engine) -> None:
        """Parse, validate, map and hand one client frame to ``engine`` (errors go back)."""
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            engine.error(errors.invalid_json(str(exc)))
            return
        if not isinstance(data, dict):
            engine.error(errors.invalid_json("expected a JSON object"))
            return
        client_event_id = data.get("event_id") if isinstance(data.get("event_id"), str) else None
        if too_deep(data):  # before validation and deepcopy, which recurse per level
            engine.error(nested_too_deeply(), client_event_id)
            return
        if not isinstance(data.get("type"), str):
            engine.error(errors.missing_event_type(), client_event_id)
            return
        problem = self.check(data)
        if problem is not None:
            engine.error(problem, client_event_id)
            return
        await engine.handle(client_event_to_canonical(data, self.dialect))
