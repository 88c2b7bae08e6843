"""Faults the client must notice and say (issue 14): a dead link, a server that never answers, a
``--record`` file that cannot be written.

Each test runs the real client against a real server on 127.0.0.1 and breaks it the way it breaks
in the field: the server process is killed with SIGKILL (a WebRTC peer then simply goes quiet:
UDP has nothing to close) or frozen with SIGSTOP (a WebSocket stays open in the kernel while
nobody answers), or it is a black hole that accepts TCP and never says a word. Waits are bounded
well below what the client did before the fixes (31 s to notice a dead WebRTC server; 300 s
hanging on a black hole), never asserted as timings.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.helpers import until
from tests.runtime.conversation import Conversation
from tests.runtime.server_process import ServerProcess
from tests.speech import TEST_PHRASES, speech_wav
from voicechat.config import Settings
from voicechat.runtime import Runtime
from voicechat.server.app import LocalServer
from voicechat.transport.auth import ConnectError

NOTICED_WITHIN_S = 15.0  # far below the 31 s a dead WebRTC server went unnoticed
KEY = "sk-test-key-123456"


def lost_notices(conv: Conversation) -> list[str]:
    return [m for m in conv.notices() if m.startswith("connection lost")]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("transport", "how"),
    [("webrtc", signal.SIGKILL), ("websocket", signal.SIGSTOP)],
    ids=["webrtc-killed", "websocket-frozen"],
)
@pytest.mark.usefixtures("fresh_interpreter")  # SIGSTOP must stop the server, not a stand-in
async def test_a_dead_server_is_noticed_shown_and_reconnected(
    tmp_path: Path, transport: str, how: signal.Signals
) -> None:
    """The server dies without a word mid-conversation: the link leaves "connected" with a
    notice that names the silence, and the conversation carries on once the server is back."""
    server = ServerProcess(tmp_path / "server.log", "--voice", "tone")
    await server.start()
    settings = Settings(server=server.base_url, transport=transport, api_key=KEY, mic="none",
                        speaker="none")
    rt = Runtime(settings)
    conv = Conversation(rt)
    try:
        await rt.start()
        rt.send_text("Remember the word banana.")
        await conv.until(lambda: rt.completed_responses == 1)
        assert rt.connection.state == "connected"
        assert server.proc is not None
        loop = asyncio.get_running_loop()
        died = loop.time()
        server.proc.send_signal(how)
        await conv.until(lambda: rt.connection.state != "connected", timeout=NOTICED_WITHIN_S)
        noticed = loop.time() - died
        print(f"{transport}: dead link noticed after {noticed:.2f} s")  # for the bench notes
        await conv.until(lambda: bool(lost_notices(conv)))
        assert "the link is dead" in lost_notices(conv)[0]
        states = [e for e in conv.find("local.transport.state")]
        dead = [e for e in states if e["state"] in ("closed", "failed")]
        assert dead and "the link is dead" in dead[0]["detail"]
        if how == signal.SIGSTOP:
            server.proc.send_signal(signal.SIGCONT)  # the same process answers again
        else:
            server.proc = None
            await server.start()  # the same port
        await conv.until(lambda: rt.reconnects == 1 and rt.connection.state == "connected",
                         timeout=60)
        rt.send_text("What was the word?")
        await conv.until(lambda: rt.completed_responses == 2)
        assert [e.text for e in rt.view.entries if e.role == "user"][-1] == "What was the word?"
    finally:
        await rt.stop()
        if server.proc is not None and how == signal.SIGSTOP:
            with contextlib.suppress(ProcessLookupError):
                server.proc.send_signal(signal.SIGCONT)
        await server.kill()


@contextlib.asynccontextmanager
async def black_hole() -> AsyncIterator[int]:
    """A TCP server on 127.0.0.1 that accepts every connection and never sends a byte."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        with contextlib.suppress(ConnectionError):
            while await reader.read(65536):
                pass

    srv = await asyncio.start_server(swallow, "127.0.0.1", 0)
    try:
        yield int(srv.sockets[0].getsockname()[1])
    finally:
        for writer in held:
            writer.close()
        srv.close()
        await srv.wait_closed()


@pytest.mark.parametrize("transport", ["webrtc", "websocket"])
async def test_a_server_that_never_answers_fails_the_connect_with_the_reason(
    transport: str,
) -> None:
    async with black_hole() as port:
        settings = Settings(server=f"http://127.0.0.1:{port}", transport=transport, api_key=KEY,
                            mic="none", speaker="none", connect_timeout=1.5)
        rt = Runtime(settings)
        with pytest.raises(ConnectError) as caught:
            async with asyncio.timeout(30):  # aiohttp alone would wait 300 s
                await rt.start()
    scheme = "ws" if transport == "websocket" else "http"
    step = "the WebSocket handshake" if transport == "websocket" else "minting a session key"
    assert str(caught.value).startswith(
        f"{step}: no answer from {scheme}://127.0.0.1:{port} within 1.5 s"
    )
    assert rt.connection.state != "connected"


