"""``voicechat serve``: run the local Realtime-compatible server until interrupted.

Prints the URLs a client needs (REST base, the SDK's ``websocket_base_url``), keeps a log line per
session on stderr, and turns configuration mistakes into one clear sentence and exit code 2.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import re
import signal
import ssl
import sys
from collections.abc import Sequence
from pathlib import Path

from voicechat.commands import logs

#: the first line ``voicechat serve`` prints (flushed) once it listens, with the address it took:
#: what a program that starts it with ``--port 0`` reads (``voicechat load``, the tests)
READY_PREFIX = "voicechat server ready: "
READY_LINE = re.compile(rf"^{READY_PREFIX}(https?://[^:/\s]+:(\d+))$", re.MULTILINE)


def read_api_key(api_key: str | None, api_key_file: Path | None) -> str | None:
    """The server key from ``--api-key-file`` (first line) or ``--api-key``/the environment.

    A file (or ``VOICECHAT_SERVER_API_KEY``) keeps the key out of the process list: anything on
    the command line is readable by every local user through ``ps``.
    """
    if api_key_file is None:
        return api_key
    if api_key is not None:
        raise ValueError("give the key once: --api-key (or its variable) or --api-key-file")
    try:
        lines = api_key_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read --api-key-file {api_key_file}: {exc}") from None
    key = lines[0].strip() if lines else ""
    if not key:
        raise ValueError(f"--api-key-file {api_key_file} is empty: put the key on its first line")
    return key


def tls_context(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    """The server's TLS context from ``--tls-cert``/``--tls-key`` (both or neither), or why not.

    Google's ``google-genai`` SDK connects its live client only with ``wss://``, so pointing it at
    this server needs a certificate the client trusts (its ``HttpOptions.async_client_args``).
    """
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise ValueError("give --tls-cert and --tls-key together")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"cannot load --tls-cert {cert} / --tls-key {key}: {exc}") from None
    return context


def run(
    *,
    host: str,
    port: int,
    voice: str,
    responder: str,
    api_key: str | None,
    api_key_file: Path | None = None,
    allow_origins: Sequence[str] = (),
    verbose: int = 0,
    log_level: str | None = None,
    gemini_connection_s: float = 600.0,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    xai_session_created: bool = True,
    asr_phrases: Sequence[str] | None = None,
) -> int:
    try:
        level = logs.level_for(verbose, log_level, "info")
    except ValueError as exc:
        print(f"voicechat serve: {exc}", file=sys.stderr)
        return 2
    from voicechat.protocol.gemini import names as gemini_names
    from voicechat.server.app import LocalServer, ServerConfig, ServerConfigError
    from voicechat.server.redact import SecretFilter
    from voicechat.server.voice.responders import ResponderError

    try:
        api_key = read_api_key(api_key, api_key_file)
    except ValueError as exc:
        print(f"voicechat serve: {exc}", file=sys.stderr)
        return 2
    try:
        tls = tls_context(tls_cert, tls_key)
    except ValueError as exc:
        print(f"voicechat serve: {exc}", file=sys.stderr)
        return 2
    # one line per session by default; aioice's ICE chatter only with -v
    handler = logs.configure(level, logs.library_level_for(level, verbose), stream=sys.stderr,
                             fmt="%(asctime)s %(message)s")
    handler.addFilter(SecretFilter([api_key or ""]))  # every library's lines, not only ours
    config = ServerConfig(
        host=host,
        port=port,
        voice=voice,
        responder=responder,
        api_key=api_key,
        asr_workers=1,
        allow_origins=list(allow_origins),
        gemini_connection_s=gemini_connection_s,
        tls=tls,
        xai_session_created=xai_session_created,
        asr_phrases=list(asr_phrases) if asr_phrases else None,
    )

    async def serve() -> int:
        server = LocalServer(config)
        try:
            await server.start()
        except (ServerConfigError, ResponderError) as exc:
            print(f"voicechat serve: {exc}", file=sys.stderr)
            return 2
        except OSError as exc:
            print(
                f"voicechat serve: cannot listen on {host}:{port}: {exc.strerror or exc}. "
                "Pick another --port (0 = any free port).",
                file=sys.stderr,
            )
            return 2
        # What start-up made (modules, the models, the voice: 82 k objects) lives as long as
        # the server: frozen, a full collection no longer walks it while sessions wait on the
        # loop (40 ms of every full collection on this project's loaded 2-core machine). The
        # garbage start-up left is collected first, or freezing would keep it for good.
        gc.collect()
        gc.freeze()
        print(f"{READY_PREFIX}{server.base_url}")
        print(f"  WebRTC (GA):  POST {server.base_url}/v1/realtime/calls")
        print(f"  WebSocket:    {server.ws_url}/realtime?model=gpt-realtime")
        print(
            f"  openai SDK:   AsyncOpenAI(base_url='{server.base_url}/v1', "
            f"websocket_base_url='{server.ws_url}')"
        )
        print(f"  GPT-Live:     {server.ws_url}/live/sessions (WebSocket; POST: WebRTC)")
        print(f"  Gemini Live:  {server.ws_url.removesuffix('/v1')}{gemini_names.PATH}?key=KEY "
              f"(connections live {gemini_connection_s:g} s)")
        print("  auth:         " + ("API key required" if api_key else "any key (loopback demo)"))
        print(
            "  browsers:     only with an ek_ key minted here"
            + (f"; trusted origins: {', '.join(allow_origins)}" if allow_origins else "")
        )
        sys.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            # no signal handlers on Windows loops: KeyboardInterrupt ends the server there
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await server.stop()
        return 0

    from voicechat.rtc.coalesce import coalescing_loop

    try:
        # socket reads wait for the pacer's next tick: one loop wake-up per 20 ms for every
        # session's RTP, in and out (voicechat/rtc/coalesce.py)
        with asyncio.Runner(loop_factory=coalescing_loop) as runner:
            return runner.run(serve())
    except KeyboardInterrupt:
        return 0
