"""Turn canonical client events into what goes on the wire, validating config events first.

A bad config must be a clear error in the server's own words *before* anything is sent, so
``session.update``, ``response.create`` and ``conversation.item.create`` are rendered for the
endpoint's dialect and checked with :func:`voicechat.protocol.validation.validate_client_event`.
Other events (commit, clear, cancel, truncate) carry no user config and are only rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from voicechat.core.actions import Action, Notice, Send
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.errors import ProtocolError
from voicechat.protocol.mapping import client_event_from_canonical
from voicechat.protocol.providers import (
    PROFILES,
    Profile,
    outbound_event,
    validation_session,
)

VALIDATED_EVENTS: frozenset[str] = frozenset(
    {"session.update", "response.create", "conversation.item.create"}
)

Validator = Callable[..., ProtocolError | None]


def _load_validator() -> Validator | None:
    try:
        from voicechat.protocol.validation import validate_client_event
    except ImportError:  # pragma: no cover - only while protocol/validation.py is being written
        return None
    return validate_client_event


class Outbox:
    """Renders and validates outgoing events for one endpoint; numbers them with ``event_id``."""

    def __init__(self, dialect: Dialect, *, azure: bool = False,
                 profile: Profile = PROFILES["openai"]) -> None:
        self.dialect = dialect
        self.azure = azure
        #: the provider's edge, applied after validation (the validator knows the dialect's
        #: shape; a profile's rewrites, such as xAI's top-level voice, are not in it)
        self._profile = profile if profile.rewrites else None
        #: a provider's own session fields (Voice Live's Azure settings) are sent as given and
        #: validated as the dialect setting they behave like
        self._extras = profile if profile.session_extras or profile.vad_types else None
        self._counter = 0
        self._validator: Validator | None = None
        self._validator_loaded = False

    @property
    def validator(self) -> Validator | None:
        if not self._validator_loaded:
            self._validator = _load_validator()
            self._validator_loaded = True
        return self._validator

    def render(self, event: Mapping[str, Any]) -> list[Action]:
        """``[Send]`` for a good event; ``[Notice("error", …)]`` and nothing sent for a bad one."""
        self._counter += 1
        canonical = {"event_id": f"vc_{self._counter}", **event}
        wire = client_event_from_canonical(canonical, self.dialect)
        if event.get("type") not in VALIDATED_EVENTS:
            return [Send(self._for_provider(wire))]
        validate = self.validator
        if validate is None:
            return [
                Notice(
                    "warning",
                    f"{wire.get('type')} sent unvalidated: voicechat.protocol.validation is "
                    "missing (reinstall voicechat)",
                ),
                Send(self._for_provider(wire)),
            ]
        error = validate(self._as_checked(wire), self.dialect, azure=self.azure)
        if error is not None:
            return [Notice("error", describe_error(error, wire))]
        return [Send(self._for_provider(wire))]

    def _as_checked(self, wire: dict[str, Any]) -> dict[str, Any]:
        session = wire.get("session")
        if self._extras is None or not isinstance(session, Mapping):
            return wire
        return {**wire, "session": validation_session(session, self._extras)}

    def _for_provider(self, wire: dict[str, Any]) -> dict[str, Any]:
        return wire if self._profile is None else outbound_event(wire, self._profile)


def describe_error(error: ProtocolError, wire: Mapping[str, Any]) -> str:
    """``<server-worded message> (param …)``, naming the event that was not sent."""
    where = f"param {error.param}" if error.param else f"code {error.code or 'unknown'}"
    return f"{error.message} ({where}; {wire.get('type')} not sent)"
