"""The GPT-Live routes: OpenAI's and Azure's paths for the primary WebSocket, the WebRTC create
(``POST``, JSON) and the sideband.

The WebRTC handlers are imported at their first call: they bring aiortc and PyAV, ~0.6 s of
CPU that a server only ever asked for WebSockets (most test and load runs) never needs.
"""

from __future__ import annotations

from aiohttp import web

from voicechat.protocol.live import names
from voicechat.server.live import ws
from voicechat.server.live.host import LiveHost

#: OpenAI's path, Azure's published path and the shorter one Azure's repo copy writes
PATHS = (names.PATH, names.AZURE_PATH, names.AZURE_SHORT_PATH)


def add_routes(router: web.UrlDispatcher, host: LiveHost) -> None:
    async def primary(request: web.Request) -> web.StreamResponse:
        return await ws.primary_handler(request, host)

    async def sideband(request: web.Request) -> web.StreamResponse:
        return await ws.sideband_handler(request, host)

    async def create(request: web.Request) -> web.StreamResponse:
        from voicechat.server.live import rtc

        return await rtc.create_handler(request, host)

    async def hangup(request: web.Request) -> web.StreamResponse:
        from voicechat.server.live import rtc

        return await rtc.hangup_handler(request, host)

    for path in PATHS:
        router.add_get(path, primary)
        router.add_post(path, create)
        router.add_get(f"{path}/{{session_id}}{names.ATTACH_SUFFIX}", sideband)
        router.add_post(f"{path}/{{session_id}}/hangup", hangup)
