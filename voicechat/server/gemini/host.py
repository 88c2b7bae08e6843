"""What the Gemini Live handlers need from the server that hosts them (a small Protocol, as
:mod:`voicechat.server.live.host` is for GPT-Live)."""

from __future__ import annotations

from typing import Protocol

from voicechat.server.auth import TokenStore
from voicechat.server.gemini.conversation import Resumptions
from voicechat.server.gemini.credentials import EphemeralTokens
from voicechat.server.gemini.options import GeminiOptions
from voicechat.server.gemini.session import GeminiSession
from voicechat.server.voicekit import VoiceKit


class GeminiHost(Protocol):
    @property
    def tokens(self) -> TokenStore: ...

    @property
    def kit(self) -> VoiceKit: ...

    #: open connections by id
    gemini_sessions: dict[str, GeminiSession]
    #: conversations by resumption handle (they outlive connections)
    gemini_resumptions: Resumptions
    #: ephemeral tokens minted by ``POST /v1alpha/auth_tokens``
    gemini_tokens: EphemeralTokens

    def gemini_options(self) -> GeminiOptions: ...

    @property
    def send_queue_bytes(self) -> int: ...

    def send_queue_report(self, *, peak_bytes: int, shed: bool) -> None: ...
