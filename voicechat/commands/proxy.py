"""``voicechat proxy``: put the Realtime proxy between an app and its server, and watch.

Wrong input is one sentence and exit 2 (a bad ``--listen``, a non-loopback address without
``--allow-remote``, an unknown ``--upstream``, a ``--record`` path that cannot be written, a port
in use). Everything observed goes through the feed; ``--no-ui`` ends with a summary that counts
what the printer and the recording had to drop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path

from voicechat.commands.observing import (
    Clock,
    run_lines,
    run_ui,
    say,
    start_tracing,
    stop_tracing,
    tap_factory,
)
from voicechat.eventlog.recorder import RecordError, kept_text
from voicechat.observe.recording import RecordingFeed, SessionRecordings
from voicechat.observe.upstream import UpstreamError, resolve_upstream
from voicechat.proxy.app import PROXY_SESSION, RealtimeProxy
from voicechat.proxy.listen import ListenError, parse_listen


def run(*, listen: str, upstream: str, record: Path | None, no_ui: bool,
        allow_remote: bool, feed_size: int = 10_000) -> int:
    try:
        host, port = parse_listen(listen, allow_remote=allow_remote)
        target = resolve_upstream(upstream, os.environ)
    except (ListenError, UpstreamError) as exc:
        print(f"voicechat proxy: {exc}", file=sys.stderr)
        return 2
    recordings: SessionRecordings | None = None
    proxy_ref: list[RealtimeProxy] = []

    def recording_notice(message: str) -> None:
        if proxy_ref:
            proxy_ref[0].say(message, level="info")

    if record is not None:
        try:
            recordings = SessionRecordings(record, on_notice=recording_notice,
                                           side_sessions=frozenset({PROXY_SESSION}))
        except RecordError as exc:
            print(f"voicechat proxy: {exc}", file=sys.stderr)
            return 2
        if recordings.kept is not None:
            print(f"voicechat proxy: {kept_text(record, recordings.kept)}", file=sys.stderr)
    feed = RecordingFeed(recordings, maxsize=feed_size)
    clock = Clock()
    tracing = start_tracing(lambda message: (proxy_ref[0].say(message, level="warning")
                                             if proxy_ref else say(message)))
    proxy = RealtimeProxy(target, feed, tap_factory(feed, clock, tracing, target.base), clock,
                          host=host, port=port)
    proxy_ref.append(proxy)
    failed: list[str] = []

    async def produce() -> None:
        try:
            await proxy.start()
        except OSError as exc:
            failed.append(f"cannot listen on {host}:{port}: {exc.strerror or exc}; pick another "
                          "--listen port (0 = any free port)")
            if not no_ui:  # the observer shows a failed producer as a problem, on screen
                raise RuntimeError(failed[-1]) from None
            return
        writer = asyncio.create_task(recordings.run()) if recordings is not None else None
        proxy.say(f"listening on {proxy.base_url}, forwarding to {target.base}; point your app's "
                  f"base URL at {proxy.base_url}/v1", level="info")
        if no_ui:
            say(f"voicechat proxy ready: {proxy.base_url} → {target.base}")
            say(f"  openai SDK:  base_url='{proxy.base_url}/v1', "
                f"websocket_base_url='{proxy.base_url.replace('http', 'ws', 1)}/v1'")
            say(f"  WebSocket:   {proxy.base_url.replace('http', 'ws', 1)}/v1/realtime?model=...")
        try:
            await asyncio.Event().wait()
        finally:
            await proxy.stop()
            await stop_tracing(tracing)
            if recordings is not None:
                await recordings.aclose(writer)

    # With port 0 the real port is known only once listening: the proxy's own pane says it.
    title = f"voicechat proxy {host}:{port} → {target.base}" if port else \
        f"voicechat proxy → {target.base}"
    if not no_ui:
        run_ui(feed, title, produce)
    else:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_lines(feed, produce, sys.stdout))
    if failed:
        print(f"voicechat proxy: {failed[0]}", file=sys.stderr)
        return 2
    if no_ui:
        summary = f"proxy stopped: {proxy.sessions_seen} session(s); {feed.dropped} item(s) " \
                  "dropped by the display"
        if recordings is not None:
            files = ", ".join(str(p) for p in recordings.paths) or "nothing recorded"
            summary += f"; {recordings.dropped} event(s) dropped by the recording ({files})"
        say(summary)
    return 0
