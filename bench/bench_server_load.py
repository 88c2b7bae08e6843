"""How many concurrent WebRTC sessions one local server process holds, and CPU per session.

For each level N (1, 2, 4, … up to --max) a fresh ``voicechat serve --voice tone`` process is
started and N aiortc clients (in this process) do the GA flow (``/v1/realtime/calls`` +
``oai-events``) and talk continuously: an espeak phrase every few seconds, so the server runs
VAD on every stream, recognises each utterance, answers with the echo responder and sends the
answer back as audio — audio flows both ways all the time. After --seconds the server's own
pacing figures are read from ``/healthz``:

* late frame: an outgoing 20 ms frame that left more than one frame period behind its schedule
  (the receiver's 80 ms jitter buffer hides small delays; sustained lateness is an underrun);
* CPU per session: the server process's user+system CPU time over the window, divided by N.

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


async def run_level(n: int, seconds: float, phrases: list[np.ndarray]) -> dict[str, float]:
    proc, base = await start_server()
    clients = [Client(phrases) for _ in range(n)]
    try:
        await asyncio.gather(*(c.connect(base) for c in clients))
        await asyncio.sleep(3.0)  # let ICE/DTLS settle and first utterances start
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        async with aiohttp.ClientSession() as http:
            before = (await (await http.get(f"{base}/healthz?reset_max=1")).json())["audio"]
            await asyncio.sleep(seconds)
            after = (await (await http.get(f"{base}/healthz")).json())["audio"]
        cpu1, t1 = cpu_seconds(proc.pid), time.monotonic()
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
    responses = sum(c.events.get("response.done", 0) for c in clients)
    return {
        "sessions": n,
        "cpu_per_session_pct": 100 * (cpu1 - cpu0) / (t1 - t0) / n,
        "server_cpu_pct": 100 * (cpu1 - cpu0) / (t1 - t0),
        "frames": frames,
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
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print("sessions  server-CPU%  CPU%/session  frames  late%   max-late-ms  responses  heard-s")
    for n in levels:
        if time.monotonic() - started + args.seconds + 5 > args.budget:
            print(f"(stopping: --budget {args.budget:.0f}s reached)")
            break
        r = await run_level(n, args.seconds, phrases)
        print(
            f"{n:8d}  {r['server_cpu_pct']:10.1f}  {r['cpu_per_session_pct']:12.1f}  "
            f"{r['frames']:6.0f}  {r['late_pct']:5.2f}  {r['max_lateness_ms']:11.1f}  "
            f"{r['responses']:9.0f}  {r['heard_s']:7.1f}",
            flush=True,
        )
        if r["late_pct"] == 0 and strict == held:
            strict = n
        if r["max_lateness_ms"] >= 80:
            break
        held = n
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(f"no audible underrun (no frame >80 ms late): up to {held} concurrent WebRTC sessions")
    print(f"strict (no frame late at all):              up to {strict} concurrent WebRTC sessions")


if __name__ == "__main__":
    asyncio.run(main())
