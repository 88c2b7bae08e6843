"""``voicechat watch`` on a call made by another client (our own, over real WebRTC), an unknown
call id, and a WebRTC call made through ``voicechat proxy`` whose sideband is auto-attached."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.commands.test_proxy_command import Lines, clean_env
from tests.helpers import WAIT_S, until
from tests.proxy.harness import running_proxy
from tests.speech import TEST_PHRASES, speech_wav

if TYPE_CHECKING:
    from voicechat.server.app import LocalServer

VOICECHAT = Path(sys.executable).parent / "voicechat"


async def start_client(tmp_path: Path, server_url: str) -> asyncio.subprocess.Process:
    """Our client over WebRTC: 3 s of silence first (time to attach), one question, one turn."""
    wav = speech_wav(tmp_path / "q.wav", TEST_PHRASES[:1], lead_s=3.0, tail_s=2.0)
    cfg = tmp_path / "cfg.toml"
    phrases = ", ".join(f'"{p}"' for p in TEST_PHRASES)
    cfg.write_text(f'local_voice = "tone"\nlocal_asr_phrases = [{phrases}]\n', encoding="utf-8")
    return await asyncio.create_subprocess_exec(
        str(VOICECHAT), "--no-ui", "--server", server_url, "--transport", "webrtc", "--mic",
        str(wav), "--speaker", str(tmp_path / "out.wav"), "--turns", "1", "--config", str(cfg),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE, env=clean_env())


async def test_unknown_call_id_is_a_clear_error_exit_1(server: LocalServer) -> None:
    proc = await asyncio.create_subprocess_exec(
        str(VOICECHAT), "watch", "rtc_doesnotexist", "--server", server.base_url, "--no-ui",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=clean_env())
    out, err = await asyncio.wait_for(proc.communicate(), WAIT_S)
    assert proc.returncode == 1, (out, err)
    assert b"rtc_doesnotexist" in err and b"no such call" in err


@pytest.mark.slow
async def test_watch_shows_another_clients_call_and_leaving_does_not_hang_up(
        server: LocalServer, tmp_path: Path) -> None:
    client = await start_client(tmp_path, server.base_url)
    try:
        calls = await until(lambda: list(server.calls), "the client's call")
        call_id = calls[0]
        watch = await asyncio.create_subprocess_exec(
            str(VOICECHAT), "watch", call_id, "--server", server.base_url, "--no-ui",
            "--record", str(tmp_path / "call.jsonl"),
            # stdin at its end at once (as under nohup): a read-only watch keeps watching
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=clean_env())
        assert watch.stdout is not None
        out = Lines(watch.stdout)
        await until(lambda: out.having(r"response\.done"),
                    lambda: f"the call's response.done in watch's output; saw {out.lines[-10:]}")
        watch.send_signal(signal.SIGINT)  # leave
        assert await asyncio.wait_for(watch.wait(), WAIT_S) == 0
        await out.task
        assert out.having(rf"session call {call_id} closed by the watcher")
        assert server.find_call(call_id) is not None or client.returncode is not None
        assert await asyncio.wait_for(client.wait(), 120) == 0  # the call went on to its end
    finally:
        if client.returncode is None:
            client.terminate()
            await client.wait()
    assert out.having(rf"^\[call {call_id}\]")
    recorded = (tmp_path / "call.jsonl").read_text()
    assert '"response.done"' in recorded


@pytest.mark.slow
async def test_a_webrtc_call_through_the_proxy_is_watched_automatically(
        server: LocalServer, tmp_path: Path) -> None:
    async with running_proxy(server.base_url) as proxy:
        client = await start_client(tmp_path, proxy.base)
        try:
            code = await asyncio.wait_for(client.wait(), 120)
            assert client.stderr is not None
            assert code == 0, (await client.stderr.read()).decode()[-2000:]
        finally:
            if client.returncode is None:
                client.terminate()
                await client.wait()
        call = await until(lambda: [o for o in proxy.seen.opened() if o.kind == "sideband"],
                           "the auto-attached sideband")
        session = call[0].session
        await until(lambda: "response.done" in proxy.seen.types(session, "in"),
                    lambda: f"the call's events; saw {proxy.seen.types(session)[-10:]}")
    statuses = [(e["path"], e["status"]) for e in proxy.seen.events("proxy")
                if e.get("type") == "local.proxy.http"]
    assert ("/v1/realtime/calls", 201) in statuses
    assert os.environ.get("OPENAI_API_KEY", "\0") not in repr(proxy.seen.items)


@pytest.mark.parametrize("allow_send", [True, False])
async def test_allow_send_sends_stdin_events_and_read_only_does_not(
        server: LocalServer, allow_send: bool) -> None:
    import aiohttp

    from tests.proxy.test_proxy_rest import sdp_offer

    pc, offer = await sdp_offer()
    try:
        async with aiohttp.ClientSession() as http, http.post(
                f"{server.base_url}/v1/realtime/calls", data=offer,
                headers={"Content-Type": "application/sdp"}) as answer:
            assert answer.status == 201
            call_id = answer.headers["Location"].rsplit("/", 1)[-1]
        args = ["--allow-send"] if allow_send else []
        watch = await asyncio.create_subprocess_exec(
            str(VOICECHAT), "watch", call_id, "--server", server.base_url, "--no-ui", *args,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=clean_env())
        assert watch.stdout is not None and watch.stdin is not None
        out = Lines(watch.stdout)
        await until(lambda: out.having(rf"session call {call_id} opened"), "watch to attach")
        watch.stdin.write(b'{"type": "session.update", "session": {"type": "realtime", '
                          b'"instructions": "be brief"}}\n')
        await watch.stdin.drain()
        expected = r"session\.updated" if allow_send else r"read-only: not sent"
        await until(lambda: out.having(expected), lambda: f"{expected}; saw {out.lines}")
        watch.stdin.close()
        if not allow_send:  # read-only: the end of stdin is not a reason to stop watching
            await asyncio.sleep(1.0)
            assert watch.returncode is None
            watch.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(watch.wait(), WAIT_S) == 0
        await out.task
        assert server.find_call(call_id) is not None  # leaving did not hang up
        assert bool(out.having(r"session\.updated")) == allow_send
    finally:
        await pc.close()
