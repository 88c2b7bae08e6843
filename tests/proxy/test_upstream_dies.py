"""The upstream (a real ``voicechat serve`` process) killed mid-session.

The proxy names the upstream as the side that dropped, tells the app (its socket closes), answers
the next app with a 502 while nothing listens, and serves again once the server is back.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.helpers import WAIT_S
from tests.proxy.harness import running_proxy

VOICECHAT = Path(sys.executable).parent / "voicechat"


async def start_server(port: int = 0) -> tuple[asyncio.subprocess.Process, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "AZURE", "VOICE"))}
    proc = await asyncio.create_subprocess_exec(
        str(VOICECHAT), "serve", "--port", str(port), "--voice", "tone",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, env=env,
        start_new_session=True)  # its ASR worker dies with it when the group is killed
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), WAIT_S)).decode()
    found = re.search(r"ready: http://127\.0\.0\.1:(\d+)", line)
    assert found, line
    return proc, int(found.group(1))


async def open_session(http: aiohttp.ClientSession, ws_base: str
                       ) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(f"{ws_base}/v1/realtime?model=gpt-realtime",
                               headers={"Authorization": "Bearer sk-anything"})
    assert (await ws.receive_json(timeout=WAIT_S))["type"] == "session.created"
    return ws


@pytest.mark.slow
async def test_killed_upstream_is_named_and_the_proxy_serves_again() -> None:
    server, port = await start_server()
    try:
        async with running_proxy(f"http://127.0.0.1:{port}") as proxy, \
                aiohttp.ClientSession() as http:
            app_ws = await open_session(http, proxy.ws_base)
            os.killpg(server.pid, signal.SIGKILL)
            await server.wait()
            closed = await proxy.closed("ws-1")
            assert closed.by == "upstream" and "dropped" in closed.reason
            msg = await app_ws.receive(timeout=WAIT_S)  # the app is told: its socket closes
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            await app_ws.close()
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await open_session(http, proxy.ws_base)
            assert refused.value.status == 502
            server, _ = await start_server(port)
            again = await open_session(http, proxy.ws_base)
            await again.close()
            assert (await proxy.closed("ws-2")).by == "app"
    finally:
        if server.returncode is None:
            os.killpg(server.pid, signal.SIGINT)
            await server.wait()
