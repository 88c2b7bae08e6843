"""The session's side of a provider's quirks (issue 40): what arrives is made canonical, and
a race the provider is known to report is information, not a failure.

The outbound side is the outbox's (it rewrites what leaves); this is the inbound side, kept out
of :class:`~voicechat.core.session.Session` so the session dispatches canonical events only.
A service that needs no rewrites (OpenAI, Azure OpenAI) gets none of this on its hot path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voicechat.protocol.providers import InboundAliases, Profile, is_benign_error

#: a race xAI reports in the benign codes' words that is still the client's mistake to show
_NOT_BENIGN_HERE = "conversation_already_has_active_response"


class ProviderEdge:
    """One session's inbound edge for its provider's profile."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        #: the provider's inbound aliases (xAI's cumulative transcripts, its hoisted session
        #: fields); ``None`` for a service that needs none
        self.aliases = InboundAliases(profile) if profile.rewrites else None

    def benign_race(self, error: Any) -> str | None:
        """The notice for a server error that is a race the provider is known to report (a
        cancel after the response ended, in xAI's wording too); ``None`` for a real one."""
        if not (self.profile.rewrites and isinstance(error, Mapping)
                and is_benign_error(error, self.profile)
                and error.get("code") != _NOT_BENIGN_HERE):
            return None
        said = str(error.get("message") or error.get("code"))[:200]
        return f"nothing to cancel: the response had already finished ({said})"
