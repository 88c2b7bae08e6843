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
clients in this one, so the server's CPU is its own.

Two verdicts per level: *strict* — no frame late at all (beyond one frame period); *no
audible underrun* — no frame later than 80 ms, the depth of aiortc's receive jitter buffer,
which hides smaller delays from the listener. The run continues while the second holds, up to
--max or --budget seconds in total. The clients (Opus encoders/decoders too) share this
machine's CPUs with the server, and figures on a shared machine are noisy: the report prints
the load average next to them.

    .venv/bin/python bench/bench_server_load.py [--max 16] [--seconds 10] [--budget 240]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

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


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds(pid: int) -> float:
    """CPU of the server's live child processes (its voice worker: ASR and TTS)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


async def start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "voicechat.cli", "serve", "--port", "0", "--voice", "tone"],
        cwd=ROOT,
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


async def idle_cpu(seconds: float) -> float:
    """The baseline: % of a core a server with no session uses over ``seconds``."""
    proc, _ = await start_server()
    try:
        await asyncio.sleep(3.0)  # the same settling time as a level
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        await asyncio.sleep(seconds)
        return 100 * (cpu_seconds(proc.pid) - cpu0) / (time.monotonic() - t0)
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        if proc.poll() is None:
            proc.kill()


async def run_level(n: int, seconds: float, phrases: list[np.ndarray],
                    idle_pct: float) -> dict[str, float]:
    proc, base = await start_server()
    clients = [Client(phrases) for _ in range(n)]
    try:
        await asyncio.gather(*(c.connect(base) for c in clients))
        await asyncio.sleep(3.0)  # let ICE/DTLS settle and first utterances start
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        kids0 = children_cpu_seconds(proc.pid)
        async with aiohttp.ClientSession() as http:
            before = (await (await http.get(f"{base}/healthz?reset_max=1")).json())["audio"]
            await asyncio.sleep(seconds)
            after = (await (await http.get(f"{base}/healthz")).json())["audio"]
        cpu1, t1 = cpu_seconds(proc.pid), time.monotonic()
        kids1 = children_cpu_seconds(proc.pid)
    finally:
        for c in clients:
            await c.close()
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        if proc.poll() is None:
            proc.kill()
    frames = after["frames"] - before["frames"]
    late = after["late_frames"] - before["late_frames"]
    # (.get: the same bench can measure an older server, which did not count them)
    underruns = after.get("underrun_frames", 0) - before.get("underrun_frames", 0)
    responses = sum(c.events.get("response.done", 0) for c in clients)
    server_pct = 100 * (cpu1 - cpu0) / (t1 - t0)
    return {
        "sessions": n,
        "cpu_per_session_pct": max(0.0, server_pct - idle_pct) / n,
        "gross_per_session_pct": server_pct / n,
        "server_cpu_pct": server_pct,
        "worker_per_session_pct": 100 * (kids1 - kids0) / (t1 - t0) / n,
        "frames": frames,
        "late_per_session": late / n,
        "underruns_per_session": underruns / n,
        "late_pct": 100 * late / frames if frames else 100.0,
        "max_lateness_ms": after["max_lateness_ms"],
        "responses": responses,
        "heard_s": sum(c.heard for c in clients) / 48000,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max", type=int, default=16, help="largest number of sessions")
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring window per level")
    parser.add_argument("--budget", type=float, default=240.0, help="stop after this many seconds")
    args = parser.parse_args()
    use_loopback_ice()
    phrases = speech()
    started = time.monotonic()
    levels = [n for n in (1, 2, 4, 8, 12, 16, 24, 32) if n <= args.max]
    held = strict = 0
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average before: {load} on {os.cpu_count()} CPUs")
    idle = await idle_cpu(args.seconds)
    print(f"baseline, same run: the server with no session uses {idle:.1f} % of a core")
    print("sessions  server-CPU%  CPU%/session (gross)  worker%/sess  frames  late/sess  "
          "underrun/sess  max-late-ms  responses  heard-s")
    for n in levels:
        if time.monotonic() - started + args.seconds + 5 > args.budget:
            print(f"(stopping: --budget {args.budget:.0f}s reached)")
            break
        r = await run_level(n, args.seconds, phrases, idle)
        print(
            f"{n:8d}  {r['server_cpu_pct']:10.1f}  {r['cpu_per_session_pct']:12.1f}"
            f" ({r['gross_per_session_pct']:5.1f})  {r['worker_per_session_pct']:12.1f}"
            f"  {r['frames']:6.0f}  "
            f"{r['late_per_session']:9.1f}  {r['underruns_per_session']:13.1f}  "
            f"{r['max_lateness_ms']:11.1f}  {r['responses']:9.0f}  {r['heard_s']:7.1f}",
            flush=True,
        )
        if r["late_pct"] == 0 and strict == held:
            strict = n
        if r["underruns_per_session"] > 0 or r["max_lateness_ms"] >= 80:
            break
        held = n
    print(f"load average after: {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"no audible underrun (no frame >80 ms late): up to {held} concurrent WebRTC sessions")
    print(f"strict (no frame late at all):              up to {strict} concurrent WebRTC sessions")


if __name__ == "__main__":
    asyncio.run(main())
