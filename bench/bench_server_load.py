"""How many concurrent WebRTC sessions one local server process holds, and CPU per session.

For each level N (1, 2, 4, … up to --max) a fresh ``voicechat serve --voice tone`` process is
started and N aiortc clients (in this process) do the GA flow (``/v1/realtime/calls`` +
``oai-events``) and talk continuously: an espeak phrase every few seconds, so the server runs
VAD on every stream, recognises each utterance, answers with the echo responder and sends the
answer back as audio — audio flows both ways all the time. After --seconds the server's own
pacing figures are read from ``/healthz``:

* late frame: an outgoing 20 ms frame that left more than one frame period behind its schedule
  (the receiver's 80 ms jitter buffer hides small delays; sustained lateness is an underrun);
* underrun frame: one that left more than 80 ms behind its schedule (audible); both are also
  given per session;
* CPU per session: the server process's user+system CPU time over the window (read from
  ``/proc/PID/stat``), minus the same server's idle CPU, divided by N; its voice worker child
  process (ASR, TTS: per utterance, not per frame) is given apart, per session.

Same-run baseline: before the levels, a server with no session at all is measured over the same
window (its idle CPU: the event loop, timers); each level's CPU per session is net of it, and the
gross figure is printed too. The server runs as a separate ``voicechat serve`` process and the
clients in ``--client-procs`` worker processes of their own (this script with ``--worker``), so
the server's CPU is its own and the clients do not starve each other in one event loop; this
process only measures. The server's CPU is also split by thread (``/proc/PID/task``): its event
loop thread against the rest (aiortc's Opus decoder threads, executors).

``--profile FILE`` runs the server of the last level under cProfile (its event loop thread's CPU
time) over the measuring window only (start-up and connection set-up left out) and writes the
stats to FILE (read them with ``python -m pstats FILE``).

``--against DIR`` also runs another checkout's server (``DIR/.venv/bin/python -m voicechat.cli
serve`` from ``DIR``: main's, say) side by side in each level, with the same number of clients
of its own, measured over the same window: both servers share the machine's load at the same
moments, so their ratio holds even where the other helpers' work makes each figure move.

Two verdicts per level: *strict* — no frame late at all (beyond one frame period); *no
audible underrun* — no frame later than 80 ms, the depth of aiortc's receive jitter buffer,
which hides smaller delays from the listener. The run continues while the second holds, up to
--max or --budget seconds in total. The clients (Opus encoders/decoders too) share this
machine's CPUs with the server, and figures on a shared machine are noisy: the report prints
the load average next to them.

    .venv/bin/python bench/bench_server_load.py [--max 16] [--seconds 10] [--budget 240]
        [--client-procs 2] [--levels 2,4,8] [--profile FILE] [--against DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from machine import StealMeter, describe, speed_reference_ms

from voicechat.rtc import dsp
from voicechat.rtc.loopback import use_loopback_ice
from voicechat.rtc.tracks import PacedAudioTrack, cancel_task, start_pump

ROOT = Path(__file__).resolve().parent.parent
PHRASES = ["Please turn on the kitchen lights.", "How far away is the moon?"]


def speech() -> list[np.ndarray]:
    from voicechat.server.voice.tts import make_voice

    voice = make_voice("espeak")
    return [dsp.resample(voice.synthesize(p), 24000, 48000) for p in PHRASES]


class Client:
    def __init__(self, phrases: list[np.ndarray]) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.mic = PacedAudioTrack()
        self.pc.addTrack(self.mic)
        self.dc = self.pc.createDataChannel("oai-events")
        self.phrases = phrases
        self.events: dict[str, int] = {}
        self.heard = 0
        self.tasks: list[asyncio.Task[None]] = []
        self.dc.on("message", self._on_message)
        self.pc.on("track", self._on_track)

    def _on_message(self, text: str) -> None:
        kind = json.loads(text).get("type", "?")
        self.events[kind] = self.events.get(kind, 0) + 1

    def _on_track(self, track: object) -> None:
        def count(pcm: np.ndarray, rate: int) -> None:
            if np.abs(pcm).max(initial=0) > 500:
                self.heard += pcm.size

        self.tasks.append(start_pump(track, count))  # type: ignore[arg-type]

    async def connect(self, base: str) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        async with aiohttp.ClientSession() as http:
            resp = await http.post(
                f"{base}/v1/realtime/calls",
                data=self.pc.localDescription.sdp,
                headers={"Authorization": "Bearer bench", "Content-Type": "application/sdp"},
            )
            answer = await resp.text()
            if resp.status != 201:
                raise RuntimeError(f"SDP exchange failed: {resp.status} {answer[:200]}")
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        self.tasks.append(asyncio.ensure_future(self._talk()))

    async def _talk(self) -> None:
        i = 0
        while True:
            pcm = self.phrases[i % len(self.phrases)]
            self.mic.push(pcm)
            # speak, then leave room for the answer (played back in real time) before the next
            await asyncio.sleep(pcm.size / 48000 + 4.0)
            i += 1

    async def close(self) -> None:
        for task in self.tasks:
            await cancel_task(task)
        await self.pc.close()


def _stat_cpu(stat: Path) -> float:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    return _stat_cpu(Path(f"/proc/{pid}/stat"))


def thread_cpu_seconds(pid: int) -> tuple[float, float]:
    """(the main thread's CPU, every other live thread's) of process ``pid``.

    The main thread runs the event loop (RTP, SRTP, pacing, VAD framing, the engine); the others
    are aiortc's Opus decoder threads (one per incoming track) and executor workers.
    """
    main = other = 0.0
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            cpu = _stat_cpu(stat)
            if stat.parent.name == str(pid):
                main += cpu
            else:
                other += cpu
    return main, other


def children_cpu_seconds(pid: int) -> float:
    """CPU of the server's live child processes (its voice worker: ASR and TTS)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


