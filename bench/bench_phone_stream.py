"""Media Streams from the phone network's side under load: the caller's pacing and mark echoes.

Run: .venv/bin/python bench/bench_phone_stream.py [--calls 100] [--seconds 20] [--busy]

Issue 75's figures for voicechat as the phone network (``transport/twilio``):

* **pacing**: the caller's ``media`` frames leave every 20 ms; the jitter of a frame is how far
  the gap to the one before it at the agent is from 20 ms (goal: p99 ≤ 5 ms with 100 concurrent
  calls on one core);
* **mark echoes**: a ``mark`` comes back once the audio queued before it has played; its
  lateness is the echo's arrival minus the real end of that audio (goal: ≤ 20 ms).

The set-up: a bench agent (this file with ``--agent``, a process of its own, pinned to the
second core) answers the voice webhook with TwiML whose ``<Connect><Stream>`` is its own
WebSocket. On each stream it notes when each caller frame arrives and, once a second, sends
400 ms of audio in one message and then a mark, noting when it sent them: the audio starts
playing on arrival (the queue is empty by then), so its real end is the send time plus 400 ms
(loopback adds ~0.1 ms). The callers are :class:`~voicechat.transport.twilio.stream_call.StreamCall`
objects in this process, pinned to the first core: one event loop, as ``voicechat load``'s
engine runs them. The calls start at random instants over the first second, as calls do; the
first second of each is left out. The same run measures one call alone first: the baseline the
ratio is against. ``--busy`` keeps a busy loop on the callers' core meanwhile.

Nothing is asserted; the figures and the load are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FRAME_S = 0.020
REPLY_MS = 400
REPLY_EVERY_S = 1.0
WARM_UP_S = 1.0


# --- the bench agent (its own process) ------------------------------------------------------

def agent_main(port_file: Path) -> None:
    from aiohttp import web

    results: list[dict[str, Any]] = []

    async def incoming(request: web.Request) -> web.Response:
        await request.post()
        host = request.host
        twiml = ('<?xml version="1.0" encoding="UTF-8"?><Response><Connect>'
                 f'<Stream url="ws://{host}/media-stream"/></Connect></Response>')
        return web.Response(text=twiml, content_type="text/xml")

    async def media(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        arrivals: list[float] = []
        marks: dict[str, float] = {}  # name -> the real end of the audio before it
        echoes: list[float] = []  # lateness of each echo (s)
        sid = ""
        payload = base64.b64encode(bytes([0x7F, 0x00, 0x7F, 0x80]) * (2 * REPLY_MS)).decode()

        async def reply() -> None:
            n = 0
            while not ws.closed:
                await asyncio.sleep(REPLY_EVERY_S)
                n += 1
                sent = time.monotonic()
                await ws.send_str(json.dumps({"event": "media", "streamSid": sid,
                                              "media": {"payload": payload}}))
                marks[f"m{n}"] = sent + REPLY_MS / 1000
                await ws.send_str(json.dumps({"event": "mark", "streamSid": sid,
                                              "mark": {"name": f"m{n}"}}))

        replying: asyncio.Task[None] | None = None
        async for message in ws:
            now = time.monotonic()
            data = json.loads(message.data)
            event = data.get("event")
            if event == "media":
                arrivals.append(now)
            elif event == "start":
                sid = data["start"]["streamSid"]
                replying = asyncio.create_task(reply())
            elif event == "mark":
                end = marks.pop(data["mark"]["name"], None)
                if end is not None:
                    echoes.append(now - end)
            elif event == "stop":
                break
        if replying is not None:
            replying.cancel()
        results.append({"arrivals": arrivals, "echoes": echoes})
        return ws

    async def take(request: web.Request) -> web.Response:
        out = list(results)
        results.clear()
        return web.json_response(out)

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/incoming-call", incoming)
        app.router.add_get("/media-stream", media)
        app.router.add_get("/results", take)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        port_file.write_text(str(port))
        await asyncio.Event().wait()

    asyncio.run(main())


# --- the callers (this process) ---------------------------------------------------------------

async def calls(hook: str, n: int, seconds: float) -> tuple[list[dict[str, Any]], float, float]:
    """``n`` calls for ``seconds``; the agent's notes of each, the wall time and our CPU time."""
    import aiohttp

    from voicechat.phone.twilio.media_stream import MediaStream
    from voicechat.phone.twilio.signature import TEST_AUTH_TOKEN
    from voicechat.phone.twilio.twiml import Stream
    from voicechat.phone.twilio.webhook import Call
    from voicechat.transport.twilio.dial import connect, ring
    from voicechat.transport.twilio.stream_call import StreamCall

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        async def one(delay: float) -> None:
            await asyncio.sleep(delay)
            call = Call.new()
            twiml = await ring(http, hook, call, auth_token=TEST_AUTH_TOKEN)
            stream = next(s for s in twiml.steps if isinstance(s, Stream))
            ws = await connect(http, stream, auth_token=TEST_AUTH_TOKEN)
            phone = StreamCall(ws, MediaStream(call, stream), caller=lambda: b"",
                               hear=lambda audio, now: None, on_event=lambda event: None)
            running = asyncio.create_task(phone.run())
            await asyncio.sleep(seconds)
            phone.hang_up()
            await running

        cpu0, wall0 = time.process_time(), time.monotonic()
        await asyncio.gather(*(one(random.uniform(0, 1.0) if n > 1 else 0.0) for _ in range(n)))
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        await asyncio.sleep(0.5)  # the agent's handlers note the last stops
        async with http.get(hook.replace("/incoming-call", "/results")) as response:
            return await response.json(), wall, cpu


