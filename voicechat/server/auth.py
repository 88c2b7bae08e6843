"""Who may talk to the local server: API keys and the ephemeral ``ek_`` tokens it mints.

Rules (mirroring the real API where it matters to clients):

* With no server key configured (the loopback demo) any key is accepted, and so is no key at
  all; with a key configured only that key or a live ``ek_`` token minted here is accepted.
* ``ek_`` tokens minted here are *always* checked for expiry (beta: 60 s, GA: ``expires_after``,
  default 600 s) — an expired one gets 401 even in demo mode, so clients can test their refresh.
* A request from a browser (it carries an ``Origin`` the server was not told to trust) is
  accepted only with a live ``ek_`` token minted here, never with "any key", even in demo mode,
  and may not mint: a page the user happens to visit must not drive the local pipeline. The
  documented browser flow (the app's backend mints, the page connects with the ``ek_``) works.
* The store is bounded (:data:`MAX_GRANTS` tokens, :data:`MAX_STORED_BYTES` of sessions): a
  mint past either is refused with a 429 instead of growing the server.
* Keys are read from ``Authorization: Bearer``, ``api-key`` (Azure), the browser subprotocol
  ``openai-insecure-api-key.<key>`` or Azure's ``api-key`` query parameter. They are compared in
  constant time and never logged or echoed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
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
MAX_GRANTS = 1000
MAX_STORED_BYTES = 32 * 1024 * 1024
NO_KEY = (
    "You didn't provide an API key. Send the key this server was started with as "
    "'Authorization: Bearer <key>'"
)
BROWSER_NEEDS_EK = (
    "a browser (a request with an Origin header) may connect only with an ephemeral ek_ key "
    "minted by this server's /v1/realtime/client_secrets; start the server with "
    "--allow-origin ORIGIN to trust a page's origin"
)


class StoreFull(Exception):
    """No room for another token (the message says which bound was hit)."""


@dataclass
class Grant:
    """What a minted token stands for: the session it seeds and when it dies."""

    expires_at: float
    session: dict[str, Any]
    dialect: Dialect
    owner: str = ""  # the identity of the key that minted it (call caps count against it)
    size: int = 0  # bytes of the stored session, counted against MAX_STORED_BYTES


@dataclass
class AuthResult:
    ok: bool
    grant: Grant | None = None
    reason: str = ""
    status: int = 401


@dataclass
class TokenStore:
    """Mints and checks ephemeral tokens; holds the optional server key."""

    api_key: str | None = None
    clock: Callable[[], float] = time.time
    max_grants: int = MAX_GRANTS
    max_stored_bytes: int = MAX_STORED_BYTES
    _grants: dict[str, Grant] = field(default_factory=dict)
    stored_bytes: int = 0

    def mint(
        self, session: dict[str, Any], dialect: Dialect, ttl_s: float, owner: str = ""
    ) -> tuple[str, int]:
        """A new ``ek_`` token and its unix expiry; :class:`StoreFull` when there is no room."""
        size = len(json.dumps(session))
        self._forget_expired(grace_s=3600)
        if not self._has_room(size):
            self._forget_expired(grace_s=0)  # expired tokens then read as unknown, not expired
        if not self._has_room(size):
            raise StoreFull(
                f"Too many live ephemeral keys on this server ({len(self._grants)} holding "
                f"{self.stored_bytes} bytes; the limits are {self.max_grants} keys and "
                f"{self.max_stored_bytes} bytes). Let some expire (or mint shorter-lived ones) "
                "and try again."
            )
        token = "ek_" + secrets.token_urlsafe(24)
        expires_at = self.clock() + ttl_s
        self._grants[token] = Grant(expires_at, session, dialect, owner, size)
        self.stored_bytes += size
        return token, int(expires_at)

    def check(self, credential: str | None, *, browser: bool = False) -> AuthResult:
        """Whether ``credential`` may open a session (and the grant it carries, if minted here).

        ``browser``: the request came from a web page, which only a minted ``ek_`` admits.
        """
        if credential is not None and credential.startswith("ek_"):
            grant = self._grants.get(credential)
            if grant is not None:
                if self.clock() >= grant.expires_at:
                    return AuthResult(False, reason="the ephemeral key has expired; mint a new one")
                return AuthResult(True, grant)
        if browser:
            return AuthResult(False, reason=BROWSER_NEEDS_EK)
        if self.api_key is None:
            return AuthResult(True)
        if credential is None:
            return AuthResult(False, reason=NO_KEY)
        if hmac.compare_digest(credential.encode(), self.api_key.encode()):
            return AuthResult(True)
        return AuthResult(False, reason="incorrect API key provided")

    def check_key(self, credential: str | None, *, browser: bool = False) -> AuthResult:
        """For minting endpoints: a real key is required when the server has one (not an ek_);
        a browser may never mint (it must not hold the key)."""
        if browser:
            return AuthResult(
                False,
                reason="ephemeral keys cannot be minted from a browser: mint them on your "
                "app's server, which holds the API key, and hand the ek_ key to the page",
                status=403,
            )
        if self.api_key is None:
            return AuthResult(True)
        if credential is None:
            return AuthResult(False, reason=NO_KEY)
        if hmac.compare_digest(credential.encode(), self.api_key.encode()):
            return AuthResult(True)
        return AuthResult(False, reason="incorrect API key provided")

    def _has_room(self, size: int) -> bool:
        return (
            len(self._grants) < self.max_grants
            and self.stored_bytes + size <= self.max_stored_bytes
        )

    def _forget_expired(self, grace_s: float) -> None:
        """Drop tokens expired more than ``grace_s`` ago (within it they still read "expired")."""
        now = self.clock()
        for token in [t for t, g in self._grants.items() if g.expires_at <= now - grace_s]:
            self.stored_bytes -= self._grants.pop(token).size


def key_identity(credential: str | None) -> str:
    """A short, non-reversible name for a credential (caps count per key; logs never see it)."""
    return hashlib.sha256((credential or "").encode()).hexdigest()[:16]


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
