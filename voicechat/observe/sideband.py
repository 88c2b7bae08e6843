"""The sideband client: attach to a live WebRTC call's server-side socket and tap its events.

``GET /v1/realtime?call_id=ID`` (``/openai/v1/realtime`` on Azure) with the server key opens a
GA socket that receives every server event of the call and may send client events to it.
``voicechat watch`` uses it with the key from the environment, the proxy with the credential the
app used for the call's SDP offer (held only for the attach, never stored or logged).

Detaching closes only this socket: the call (and the app on it) goes on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp import WSMsgType

from voicechat.observe.feed import ClosedBy
from voicechat.observe.tap import Tap, notice

_CALL_ID = re.compile(r"[A-Za-z0-9_-]{1,200}")


class SidebandError(Exception):
    """The sideband could not be attached; ``status`` is the server's (0: not reached)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def valid_call_id(call_id: str) -> bool:
    """Call ids are opaque tokens (``rtc_…``); anything else must not reach a URL."""
    return _CALL_ID.fullmatch(call_id) is not None


async def attach(http: aiohttp.ClientSession, ws_url: str,
                 headers: Mapping[str, str]) -> aiohttp.ClientWebSocketResponse:
    """Open the sideband socket at ``ws_url`` (which names the call); :class:`SidebandError`
    says why not (404: no such call)."""
    try:
        return await http.ws_connect(ws_url, headers=dict(headers), autoping=True,
                                     max_msg_size=0, timeout=aiohttp.ClientWSTimeout(ws_close=5))
    except aiohttp.WSServerHandshakeError as exc:
        if exc.status == 404:
            raise SidebandError(404, "no such call (it ended, or it never existed)") from None
        if exc.status in (401, 403):
            raise SidebandError(
                exc.status, f"the server refused the key ({exc.status} {exc.message}): the "
                "sideband needs the server's API key") from None
        raise SidebandError(
            exc.status, f"the server refused: {exc.status} {exc.message}") from None
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        from_host = (f"{exc.host}:{exc.port}" if isinstance(exc, aiohttp.ClientConnectorError)
                     else "the server")
        raise SidebandError(0, f"cannot reach {from_host}: {type(exc).__name__}") from None


class Sideband:
    """An attached sideband socket and the tap its events go to."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, tap: Tap) -> None:
        self._ws = ws
        self._tap = tap

    async def follow(self) -> tuple[ClosedBy, str]:
        """Tap every server event until the server ends the socket (the call ended)."""
        while True:
            msg = await self._ws.receive()
            if msg.type == WSMsgType.TEXT:
                self._tap_text(msg.data)
            elif msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                code = self._ws.close_code
                if code is None or code == 1006:
                    return "upstream", "the server dropped the sideband"
                return "upstream", f"the server closed the sideband (code {code})"
            elif msg.type == WSMsgType.ERROR:
                return "upstream", f"the sideband failed: {type(self._ws.exception()).__name__}"

    async def send(self, event: dict[str, Any]) -> None:
        """Send a client event to the call (``watch --allow-send``) and tap it as ``out``."""
        await self._ws.send_str(json.dumps(event))
        self._tap.event("out", event)

    async def detach(self) -> None:
        """Close our socket only; the call goes on."""
        if not self._ws.closed:
            await self._ws.close()

    def _tap_text(self, text: str) -> None:
        try:
            event: Any = json.loads(text)
        except ValueError:
            event = None
        if isinstance(event, dict):
            self._tap.event("in", event)
        else:
            notice(self._tap, "the sideband sent a frame that is not a JSON object", "warning")
