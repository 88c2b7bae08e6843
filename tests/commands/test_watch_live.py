"""``voicechat watch`` on a GPT-Live session: another client's WebRTC session on our local
server, watched through ``/v1/live/sessions/{id}/attach`` until the session ends; an unknown
session id is one clear sentence and exit 1."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tests.commands.test_proxy_command import Lines, clean_env
from tests.helpers import WAIT_S, until
from tests.server.live.peers import live_rtc
from voicechat.commands.watch import is_live
from voicechat.doctor import diagnose
from voicechat.observe.upstream import resolve_upstream

if TYPE_CHECKING:
    from voicechat.server.app import LocalServer

VOICECHAT = Path(sys.executable).parent / "voicechat"


def test_which_sideband_an_id_gets() -> None:
    assert is_live("live_123", "auto") and not is_live("rtc_123", "auto")
    assert is_live("sess_123", "live") and not is_live("live_123", "realtime")
    azure = resolve_upstream("https://x.openai.azure.com", {})
    assert azure.live_sideband_path("sess_1") == "/openai/v1/live/sessions/sess_1/attach"


async def test_unknown_live_session_is_a_clear_error_exit_1(server: LocalServer) -> None:
    proc = await asyncio.create_subprocess_exec(
        str(VOICECHAT), "watch", "live_doesnotexist", "--server", server.base_url, "--no-ui",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=clean_env())
    out, err = await asyncio.wait_for(proc.communicate(), WAIT_S)
    assert proc.returncode == 1, (out, err)
    assert b"live_doesnotexist" in err and b"no such call" in err


async def test_watch_follows_a_live_session_to_its_end(server: LocalServer,
                                                      tmp_path: Path) -> None:
    record = tmp_path / "live.jsonl"
    async with live_rtc() as peer:
        status, reply = await peer.create(server, {"model": "gpt-live-1"})
        assert status == 201
        session_id = reply["session"]["id"]
        await peer.log.wait_for("session.started")
        watch = await asyncio.create_subprocess_exec(
            str(VOICECHAT), "watch", session_id, "--server", server.base_url, "--no-ui",
            "--record", str(record), stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=clean_env())
        assert watch.stdout is not None
        out = Lines(watch.stdout)
        try:
            await until(lambda: out.having(rf"live {session_id}"), lambda: f"watch to attach; "
                        f"saw {out.lines[-5:]}")
            peer.send({"type": "session.commentary.append", "content": "Say hi.",
                       "delegation_id": None})
            await until(lambda: out.having(r"session\.commentary\.appended"),
                        lambda: f"the append's acknowledgement; saw {out.lines[-10:]}")
            peer.send({"type": "session.close"})
            assert await asyncio.wait_for(watch.wait(), WAIT_S) == 0
        finally:
            if watch.returncode is None:
                watch.terminate()
                await watch.wait()
        await out.task
    assert out.having(r"session\.closed close_requested")
    report = diagnose(record)
    assert report.dialect == "live" and report.findings == []
