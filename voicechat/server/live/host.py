"""What the GPT-Live handlers need from the server that hosts them (a small Protocol, as
:mod:`voicechat.server.host` is for the Realtime side)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from voicechat.server.auth import TokenStore
from voicechat.server.call_limits import CallLimits
from voicechat.server.live.engine import LiveEngine, LiveOptions
from voicechat.server.voicekit import VoiceKit


class LiveHost(Protocol):
    @property
    def tokens(self) -> TokenStore: ...

    @property
    def kit(self) -> VoiceKit: ...

    #: running sessions by id (the sideband finds them here), either transport
    live_sessions: dict[str, LiveEngine]
    #: WebRTC calls by session id (``LiveRtcCall``; typed loosely to keep this module free of
    #: the transport modules that import it)
    live_rtc_calls: dict[str, Any]

    def is_browser(self, headers: Mapping[str, str]) -> bool: ...

    def live_options(self) -> LiveOptions: ...

    @property
    def send_queue_bytes(self) -> int: ...

    def send_queue_report(self, *, peak_bytes: int, shed: bool) -> None: ...

    @property
    def call_limits(self) -> CallLimits: ...
