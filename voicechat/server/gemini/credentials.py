"""Who may open a Gemini Live connection: project keys and ephemeral tokens.

A project key rides as ``?key=KEY`` (Google's WebSocket docs) or the SDK's ``x-goog-api-key``
header; it is checked against the server's key (any key when it has none, as on every other
path). An ephemeral token (``auth_tokens/…``) rides as ``?access_token=`` or the SDK's
``Authorization: Token …`` and is good only on the v1alpha ``…Constrained`` path, minted here
by ``POST /v1alpha/auth_tokens`` (the SDK's ``client.auth_tokens.create``) with Google's
defaults: it expires after 30 minutes, must start a session within 1 minute, and serves one
session (``uses: 1``).

A refusal is a close 1008 after the upgrade, not an HTTP error: the SDK sends ``setup`` before it
reads anything, and Google's own refusals of bad keys reach clients as close frames
("API key not valid. Please pass a valid API key.", [3p] reports; [infer] for tokens).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

from voicechat.protocol.gemini import errors, names
from voicechat.protocol.gemini.errors import Refusal
from voicechat.server.auth import TokenStore

BAD_KEY = "API key not valid. Please pass a valid API key."
#: Google's defaults for a token minted without them
TOKEN_EXPIRE_S = 1800.0
TOKEN_NEW_SESSION_S = 60.0
MAX_TOKENS = 1000


def project_key(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    return query.get("key") or headers.get(names.API_KEY_HEADER) or None


def ephemeral_token(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    auth = headers.get("Authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme == names.TOKEN_SCHEME and value.strip():
        return value.strip()
    return query.get("access_token") or None


@dataclass
class Token:
    name: str
    expires_at: float
    new_session_until: float
    uses_left: int


class EphemeralTokens:
    """Tokens minted here (bounded; expired ones forgotten)."""

    def __init__(self) -> None:
        self._tokens: dict[str, Token] = {}

    def mint(self, *, expire_s: float = TOKEN_EXPIRE_S,
             new_session_s: float = TOKEN_NEW_SESSION_S, uses: int = 1) -> Token | None:
        now = time.monotonic()
        self._tokens = {k: t for k, t in self._tokens.items() if t.expires_at > now}
        if len(self._tokens) >= MAX_TOKENS:
            return None
        token = Token(f"{names.TOKEN_PREFIX}{secrets.token_urlsafe(24)}", now + expire_s,
                      now + min(new_session_s, expire_s), max(uses, 1))
        self._tokens[token.name] = token
        return token

    def use(self, name: str) -> Refusal | None:
        """Start a session with token ``name`` (one of its uses), or why not."""
        token = self._tokens.get(name)
        now = time.monotonic()
        if token is None or token.expires_at <= now:
            return errors.credential("The ephemeral token is unknown or expired: mint a new "
                                     "one (auth_tokens.create) on your server.")
        if now > token.new_session_until:
            return errors.credential("The ephemeral token's time to start a session is over: "
                                     "start sessions within newSessionExpireTime.")
        if token.uses_left <= 0:
            return errors.credential("The ephemeral token is used up: mint one per session, "
                                     "or ask for more uses.")
        token.uses_left -= 1
        return None


def admit(headers: Mapping[str, str], query: Mapping[str, str], *, constrained: bool,
          keys: TokenStore, tokens: EphemeralTokens) -> Refusal | None:
    """Whether a connection on this path may start (``None``) or the close that refuses it."""
    token = ephemeral_token(headers, query)
    if constrained:
        if token is None:
            return errors.credential("BidiGenerateContentConstrained needs an ephemeral token "
                                     "(access_token=auth_tokens/…); use a project key on "
                                     "BidiGenerateContent.")
        return tokens.use(token)
    if token is not None and token.startswith(names.TOKEN_PREFIX):
        return errors.credential("Ephemeral tokens work on the v1alpha "
                                 "BidiGenerateContentConstrained path only.")
    if not keys.check_key(project_key(headers, query)).ok:
        return errors.credential(BAD_KEY)
    return None
