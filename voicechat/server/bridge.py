"""The dialect edge of a session: wire text in → validated canonical events; canonical out → wire.

Both transports carry the same JSON events, so parsing, the real server's errors for bad input
(malformed JSON, a missing ``type``, an invalid event in the peer's own dialect) and the beta
mapping live here once. Validation runs on the event *as the client sent it*, so error ``param``
paths use the client's own field names (``session.turn_detection.…`` for beta).

Beta's ``temperature`` has no GA place, so the canonical mapping drops it; the bridge keeps it
for its beta peer (the value the client set, else the real default 0.8) and shows it where the
real beta service did: in the session and in every response object (real beta logs:
``"temperature":0.8,"max_output_tokens":"inf"`` in ``response.created``). It also takes out of
beta sessions what only GA sessions have (``truncation``, ``prompt``, an unset
``idle_timeout_ms``): real beta ``session.created`` events carry none of them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from voicechat.protocol import errors
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.errors import ProtocolError
from voicechat.protocol.mapping import client_event_to_canonical, server_event_from_canonical
from voicechat.protocol.unset_nulls import drop_unset_nulls
from voicechat.server.engine import Engine
from voicechat.server.nesting import nested_too_deeply, too_deep

Validator = Callable[..., ProtocolError | None]

#: The beta session's default temperature (real beta ``session.created``, the beta API docs).
BETA_DEFAULT_TEMPERATURE = 0.8
#: Session keys only GA sessions have; a beta session never shows them.
_GA_ONLY_SESSION_KEYS = ("truncation", "prompt")
_SESSION_EVENTS = ("session.created", "session.updated", "transcription_session.updated")


def _load_validator() -> Validator | None:
    try:
        from voicechat.protocol.validation import validate_client_event
    except ImportError:  # the validator ships with the protocol package; keep serving without it
        return None
    return validate_client_event


#: Errors the beta service worded differently, by GA code: (beta message, beta code).
#: ``response.create`` during a response: "Conversation already has an active response" with
#: ``code: null`` on beta (live, openai/openai-realtime-console#473, 2024-11-05); GA names
#: the response and has the code (live, openai/openai-agents-python#1466).
BETA_ERRORS: Mapping[str, tuple[str, str | None]] = {
    "conversation_already_has_active_response": (
        "Conversation already has an active response",
        None,
    ),
}


def _beta_error_wording(error: dict[str, Any]) -> None:
    beta = BETA_ERRORS.get(str(error.get("code")))
    if beta is not None:
        error["message"], error["code"] = beta


class EventBridge:
    """Converts between one peer's wire dialect and the engine's canonical events."""

    def __init__(self, dialect: Dialect, *, azure: bool = False,
                 client_rewrite: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                 server_rewrite: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None
                 ) -> None:
        self.dialect = dialect
        self.azure = azure
        #: a provider personality's reading of a client event before it is validated
        #: (:mod:`voicechat.server.personalities`: xAI's top-level voice, Voice Live's extras)
        self._client_rewrite = client_rewrite
        #: a personality's last word on a server event in the wire dialect (``None``: unsent;
        #: Voice Live's events cut to what its SDK models)
        self._server_rewrite = server_rewrite
        self._validate = _load_validator()
        self.temperature = BETA_DEFAULT_TEMPERATURE
        self._asked_temperature: float | None = None  # by the update being handled

    def outgoing(self, event: dict[str, Any]) -> str | None:
        """A canonical server event as this peer's wire text (``None``: beta has no such event)."""
        mapped = server_event_from_canonical(event, self.dialect)
        if mapped is None:
            return None
        if self.dialect is Dialect.BETA:
            self._beta_only_fields(mapped)
        if self._server_rewrite is not None:
            mapped = self._server_rewrite(mapped)
            if mapped is None:
                return None
        return json.dumps(mapped, separators=(",", ":"))

    def _beta_only_fields(self, event: dict[str, Any]) -> None:
        """What the real beta service shows that the canonical (GA) event cannot carry."""
        session = event.get("session")
        kind = event.get("type")
        if isinstance(session, dict) and kind in _SESSION_EVENTS:
            if kind == "session.updated" and self._asked_temperature is not None:
                self.temperature = self._asked_temperature
            for key in _GA_ONLY_SESSION_KEYS:
                session.pop(key, None)
            td = session.get("turn_detection")
            if isinstance(td, dict) and td.get("idle_timeout_ms", 0) is None:
                del td["idle_timeout_ms"]
            if session.get("object") != "realtime.transcription_session":
                session["temperature"] = self.temperature
        error = event.get("error")
        if kind == "error" and isinstance(error, dict):
            _beta_error_wording(error)
        response = event.get("response")
        if isinstance(response, dict) and "temperature" not in response:
            response["temperature"] = self.temperature

    def _asked_for(self, data: Mapping[str, Any]) -> float | None:
        """The ``temperature`` a beta ``session.update`` asks for; it becomes the session's
        when the engine applies the update (a refused update changes nothing)."""
        session = data.get("session")
        if data.get("type") == "session.update" and isinstance(session, Mapping):
            value = session.get("temperature")
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
        return None

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
            engine.error(errors.invalid_json(str(exc)), refused="(not JSON)")
            return
        if not isinstance(data, dict):
            engine.error(errors.invalid_json("expected a JSON object"), refused="(not an object)")
            return
        client_event_id = data.get("event_id") if isinstance(data.get("event_id"), str) else None
        if too_deep(data):  # before validation and deepcopy, which recurse per level
            engine.error(nested_too_deeply(), client_event_id, refused="(too deeply nested)")
            return
        if not isinstance(data.get("type"), str):
            engine.error(errors.missing_event_type(), client_event_id, refused="(no type)")
            return
        if self._client_rewrite is not None:
            data = self._client_rewrite(data)
        # "not set" nulls (LiveKit's ``"instructions": null``) leave before the engine sees the
        # event, so a null there means the session's value, as an absent key does
        cleaned = drop_unset_nulls(data, self.dialect)  # the same object when none: no copy
        if cleaned is not data:  # per frame, audio appends included
            data = dict(cleaned)
        problem = self.check(data)
        if problem is not None:
            engine.error(problem, client_event_id, refused=data["type"])
            return
        if self.dialect is Dialect.BETA:
            self._asked_temperature = self._asked_for(data)
        try:
            await engine.handle(client_event_to_canonical(data, self.dialect))
        finally:
            self._asked_temperature = None
