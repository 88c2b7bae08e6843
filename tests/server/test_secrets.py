"""No key in the server's output: ``voicechat serve`` lines, ``/healthz``, reprs, log records."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

import aiohttp
import pytest

from tests.helpers import local_server
from tests.server.conftest import ws_peer
from voicechat.server.app import ServerConfig
from voicechat.server.redact import SecretFilter, redact

SERVER_KEY = "vc-server-key-0123456789abcdef"  # not sk- shaped: only the configured key matches


def test_redact_masks_every_secret_shape() -> None:
    line = (
        "token ek_abcdef123456 key sk-proj-abcdefgh Authorization: Bearer tok.en-1 "
        "GET /openai/realtime?api-key=azurekey123&deployment=d "
        "proto openai-insecure-api-key.browserkey9 url http://user:pw1234@host:8080/v1 "
        f"and {SERVER_KEY}"
    )
    out = redact(line, [SERVER_KEY])
    for secret in (
        "ek_abcdef123456",
        "sk-proj-abcdefgh",
        "tok.en-1",
        "azurekey123",
        "browserkey9",
        "pw1234",
        SERVER_KEY,
    ):
        assert secret not in out, secret
    assert "deployment=d" in out and "http://user:[redacted]@host:8080/v1" in out


def test_config_repr_hides_the_key() -> None:
    assert SERVER_KEY not in repr(ServerConfig(api_key=SERVER_KEY))
    assert ServerConfig(api_key=SERVER_KEY).api_key == SERVER_KEY


def test_filter_scrubs_arguments_and_tracebacks() -> None:
    record = logging.LogRecord(
        "voicechat.server", logging.ERROR, __file__, 1, "peer sent %s", (SERVER_KEY,), None
    )
    try:
        raise RuntimeError(f"bad credential {SERVER_KEY}")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    assert SecretFilter([SERVER_KEY]).filter(record)
    text = logging.Formatter().format(record)
    assert SERVER_KEY not in text and "peer sent [redacted]" in text and "RuntimeError" in text


async def test_running_server_scrubs_its_log_records(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="voicechat")
    async with local_server(api_key=SERVER_KEY) as srv:
        # a client that puts its key where a model name belongs gets it echoed in the session
        # log line, which is what the filter is there for
        async with ws_peer(
            srv,
            f"/v1/realtime?model={SERVER_KEY}",
            headers={"Authorization": f"Bearer {SERVER_KEY}"},
        ):
            pass
        logging.getLogger("voicechat.server.voice.tts").warning("voice said %s", SERVER_KEY)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "session sess_" in text and "voice said [redacted]" in text
    assert SERVER_KEY not in text
    # the filter goes away with the server (an embedding app's logging is left as it was)
    logger = logging.getLogger("voicechat.server")
    assert not [f for f in logger.filters if isinstance(f, SecretFilter)]


async def test_serve_output_and_healthz_carry_no_key() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "voicechat.cli",
        "serve",
        "--port",
        "0",
        "--voice",
        "tone",
        "--api-key",
        SERVER_KEY,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    seen: list[str] = []
    try:
        ready = (await asyncio.wait_for(proc.stdout.readline(), 120)).decode()
        seen.append(ready)
        base = ready.split()[-1]
        ws_base = base.replace("http", "ws", 1)
        auth = {"Authorization": f"Bearer {SERVER_KEY}"}
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/healthz") as resp:
                health = await resp.text()
            assert resp.status == 200 and SERVER_KEY not in health
            async with http.post(
                f"{base}/v1/realtime/client_secrets", json={}, headers=auth
            ) as resp:
                token = (await resp.json())["value"]
            assert token.startswith("ek_")
            # the key in each place a client may put it, then a wrong key
            async with http.ws_connect(
                f"{ws_base}/v1/realtime?model=gpt-realtime",
                protocols=("realtime", f"openai-insecure-api-key.{token}"),
            ) as ws:
                await ws.receive(timeout=30)  # session.created
            async with http.ws_connect(
                f"{ws_base}/openai/realtime?api-version=2024-10-01-preview&deployment=d"
                f"&api-key={SERVER_KEY}"
            ) as ws:
                await ws.receive(timeout=30)
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await http.ws_connect(
                    f"{ws_base}/v1/realtime",
                    headers={"Authorization": "Bearer sk-wrong-guess-1234"},
                )
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0
        seen += [out.decode(), err.decode()]
    finally:
        if proc.returncode is None:
            proc.kill()
            with contextlib.suppress(Exception):
                await proc.wait()
    output = "".join(seen)
    assert "session sess_" in output and " closed after " in output  # the log lines exist
    for secret in (SERVER_KEY, token, "sk-wrong-guess-1234"):
        assert secret not in output, secret
