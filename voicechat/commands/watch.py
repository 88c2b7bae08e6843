"""``voicechat watch CALL_ID``: attach to a live WebRTC call's sideband and watch it.

A GPT-Live session (an id ``live_…``, or ``--api live`` for ids of other shapes such as
Azure's ``sess_…``) is watched through ``/v1/live/sessions/{id}/attach``; a Realtime call
through ``/v1/realtime?call_id=…``.

Read-only unless ``--allow-send``: then each stdin line (``--no-ui``) is a JSON client event sent
to the call (a ``session.update``, say), and the end of stdin detaches. Read-only, a line typed
is answered with a notice and the end of stdin changes nothing (``watch < /dev/null`` or under
``nohup`` keeps watching). Ctrl-C detaches: only our socket closes, the call goes on. A call
that does not exist (or already ended) is one clear sentence and exit 1; a bad ``--server`` or
a missing key, exit 2.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import threading
from pathlib import Path

import aiohttp

from voicechat.commands.observing import (
    Clock,
    run_lines,
    run_ui,
    start_tracing,
    stop_tracing,
    tap_factory,
)
from voicechat.eventlog.recorder import RecordError, kept_text
from voicechat.observe.recording import RecordingFeed, SessionRecordings
from voicechat.observe.sideband import Sideband, SidebandError, attach, valid_call_id
from voicechat.observe.tap import Tap, notice
from voicechat.observe.upstream import Upstream, UpstreamError, resolve_upstream
from voicechat.protocol.providers import PROFILES


def sideband_refusal(server: str) -> str | None:
    """Why ``watch`` cannot watch this provider's sessions (``None``: it can).

    ``watch`` attaches to a WebRTC call's sideband; a provider whose profile has no WebRTC
    (xAI, Voice Live on its GA API, Gemini Live) has no call to attach to, and no service of
    theirs lets a second socket join a WebSocket session. Their sessions are watched by
    putting ``voicechat proxy`` in front of the app instead, which the sentence says."""
    profile = PROFILES.get(server.strip().lower())
    if profile is None or profile.capabilities.webrtc:
        return None
    return (f"{profile.title} has no WebRTC calls, so no sideband to attach to; watch its "
            f"sessions by running the app through `voicechat proxy --upstream {profile.name}` "
            "(the proxy shows each session live)")


def key_headers(target: Upstream, env: dict[str, str]) -> dict[str, str] | str:
    """The server key as the server wants it, or why there is none."""
    name = target.key_env or "OPENAI_API_KEY"
    key = env.get(name, "").strip()
    if not key:
        if target.key_env is None:
            return {}  # our local server in its keyless demo mode
        return f"the sideband needs the server's key: set {name}"
    return {"api-key": key} if target.azure else {"Authorization": f"Bearer {key}"}


def stdin_lines(loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str | None]:
    """Lines of stdin as they come (``None`` at the end), read in a daemon thread so that a
    blocked read never holds up leaving."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="watch-stdin", daemon=True).start()
    return queue


async def _send_lines(lines: asyncio.Queue[str | None], sideband: Sideband, tap: Tap,
                      allow_send: bool) -> None:
    """Send each JSON line (``--allow-send``) until stdin ends."""
    while (line := await lines.get()) is not None:
        text = line.strip()
        if not text:
            continue
        if not allow_send:
            notice(tap, "read-only: not sent (start with --allow-send to send events)", "warning")
            continue
        try:
            event = json.loads(text)
        except ValueError as exc:
            notice(tap, f"not sent: not JSON ({exc})", "warning")
            continue
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            notice(tap, "not sent: a client event is a JSON object with a \"type\"", "warning")
            continue
        await sideband.send(event)


def is_live(call_id: str, api: str) -> bool:
    """GPT-Live's sideband or Realtime's: ``--api`` decides, else the id's ``live_`` prefix
    (OpenAI's documented shape; Azure's ``sess_…`` needs ``--api live``)."""
    return api == "live" or (api == "auto" and call_id.startswith("live_"))


def run(call_id: str, *, server: str, record: Path | None, no_ui: bool, allow_send: bool,
        api: str = "auto") -> int:
    if not valid_call_id(call_id):
        print(f"voicechat watch: {call_id!r} is not a call id (letters, digits, _ and -, like "
              "rtc_abc123)", file=sys.stderr)
        return 2
    refusal = sideband_refusal(server)  # before the endpoint: it would not help
    if refusal is not None:
        print(f"voicechat watch: {refusal}", file=sys.stderr)
        return 2
    try:
        target = resolve_upstream(server, os.environ)
    except UpstreamError as exc:
        print(f"voicechat watch: {exc}", file=sys.stderr)
        return 2
    headers = key_headers(target, dict(os.environ))
    if isinstance(headers, str):
        print(f"voicechat watch: {headers}", file=sys.stderr)
        return 2
    recordings: SessionRecordings | None = None
    if record is not None:
        try:
            recordings = SessionRecordings(record)
        except RecordError as exc:
            print(f"voicechat watch: {exc}", file=sys.stderr)
            return 2
        if recordings.kept is not None:
            print(f"voicechat watch: {kept_text(record, recordings.kept)}", file=sys.stderr)
    feed = RecordingFeed(recordings)
    clock = Clock()
    taps: list[Tap] = []  # the watched session's, once open: later notices go to its pane

    def tracing_notice(message: str) -> None:
        if taps:
            notice(taps[0], message, "warning")
        else:
            print(f"voicechat watch: {message}", file=sys.stderr)

    tracing = start_tracing(tracing_notice)
    make_tap = tap_factory(feed, clock, tracing, target.base)
    failed: list[str] = []
    live = is_live(call_id, api)
    session = f"{'live' if live else 'call'} {call_id}"
    path = target.live_sideband_path(call_id) if live else target.sideband_path(call_id)

    async def produce() -> None:
        writer = asyncio.create_task(recordings.run()) if recordings is not None else None
        try:
            async with aiohttp.ClientSession() as http:
                try:
                    ws = await attach(http, target.ws_url(path), headers)
                except SidebandError as exc:
                    failed.append(f"cannot watch call {call_id} on {target.base}: {exc}")
                    if not no_ui:  # the observer shows a failed producer as a problem
                        raise RuntimeError(failed[-1]) from None
                    return
                tap = make_tap(session)
                taps.append(tap)
                tap.open(f"{session} on {target.base} ({'GPT-Live ' if live else ''}sideband"
                         f"{', may send' if allow_send else ', read-only'})", "sideband")
                await _watch(Sideband(ws, tap), tap)
        finally:
            await stop_tracing(tracing)
            if recordings is not None:
                await recordings.aclose(writer)

    async def _watch(sideband: Sideband, tap: Tap) -> None:
        follow = asyncio.create_task(sideband.follow())
        waiting = {follow}
        tasks = {follow}
        if no_ui:
            sender = asyncio.create_task(_send_lines(stdin_lines(asyncio.get_running_loop()),
                                                     sideband, tap, allow_send))
            tasks.add(sender)
            if allow_send:  # the end of what we were asked to send is the end of the watch
                waiting.add(sender)
        try:
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if follow.done() and not follow.cancelled() and follow.exception() is None:
                by, reason = follow.result()
                tap.close(by, reason)
            else:
                await sideband.detach()
                tap.close("watcher", "detached; the call goes on")

    title = f"voicechat watch {call_id} on {target.base}"
    if no_ui:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_lines(feed, produce, sys.stdout))
    else:
        run_ui(feed, title, produce)
    if failed:
        print(f"voicechat watch: {failed[0]}", file=sys.stderr)
        return 1
    return 0
