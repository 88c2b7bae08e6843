"""End to end: ``voicechat proxy`` with its observer TUI in a real terminal (tmux).

``voicechat serve`` runs in one tmux session, the proxy's TUI in another; a WebSocket app
(aiohttp, in this process) has a typed turn through the proxy, and the test reads the screen
with ``capture-pane`` and presses the footer's keys with ``send-keys``.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from tests.helpers import until_sync, user_terminal_env
from tests.ui.test_tmux_e2e import VOICECHAT, Tmux, tmux  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


async def typed_turn(ws_url: str, text: str) -> None:
    async with aiohttp.ClientSession() as http, http.ws_connect(
            ws_url, headers={"Authorization": "Bearer sk-tmux-test-0123456789"}) as ws:
        await ws.send_json({"type": "conversation.item.create", "item": {
            "type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}})
        await ws.send_json({"type": "response.create"})
        while (await ws.receive_json(timeout=30))["type"] != "response.done":
            pass


def test_voicechat_proxy_tui_in_tmux(tmux: Tmux, tmp_path: Path) -> None:  # noqa: F811
    server_port, proxy_port = free_port(), free_port()
    env = user_terminal_env(tmp_path)
    subprocess.run([*tmux.base, "new-session", "-d", "-s", "srv", "-x", "100", "-y", "20",
                    f"{VOICECHAT} serve --port {server_port} --voice tone; sleep 60"],
                   check=True, env=env, cwd=tmp_path, timeout=10)
    until_sync(lambda: healthy(f"http://127.0.0.1:{server_port}/healthz"),
               "voicechat serve to answer /healthz", timeout=45)
    command = (f"{VOICECHAT} proxy --listen 127.0.0.1:{proxy_port} "
               f"--upstream http://127.0.0.1:{server_port}; echo VOICECHAT-EXITED-$?; sleep 60")
    subprocess.run([*tmux.base, "new-session", "-d", "-s", "vc", "-x", "120", "-y", "36",
                    command], check=True, env=env, cwd=tmp_path, timeout=10)
    tmux.wait(lambda s: "voicechat proxy" in s and "Quit" in s, "the observer to start")

    def turn() -> bool:
        try:
            asyncio.run(typed_turn(f"ws://127.0.0.1:{proxy_port}/v1/realtime?model=gpt-realtime",
                                   "hello tmux"))
        except (OSError, aiohttp.ClientError):
            return False  # not listening yet
        return True

    until_sync(turn, "a typed turn through the proxy", timeout=45)
    screen = tmux.wait(lambda s: "You: hello tmux" in s and "You said: hello tmux" in s
                       and "completed" in s, "the turn on the observer")
    assert "ws-1" in screen and "response.done" in screen  # the session and its events
    assert "Traceback" not in screen
    tmux.keys("e")
    tmux.wait(lambda s: "response.done" not in s, "the event pane hidden")
    tmux.keys("e")
    tmux.wait(lambda s: "response.done" in s, "the event pane back")
    tmux.keys("q")
    screen = tmux.wait(lambda s: "VOICECHAT-EXITED-" in s, "the proxy to exit")
    assert "VOICECHAT-EXITED-0" in screen