def figures(results: list[dict[str, Any]]) -> dict[str, float]:
    jitter: list[float] = []
    drift: list[float] = []
    echoes: list[float] = []
    for call in results:
        arrivals = call["arrivals"]
        kept = [t for t in arrivals if t - arrivals[0] >= WARM_UP_S] if arrivals else []
        jitter += [abs((b - a) - FRAME_S) * 1000 for a, b in itertools.pairwise(kept)]
        if kept:  # how far the n-th frame is from its slot on the first kept one's schedule
            drift += [abs(t - (kept[0] + i * FRAME_S)) * 1000 for i, t in enumerate(kept)]
        echoes += [e * 1000 for e in call["echoes"]]
    def p99(values: list[float]) -> float:  # nearest rank: never past the largest
        ranked = sorted(values)
        return ranked[max(0, math.ceil(0.99 * len(ranked)) - 1)]

    return {
        "frames": len(jitter),
        "jitter_p50": statistics.median(jitter),
        "jitter_p99": p99(jitter),
        "jitter_max": max(jitter),
        "drift_max": max(drift),
        "echo_n": len(echoes),
        "echo_p50": statistics.median(echoes),
        "echo_p99": p99(echoes),
        "echo_max": max(echoes),
        "echo_min": min(echoes),
    }


def show(label: str, f: dict[str, float], wall: float, cpu: float) -> None:
    print(f"{label}: {f['frames']:.0f} frame gaps, jitter p50 {f['jitter_p50']:.2f} ms, "
          f"p99 {f['jitter_p99']:.2f} ms, max {f['jitter_max']:.1f} ms, off its 20 ms slot "
          f"at most {f['drift_max']:.1f} ms; {f['echo_n']:.0f} mark echoes, late by p50 "
          f"{f['echo_p50']:.1f} ms, p99 {f['echo_p99']:.1f} ms, max {f['echo_max']:.1f} ms "
          f"(min {f['echo_min']:.1f}); the callers' core {100 * cpu / wall:.0f} % busy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--busy", action="store_true", help="a busy loop on the callers' core")
    parser.add_argument("--agent", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.agent is not None:
        os.sched_setaffinity(0, {1 % os.cpu_count()})  # type: ignore[operator]
        agent_main(args.agent)
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
    port_file = Path(f"/tmp/bench-phone-{os.getpid()}.port")
    agent = subprocess.Popen([sys.executable, __file__, "--agent", str(port_file)])
    busy = None
    try:
        while not port_file.exists() or not port_file.read_text():
            time.sleep(0.05)
        hook = f"http://127.0.0.1:{port_file.read_text()}/incoming-call"
        os.sched_setaffinity(0, {0})
        if args.busy:
            busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            os.sched_setaffinity(busy.pid, {0})
        print(f"machine: {os.cpu_count()} cores; load before {os.getloadavg()}; callers on "
              f"core 0, the agent on core {1 % (os.cpu_count() or 1)}"
              f"{'; a busy loop on core 0' if busy else ''}")
        base = asyncio.run(calls(hook, 1, min(args.seconds, 10.0)))
        fb = figures(base[0])
        show("1 call (baseline)", fb, base[1], base[2])
        loaded = asyncio.run(calls(hook, args.calls, args.seconds))
        fl = figures(loaded[0])
        show(f"{args.calls} calls", fl, loaded[1], loaded[2])
        print(f"against the baseline: jitter p99 {fl['jitter_p99'] / fb['jitter_p99']:.2f}×, "
              f"mark echo p99 {fl['echo_p99'] / max(fb['echo_p99'], 0.1):.2f}×; "
              f"load after {os.getloadavg()}")
        print(f"goals: jitter p99 ≤ 5 ms: {'met' if fl['jitter_p99'] <= 5 else 'NOT met'}; "
              f"mark echo ≤ 20 ms late: {'met' if fl['echo_max'] <= 20 else 'NOT met'} "
              f"(p99 {fl['echo_p99']:.1f} ms)")
    finally:
        if busy is not None:
            busy.kill()
        agent.kill()
        port_file.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