def test_the_connect_timeout_is_ten_seconds_unless_set() -> None:
    from voicechat.config import resolve

    assert resolve({}, env={}, config_path=None).connect_timeout == 10.0
    env = {"VOICECHAT_CONNECT_TIMEOUT": "2.5", "VOICECHAT_LINK_TIMEOUT": "3"}
    settings = resolve({}, env=env, config_path=None)
    assert (settings.connect_timeout, settings.link_timeout) == (2.5, 3.0)


async def test_headless_names_the_silent_server_and_exits_1() -> None:
    """The whole command line: exit 1 and the reason on stderr, not a five-minute hang."""
    async with black_hole() as port:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "voicechat.cli", "--no-ui", "--transport", "websocket",
            "--server", f"http://127.0.0.1:{port}", "--mic", "none", "--speaker", "none",
            "--connect-timeout", "1", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        async with asyncio.timeout(60):
            _, err = await proc.communicate()
    assert proc.returncode == 1
    assert f"no answer from ws://127.0.0.1:{port} within 1 s" in err.decode()


# --- --record that cannot be written (item 6) ----------------------------------------------------


# Root writes into any directory: the read-only case runs without the capabilities that let it,
# as any user would.
AS_A_USER = ["setpriv", "--bounding-set=-dac_override,-dac_read_search",
             "--inh-caps=-dac_override,-dac_read_search"]


def read_only_dir(base: Path) -> Path:
    ro = base / "read-only"
    ro.mkdir()
    ro.chmod(0o555)
    return ro / "log.jsonl"


@pytest.mark.parametrize("where", ["full-disk", "missing-dir", "read-only-dir"])
async def test_a_record_path_that_cannot_be_written_is_an_error_at_start(
    tmp_path: Path, where: str
) -> None:
    path, reason = {
        "full-disk": (Path("/dev/full"), "No space left on device"),
        "missing-dir": (tmp_path / "nodir" / "log.jsonl", "the folder {} does not exist"),
        "read-only-dir": (read_only_dir(tmp_path), "the folder {} cannot be written to"),
    }[where]
    prefix = AS_A_USER if where == "read-only-dir" and os.geteuid() == 0 else []
    proc = await asyncio.create_subprocess_exec(
        *prefix, sys.executable, "-m", "voicechat.cli", "--no-ui", "--record", str(path),
        "--server", "http://127.0.0.1:9", "--mic", "none", "--speaker", "none",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "HOME": str(tmp_path)},
    )
    async with asyncio.timeout(60):
        _, err = await proc.communicate()
    if where == "full-disk":  # found by the first write, at start
        assert proc.returncode == 1
        assert f"voicechat: cannot record to {path}: {reason} (" in err.decode()
    else:  # seen before anything starts: a usage error (issue 55, item 8)
        assert proc.returncode == 2
        assert f"voicechat: --record {path}: {reason.format(path.parent)}" in err.decode()
    assert "cannot reach" not in err.decode()  # it failed before trying to connect


async def test_a_recording_that_fails_mid_run_says_so_once_and_the_talk_goes_on(
    tmp_path: Path, server: LocalServer
) -> None:
    fifo = tmp_path / "log.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # the log's reader, for now
    settings = Settings(server="local", local_voice="tone", transport="websocket", mic="none",
                        speaker="none", record=fifo)
    rt = Runtime(settings, local_server=server)
    conv = Conversation(rt)
    await rt.start()
    try:
        await conv.until(lambda: rt.connection.state == "connected")
        assert b'"local.transport.state"' in os.read(reader, 1 << 16)
        os.close(reader)  # the reader goes away: every later write fails
        rt.send_text("Hello there.")
        await conv.until(lambda: rt.completed_responses == 1)
        rt.send_text("And again.")
        await conv.until(lambda: rt.completed_responses == 2)
        said = [m for m in conv.notices() if "record" in m]
        assert len(said) == 1
        assert said[0].startswith(f"recording to {fifo} stopped after ")
        assert "Broken pipe; later events are not in the log" in said[0]
        assert rt.record_error == said[0] and rt.exit_code == 1
    finally:
        await rt.stop()


@pytest.mark.slow
async def test_headless_says_a_failed_recording_on_stderr_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from voicechat.lines.realtime import RealtimeLines
    from voicechat.lines.run import run_lines

    fifo = tmp_path / "log.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)

    async def read_a_little_then_leave() -> None:
        await until(lambda: _read(reader), "the first records")
        os.close(reader)

    wav = speech_wav(tmp_path / "one.wav", TEST_PHRASES[:1], tail_s=1.5)
    settings = Settings(server="local", transport="websocket", local_voice="tone",
                        local_asr_phrases=list(TEST_PHRASES), mic=str(wav), speaker="none",
                        record=fifo, no_ui=True, turns=1)
    leaving = asyncio.get_running_loop().create_task(read_a_little_then_leave())
    out = io.StringIO()
    code = await run_lines(RealtimeLines(settings), turns=1, out=out)
    await leaving
    err = capsys.readouterr().err
    assert code == 1
    assert err.count(f"voicechat: recording to {fifo} stopped after ") == 1
    assert out.getvalue().count("notice error: recording to ") == 1
    assert "1 response(s) completed" in out.getvalue()  # the conversation itself went on


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 1 << 16)
    except BlockingIOError:
        return b""
