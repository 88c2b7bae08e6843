"""The local server behind ``--server local``: one the caller lends us, or one started here.

Tests and the latency bench lend a running :class:`~voicechat.server.app.LocalServer` (so they can
inspect or kill its calls); a plain ``voicechat --server local`` starts one on a free loopback
port and stops it with the conversation. The runtime only needs its base URL, so it codes against
the small :class:`LocalServerLike` Protocol, and the server package is imported only when one is
started here.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

from voicechat.config import ConfigError, Settings
from voicechat.runtime.fanout import EventFanout

STOP_TIMEOUT_S = 5.0


class LocalServerLike(Protocol):
    """What the runtime uses of a local server."""

    @property
    def base_url(self) -> str: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class EmbeddedServer:
    """Holds the local server for one conversation and knows whether it is ours to stop."""

    def __init__(self, settings: Settings, lent: LocalServerLike | None = None) -> None:
        self._settings = settings
        self._lent = lent
        self._server: LocalServerLike | None = lent

    @property
    def base_url(self) -> str | None:
        """Where the transports connect when it is local; ``None`` for a remote server."""
        return self._server.base_url if self._server is not None else None

    async def start(self, events: EventFanout, settings: Settings | None = None) -> None:
        """Start the server if the settings are local and none runs yet; ``settings`` are
        those of a new session switching to the local server."""
        if settings is not None:
            self._settings = settings
        settings = self._settings
        if not settings.is_local or self._server is not None:
            return
        from voicechat.server.app import LocalServer, ServerConfig, ServerConfigError
        from voicechat.server.voice.responders import ResponderError

        config = ServerConfig(
            host="127.0.0.1", port=0, voice=settings.local_voice,
            responder=settings.local_responder, asr_phrases=settings.local_asr_phrases,
        )
        server = LocalServer(config)
        try:
            await server.start()
        except (ServerConfigError, ResponderError) as exc:
            raise ConfigError(f"the embedded local server cannot start: {exc}") from None
        self._server = server
        events.notice(
            "info", f"embedded local server on {server.base_url} (offline voice pipeline)"
        )

    async def stop(self) -> None:
        """Stop the server if we started it (a lent one belongs to the caller)."""
        if self._server is None or self._server is self._lent:
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.stop(), STOP_TIMEOUT_S)
