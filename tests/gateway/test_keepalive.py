"""Keepalive through a gateway behind nginx (issue 37, item 6).

nginx's WebSocket proxy drops a connection after 60 s without data from the backend. In a
push-to-talk session nobody may talk for longer than that, and a quiet model sends nothing, so
the only traffic is the client's own pings (voicechat pings after two thirds of ``link_timeout``
without a frame), each drawing a pong from the gateway. The relay here cuts a socket the way
nginx does (``idle_cut_s``); its own test shows that a client that does not ping is cut.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.commands.no_ui import at_terminal
from tests.gateway_relay import gateway
from tests.helpers import local_server

pytestmark = pytest.mark.slow

NGINX_READ_TIMEOUT_S = 60.0  # nginx's default proxy_read_timeout
QUIET_S = 70.0  # the push-to-talk session with nobody talking


async def test_a_quiet_push_to_talk_session_survives_the_idle_cut(tmp_path: Path) -> None:
    async with local_server() as srv, \
            gateway(srv.base_url, "ws-only", idle_cut_s=NGINX_READ_TIMEOUT_S) as gw, \
            at_terminal(tmp_path, gw.base_url + "/v1", "--mode", "ptt", events=False) as term:
        await asyncio.sleep(QUIET_S)  # the mic closed, the model quiet: only pings on the wire
        assert term.proc.returncode is None, term.seen
        term.type("hello there")
        answer = await term.line_with("assistant:")
    assert answer.strip() == "assistant: You said: hello there", term.seen
    assert gw.idle_cuts == 0, "the gateway's idle cut dropped the session"
    assert gw.attempts == 1, f"{gw.attempts} connections: the link was lost and reconnected"
    assert gw.pongs >= 10, f"only {gw.pongs} pings in {QUIET_S:g} s"
    assert not any("connection lost" in line or "reconnect" in line for line in term.seen), \
        term.seen
