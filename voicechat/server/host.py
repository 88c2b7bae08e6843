"""What the HTTP and WebSocket handlers need from the server that hosts them.

The handlers depend on these small Protocols rather than on :class:`LocalServer`, so a handler
module imports neither the application nor its lifecycle, and a test or another host (a proxy,
say) can serve the same routes by providing just these members.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from voicechat.protocol.dialect import Dialect
from voicechat.server.audio_out import AudioSink
from voicechat.server.auth import TokenStore
from voicechat.server.call_limits import CallLimits
from voicechat.server.engine import Engine

if TYPE_CHECKING:
    from voicechat.server.rtc import RtcCall  # aiortc: loaded for WebRTC only

JSON = dict[str, Any]


class TokenHost(Protocol):
    """Enough to mint tokens: the credential store and the model reported by default."""

    @property
    def tokens(self) -> TokenStore: ...

    @property
    def default_model(self) -> str: ...

    def is_browser(self, headers: Mapping[str, str]) -> bool:
        """Whether a request comes from a web page the operator did not trust (``Origin``)."""
        ...


class SessionHost(TokenHost, Protocol):
    """The WebSocket transport: builds engines, counts sessions, finds calls for the sideband."""

    @property
    def ws_audio_speedup(self) -> float: ...

    @property
    def xai_session_created(self) -> bool:
        """Whether the xAI personality sends ``session.created`` (early-2026 xAI did not)."""
        ...

    @property
    def send_queue_bytes(self) -> int:
        """How many bytes of events may wait for one socket before its client is shed."""
        ...

    def send_queue_report(self, *, peak_bytes: int, shed: bool) -> None:
        """A socket's queue shed its client for not reading (``shed``) or stopped: the most it
        held so far (both reported by ``/healthz``)."""
        ...

    def new_engine(
        self,
        *,
        emit: Callable[[JSON], None],
        dialect: Dialect,
        session: JSON,
        sink: AudioSink,
        on_expired: Callable[[], Any],
        session_max_s: float | None = None,
    ) -> Engine:
        """A session engine; ``session_max_s`` shortens the server's session length (a
        provider personality's cap)."""
        ...

    def session_opened(self, engine: Engine) -> None: ...

    def session_closed(self, engine: Engine) -> None: ...

    def find_call(self, call_id: str) -> RtcCall | None: ...


class CallHost(TokenHost, Protocol):
    """The WebRTC routes: build calls, keep the answered ones, find them to hang up."""

    def new_call(self, *, dialect: Dialect, azure: bool, session: JSON) -> RtcCall: ...

    def add_call(self, call: RtcCall) -> None: ...

    @property
    def call_limits(self) -> CallLimits: ...

    def live_calls(self) -> Iterable[RtcCall]: ...

    def find_call(self, call_id: str) -> RtcCall | None: ...
