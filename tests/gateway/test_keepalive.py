"""Keepalive through a gateway behind nginx (issue 37, item 6).

nginx's WebSocket proxy drops a connection after 60 s without data from the backend. In a
push-to-talk session nobody may talk for longer than that, and a quiet model sends nothing, so
the only traffic is the client's own pings (voicechat pings after two thirds of ``link_timeout``
without a frame), each drawing a pong from the gateway. The relay here cuts a socket the way
nginx does (``idle_cut_s``); its own test shows that a client that does not ping is cut.

The session here is nginx's on a scale of one to six: a 10 s idle cut and 14 s with nobody
talking, with the default ``link_timeout`` (3.5 s: a ping every ~2.3 s of quiet), so the same
sequence of pings and pongs keeps the link through the cut in a sixth of the time (the real
70 s took a test worker 72 s).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.commands.no_ui import at_terminal
from tests.gateway_relay import gateway
from tests.helpers import local_server

pytestmark = pytest.mark.slow

IDLE_CUT_S = 10.0  # nginx's default proxy_read_timeout is 60 s: the same cut, scaled down
QUIET_S = 14.0  # longer than the cut with nobody talking (the session was 70 s)


async def test_a_quiet_push_to_talk_session_survives_the_idle_cut(tmp_path: Path) -> None:
    async with local_server() as srv, \
            gateway(srv.base_url, "ws-only", idle_cut_s=IDLE_CUT_S) as gw, \
            at_terminal(tmp_path, gw.base_url + "/v1", "--mode", "ptt", events=False) as term:
        await asyncio.sleep(QUIET_S)  # the mic closed, the model quiet: only pings on the wire
        assert term.proc.returncode is None, term.seen
        term.type("hello there")
        answer = await term.line_with("assistant:")
    assert answer.strip() == "assistant: You said: hello there", term.seen
    assert gw.idle_cuts == 0, "the gateway's idle cut dropped the session"
    assert gw.attempts == 1, f"{gw.attempts} connections: the link was lost and reconnected"
    assert gw.pongs >= 4, f"only {gw.pongs} pings in {QUIET_S:g} s"
    assert not any("connection lost" in line or "reconnect" in line for line in term.seen), \
        term.seen