#: run ``voicechat serve`` with cProfile (CPU time of the thread) over the measuring window only:
#: SIGUSR1 starts it, SIGUSR2 stops it and writes the stats (start-up, imports and connection
#: set-up stay out of the figures; the handlers run in the main thread, the server's loop)
_PROFILED_SERVE = """
import cProfile, signal, sys, time
from voicechat.cli import main
# the loop thread's CPU time, not wall time: a sendto that wakes a client on loopback would
# otherwise be charged for the time the client ran while the server was preempted
profile = cProfile.Profile(time.thread_time)
out = sys.argv[1]
sys.argv = ["voicechat"] + sys.argv[2:]
def stop(*_):
    profile.disable()
    profile.dump_stats(out)
signal.signal(signal.SIGUSR1, lambda *_: profile.enable())
signal.signal(signal.SIGUSR2, stop)
main()
"""


async def start_server(
    profile: str | None = None, checkout: Path = ROOT
) -> tuple[subprocess.Popen[str], str]:
    """``voicechat serve`` of ``checkout`` (this one by default) with its own interpreter."""
    serve = ["serve", "--port", "0", "--voice", "tone"]
    python = sys.executable if checkout == ROOT else str(checkout / ".venv" / "bin" / "python")
    if profile:
        argv = [python, "-c", _PROFILED_SERVE, profile, *serve]
    else:
        argv = [python, "-m", "voicechat.cli", *serve]
    proc = subprocess.Popen(
        argv,
        cwd=checkout,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    loop = asyncio.get_running_loop()
    line = await asyncio.wait_for(loop.run_in_executor(None, proc.stdout.readline), 60)
    match = re.search(r"(http://\S+)", line)
    if not match:
        proc.kill()
        raise RuntimeError(f"server did not start: {line!r}")
    return proc, match.group(1)


def stop_server(proc: subprocess.Popen[str], profiled: bool = False) -> None:
    proc.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(30 if profiled else 10)
    if proc.poll() is None:
        proc.kill()


async def idle_cpu(seconds: float) -> float:
    """The baseline: % of a core a server with no session uses over ``seconds``."""
    proc, _ = await start_server()
    try:
        await asyncio.sleep(3.0)  # the same settling time as a level
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        await asyncio.sleep(seconds)
        return 100 * (cpu_seconds(proc.pid) - cpu0) / (time.monotonic() - t0)
    finally:
        stop_server(proc)


# --- the clients: in worker processes (--client-procs), or in this one (0) --------------------


async def worker(base: str, count: int) -> None:
    """``--worker``: run ``count`` clients against ``base`` until stdin closes, then report."""
    use_loopback_ice()
    phrases = speech()
    clients = [Client(phrases) for _ in range(count)]
    await asyncio.gather(*(c.connect(base) for c in clients))
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the bench closes our stdin
    for c in clients:
        await c.close()
    print(json.dumps({
        "responses": sum(c.events.get("response.done", 0) for c in clients),
        "heard": sum(c.heard for c in clients),
    }), flush=True)


class ClientGroup:
    """N clients spread over ``procs`` worker processes (or run here when ``procs`` is 0)."""

    def __init__(self, n: int, procs: int) -> None:
        self.n = n
        self.procs = min(procs, n)
        self.local: list[Client] = []
        self.workers: list[subprocess.Popen[str]] = []

    async def connect(self, base: str) -> None:
        if self.procs == 0:
            phrases = speech()
            self.local = [Client(phrases) for _ in range(self.n)]
            await asyncio.gather(*(c.connect(base) for c in self.local))
            return
        shares = [self.n // self.procs + (i < self.n % self.procs) for i in range(self.procs)]
        for share in shares:
            self.workers.append(subprocess.Popen(
                [sys.executable, __file__, "--worker", base, "--clients", str(share)],
                cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, text=True,
            ))
        loop = asyncio.get_running_loop()
        for w in self.workers:
            assert w.stdout is not None
            line = await asyncio.wait_for(loop.run_in_executor(None, w.stdout.readline), 120)
            if line.strip() != "ready":
                raise RuntimeError(f"client worker failed to connect: {line!r}")

    async def close(self) -> tuple[int, float]:
        """Hang up every client: (responses heard in full, seconds of answer audio heard)."""
        responses, heard = 0, 0
        for c in self.local:
            await c.close()
            responses += c.events.get("response.done", 0)
            heard += c.heard
        loop = asyncio.get_running_loop()
        for w in self.workers:
            assert w.stdin is not None and w.stdout is not None
            w.stdin.close()
            with contextlib.suppress(Exception):
                line = await asyncio.wait_for(loop.run_in_executor(None, w.stdout.readline), 30)
                report = json.loads(line)
                responses += report["responses"]
                heard += report["heard"]
            if w.poll() is None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    w.wait(10)
                if w.poll() is None:
                    w.kill()
        return responses, heard / 48000


async def run_level(n: int, seconds: float, procs: int, idle_pct: float,
                    profile: str | None = None, against: Path | None = None) -> dict[str, float]:
    proc, base = await start_server(profile)
    group = ClientGroup(n, procs)
    other: tuple[subprocess.Popen[str], str] | None = None
    other_group = ClientGroup(n, procs)
    responses, heard_s = 0, 0.0
    try:
        if against is not None:
            other = await start_server(checkout=against)
            await other_group.connect(other[1])
        await group.connect(base)
        await asyncio.sleep(3.0)  # let ICE/DTLS settle and first utterances start
        if profile:
            proc.send_signal(signal.SIGUSR1)
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        other0 = cpu_seconds(other[0].pid) if other else 0.0
        main0, other_threads0 = thread_cpu_seconds(proc.pid)
        kids0 = children_cpu_seconds(proc.pid)
        async with aiohttp.ClientSession() as http:
            before = (await (await http.get(f"{base}/healthz?reset_max=1")).json())["audio"]
            await asyncio.sleep(seconds)
            after = (await (await http.get(f"{base}/healthz")).json())["audio"]
        cpu1, t1 = cpu_seconds(proc.pid), time.monotonic()
        other1 = cpu_seconds(other[0].pid) if other else 0.0
        main1, other_threads1 = thread_cpu_seconds(proc.pid)
        kids1 = children_cpu_seconds(proc.pid)
        if profile:
            proc.send_signal(signal.SIGUSR2)
            await asyncio.sleep(1.0)  # the stats are written before the server is stopped
    finally:
        responses, heard_s = await group.close()
        await other_group.close()
        stop_server(proc, profiled=profile is not None)
        if other is not None:
            stop_server(other[0])
    frames = after["frames"] - before["frames"]
    late = after["late_frames"] - before["late_frames"]
    # (.get: the same bench can measure an older server, which did not count them)
    underruns = after.get("underrun_frames", 0) - before.get("underrun_frames", 0)
    server_pct = 100 * (cpu1 - cpu0) / (t1 - t0)
    return {
        "sessions": n,
        "cpu_per_session_pct": max(0.0, server_pct - idle_pct) / n,
        "gross_per_session_pct": server_pct / n,
        "against_per_session_pct": 100 * (other1 - other0) / (t1 - t0) / n,
        "server_cpu_pct": server_pct,
        "loop_thread_pct": 100 * (main1 - main0) / (t1 - t0),
        "other_threads_pct": 100 * (other_threads1 - other_threads0) / (t1 - t0),
        "worker_per_session_pct": 100 * (kids1 - kids0) / (t1 - t0) / n,
        "frames": frames,
        "late_per_session": late / n,
        "underruns_per_session": underruns / n,
        "late_pct": 100 * late / frames if frames else 100.0,
        "max_lateness_ms": after["max_lateness_ms"],
        "responses": responses,
        "heard_s": heard_s,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max", type=int, default=16, help="largest number of sessions")
    parser.add_argument("--levels", default="", help="comma-separated session counts to run")
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring window per level")
    parser.add_argument("--budget", type=float, default=240.0, help="stop after this many seconds")
    parser.add_argument("--client-procs", type=int, default=2,
                        help="worker processes the clients run in (0: in this process)")
    parser.add_argument("--profile", default=None,
                        help="cProfile the last level's server, stats written here")
    parser.add_argument("--against", default=None, metavar="DIR",
                        help="also run DIR's server (its .venv) side by side, same window")
    parser.add_argument("--keep-going", action="store_true",
                        help="run every level even after an underrun")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--clients", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        await worker(args.worker, args.clients)
        return
    use_loopback_ice()
    started = time.monotonic()
    if args.levels:
        levels = [int(x) for x in args.levels.split(",")]
    else:
        levels = [n for n in (1, 2, 4, 8, 12, 16, 24, 32) if n <= args.max]
    held = strict = 0
    failed = False
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average before: {load} on {os.cpu_count()} CPUs; clients in "
          f"{args.client_procs or 'this'} process(es); {describe(speed_reference_ms())}")
    steal = StealMeter()
    idle = await idle_cpu(args.seconds)
    print(f"baseline, same run: the server with no session uses {idle:.1f} % of a core")
    print("sessions  server-CPU%  CPU%/session (gross)  loop/other-threads%  worker%/sess  "
          "frames  late/sess  underrun/sess  max-late-ms  responses  heard-s")
    for n in levels:
        if time.monotonic() - started + args.seconds + 5 > args.budget:
            print(f"(stopping: --budget {args.budget:.0f}s reached)")
            break
        profile = args.profile if n == levels[-1] else None
        against = Path(args.against).resolve() if args.against else None
        r = await run_level(n, args.seconds, args.client_procs, idle, profile, against)
        print(
            f"{n:8d}  {r['server_cpu_pct']:10.1f}  {r['cpu_per_session_pct']:12.1f}"
            f" ({r['gross_per_session_pct']:5.1f})"
            f"  {r['loop_thread_pct']:10.1f}/{r['other_threads_pct']:<8.1f}"
            f"  {r['worker_per_session_pct']:12.1f}"
            f"  {r['frames']:6.0f}  "
            f"{r['late_per_session']:9.1f}  {r['underruns_per_session']:13.1f}  "
            f"{r['max_lateness_ms']:11.1f}  {r['responses']:9.0f}  {r['heard_s']:7.1f}",
            flush=True,
        )
        if against is not None:
            gross, theirs = r["gross_per_session_pct"], r["against_per_session_pct"]
            print(f"          same window, {against}'s server with {n} clients of its own: "
                  f"{theirs:.2f} % per session (gross); this server {gross:.2f} %: "
                  f"{gross / theirs if theirs else float('nan'):.2f}x", flush=True)
        if r["late_pct"] == 0 and strict == held:
            strict = n
        if r["underruns_per_session"] > 0 or r["max_lateness_ms"] >= 80:
            failed = True
            if not args.keep_going:
                break
        elif not failed:
            held = n
    stolen = steal.percent()
    print(f"load average after: {'/'.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"{describe(speed_reference_ms())}; the host stole "
          f"{'(not reported)' if stolen is None else f'{stolen:.1f} %'} of the CPU time")
    print(f"no audible underrun (no frame >80 ms late): up to {held} concurrent WebRTC sessions")
    print(f"strict (no frame late at all):              up to {strict} concurrent WebRTC sessions")
    if args.profile:
        print(f"profile of the {levels[-1]}-session server: {args.profile}")


if __name__ == "__main__":
    asyncio.run(main())
