"""Who may talk to the local server: API keys and the ephemeral ``ek_`` tokens it mints.

Rules (mirroring the real API where it matters to clients):

* With no server key configured (the loopback demo) any key is accepted, and so is no key at
  all; with a key configured only that key or a live ``ek_`` token minted here is accepted.
* ``ek_`` tokens minted here are *always* checked for expiry (beta: 60 s, GA: ``expires_after``,
  default 600 s) — an expired one gets 401 even in demo mode, so clients can test their refresh.
* Keys are read from ``Authorization: Bearer``, ``api-key`` (Azure), the browser subprotocol
  ``openai-insecure-api-key.<key>`` or Azure's ``api-key`` query parameter. They are compared in
  constant time and never logged or echoed.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from voicechat.protocol.dialect import Dialect

INSECURE_KEY_PREFIX = "openai-insecure-api-key."
BETA_SUBPROTOCOL = "openai-beta.realtime-v1"
BETA_TTL_S = 60
GA_DEFAULT_TTL_S = 600
MAX_TTL_S = 7200
MIN_TTL_S = 10


@dataclass
class Grant:
    """What a minted token stands for: the session it seeds and when it dies."""

    expires_at: float
    session: dict[str, Any]
    dialect: Dialect


@dataclass
class AuthResult:
    ok: bool
    grant: Grant | None = None
    reason: str = ""


@dataclass
class TokenStore:
    """Mints and checks ephemeral tokens; holds the optional server key."""

    api_key: str | None = None
    clock: Callable[[], float] = time.time
    _grants: dict[str, Grant] = field(default_factory=dict)

    def mint(self, session: dict[str, Any], dialect: Dialect, ttl_s: float) -> tuple[str, int]:
        """A new ``ek_`` token and its unix expiry."""
        self._forget_expired()
        token = "ek_" + secrets.token_urlsafe(24)
        expires_at = self.clock() + ttl_s
        self._grants[token] = Grant(expires_at, session, dialect)
        return token, int(expires_at)

    def check(self, credential: str | None) -> AuthResult:
        """Whether ``credential`` may open a session (and the grant it carries, if minted here)."""
        if credential is not None and credential.startswith("ek_"):
            grant = self._grants.get(credential)
            if grant is not None:
                if self.clock() >= grant.expires_at:
                    return AuthResult(False, reason="the ephemeral key has expired; mint a new one")
                return AuthResult(True, grant)
        if self.api_key is None:
            return AuthResult(True)
        if credential is None:
            return AuthResult(False, reason="no API key was sent")
        if hmac.compare_digest(credential.encode(), self.api_key.encode()):
            return AuthResult(True)
        return AuthResult(False, reason="incorrect API key provided")

    def check_key(self, credential: str | None) -> AuthResult:
        """For minting endpoints: a real key is required when the server has one (not an ek_)."""
        if self.api_key is None:
            return AuthResult(True)
        if credential is not None and hmac.compare_digest(
            credential.encode(), self.api_key.encode()
        ):
            return AuthResult(True)
        return AuthResult(False, reason="incorrect API key provided")

    def _forget_expired(self) -> None:
        now = self.clock()
        for token in [t for t, g in self._grants.items() if g.expires_at <= now - 3600]:
            del self._grants[token]


def credential_from(
    headers: Mapping[str, str], query: Mapping[str, str], subprotocols: Iterable[str] = ()
) -> str | None:
    """The key a request carries, from whichever place the client put it."""
    auth = headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        value = auth[7:].strip()
        if value:
            return value
    for name in ("api-key", "Api-Key"):
        if headers.get(name):
            return headers[name].strip()
    for proto in subprotocols:
        if proto.startswith(INSECURE_KEY_PREFIX) and len(proto) > len(INSECURE_KEY_PREFIX):
            return proto[len(INSECURE_KEY_PREFIX) :]
    if query.get("api-key"):
        return query["api-key"]
    return None


def offered_subprotocols(headers: Mapping[str, str]) -> list[str]:
    raw = headers.get("Sec-WebSocket-Protocol", "")
    return [p.strip() for p in raw.split(",") if p.strip()]


def ttl_from(body: Mapping[str, Any] | None, default: int) -> int | str:
    """``expires_after.seconds`` clamped to the API's range; a string is an error message."""
    if not isinstance(body, Mapping):
        return default
    after = body.get("expires_after")
    if after is None and isinstance(body.get("client_secret"), Mapping):
        after = body["client_secret"].get("expires_after")
    if after is None:
        return default
    if not isinstance(after, Mapping):
        return "Invalid type for 'expires_after': expected an object."
    seconds = after.get("seconds", default)
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        return "Invalid type for 'expires_after.seconds': expected an integer."
    if not MIN_TTL_S <= seconds <= MAX_TTL_S:
        return (
            f"Invalid 'expires_after.seconds': expected a value between {MIN_TTL_S} and "
            f"{MAX_TTL_S}, but got {seconds} instead."
        )
    return seconds
