"""``voicechat proxy --no-ui`` as a user runs it: ready line, live problem lines, recording,
a closing summary, and no secret anywhere; a non-loopback address refused with exit 2."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from openai import AsyncOpenAI

from tests.helpers import WAIT_S, local_server, read_records, until

VOICECHAT = Path(sys.executable).parent / "voicechat"
KEY = "sk-proxy-cmd-0123456789abcdefSECRET"


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "AZURE"))}


def test_non_loopback_listen_is_refused() -> None:
    proc = subprocess.run([str(VOICECHAT), "proxy", "--no-ui", "--listen", "0.0.0.0:0",
                           "--upstream", "http://127.0.0.1:9"], capture_output=True, text=True,
                          timeout=60, env=clean_env(), check=False)
    assert proc.returncode == 2
    assert "--allow-remote" in proc.stderr and "loopback" in proc.stderr


@pytest.mark.parametrize("upstream", ["nowhere", "local"])
def test_unknown_upstream_is_refused_naming_every_upstream_it_takes(upstream: str) -> None:
    """Every provider the proxy forwards to is listed, not only the first two (issue 55);
    ``local``, the chat client's embedded server, is pointed to ``voicechat serve``."""
    proc = subprocess.run([str(VOICECHAT), "proxy", "--no-ui", "--upstream", upstream],
                          capture_output=True, text=True, timeout=60, env=clean_env(),
                          check=False)
    assert proc.returncode == 2
    assert "openai, azure, xai, voice-live, gemini, or a URL" in proc.stderr
    assert ("voicechat serve" in proc.stderr) == (upstream == "local")
    assert "Traceback" not in proc.stderr


class Lines:
    """A child's stdout, read as it comes."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.lines: list[str] = []
        self.task = asyncio.create_task(self._read(stream))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.lines.append(line.decode())

    def having(self, pattern: str) -> list[str]:
        return [line for line in self.lines if re.search(pattern, line)]


async def test_proxy_no_ui_prints_live_problems_records_sessions_and_keeps_secrets(
        tmp_path: Path) -> None:
    record = tmp_path / "app.jsonl"
    async with local_server() as srv:
        proc = await asyncio.create_subprocess_exec(
            str(VOICECHAT), "proxy", "--no-ui", "--listen", "127.0.0.1:0", "--upstream",
            srv.base_url, "--record", str(record), stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=clean_env())
        assert proc.stdout is not None and proc.stderr is not None
        out = Lines(proc.stdout)
        try:
            ready = await until(lambda: out.having(r"proxy ready: http://127\.0\.0\.1:\d+"),
                                lambda: f"the ready line; saw {out.lines}")
            base = re.search(r"http://127\.0\.0\.1:\d+", ready[0]).group(0)  # type: ignore
            oai = AsyncOpenAI(api_key=KEY, base_url=f"{base}/v1",
                              websocket_base_url=base.replace("http", "ws") + "/v1")
            secret = await oai.realtime.client_secrets.create(
                session={"type": "realtime", "model": "gpt-realtime"})
            async with oai.realtime.connect(model="gpt-realtime") as conn:
                await conn.response.cancel()
                problem = await until(lambda: out.having(r"^problem cancel-without-response "),
                                      lambda: f"the live problem line; saw {out.lines[-10:]}")
                assert not out.having(r"session ws-1 closed")  # live: the session is still open
            ek = AsyncOpenAI(api_key=secret.value, base_url=f"{base}/v1",
                             websocket_base_url=base.replace("http", "ws") + "/v1")
            async with ek.realtime.connect(model="gpt-realtime") as conn:
                await conn.session.update(session={"type": "realtime", "instructions": "hi"})
                async for event in conn:
                    if event.type == "session.updated":
                        break
            await until(lambda: out.having(r"session ws-2 closed by the app"),
                        lambda: f"ws-2 to close; saw {out.lines[-10:]}")
        finally:
            proc.send_signal(signal.SIGINT)
            code = await asyncio.wait_for(proc.wait(), WAIT_S)
            await out.task
            err = (await proc.stderr.read()).decode()
    assert code == 0, err
    assert "fix:" in out.lines[out.lines.index(problem[0]) + 1]
    summary = out.having(r"^proxy stopped: ")
    assert summary and "2 session(s)" in summary[0] and "0 event(s) dropped by the recording" \
        in summary[0]
    second = tmp_path / "app-ws-2.jsonl"
    for path in (record, second):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first_types = [r["event"]["type"] for r in read_records(record)]
    assert first_types[0] == "session.created" and "response.cancel" in first_types
    assert "session.update" in [r["event"]["type"] for r in read_records(second)]
    everything = "".join(out.lines) + err + "".join(
        p.read_text() for p in tmp_path.iterdir() if p.is_file())
    assert KEY not in everything and secret.value not in everything
    # the proxy's own file (the REST call it passed): the doctor says what it is and where
    # the sessions are, not "the log has no times" (issue 55)
    own = tmp_path / "app-proxy.jsonl"
    assert "local.proxy.http" in [r["event"]["type"] for r in read_records(own)]
    doctor = subprocess.run([str(VOICECHAT), "doctor", str(own)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert doctor.returncode == 0, doctor.stderr
    assert "has no times" not in doctor.stdout
    assert "voicechat proxy's own log" in doctor.stdout and "FILE-<session>" in doctor.stdout
