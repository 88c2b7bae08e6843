"""What the client adds to latency and how much CPU it uses, over WebRTC on loopback.

Runs the local server in a child process (so its CPU is not counted) and the client in this one.
Two parts, each measured with our adaptive jitter buffer and with aiortc's stock one *in the same
run* (figures are ratios against that baseline; the machine's load is printed with them):

1. a real conversation (the client runtime, a WAV as the mic or the PulseAudio devices with
   --devices), measured on the client:

   * mic frame → RTP packet: from the runtime handing a 20 ms mic frame to the paced track until
     the RTP packet carrying it leaves for the network (wait for the frame to be whole + Opus
     encode in the track + SRTP; the mic track no longer waits for its own 20 ms tick);
   * RTP packet received → decoded frame: the receive path (jitter buffer + Opus decode), until
     the frame is handed to our code (``frame_to_mono`` in the track pump);
   * decoded frame → sound handed to the device: from the frame entering the playback buffer
     until the speaker (PortAudio callback, or the paced file/null sink) takes it;
   * CPU: user+sys seconds of this process during the conversation, as % of one core;

2. the receive path alone on a clean link and on a bad one (the server's RTP delayed by
   uniform(0, 30 ms), so also reordered; then the same plus 2 % loss), after a warm-up:
   RTP → decoded frame, concealment frames (ours), packets that never became a frame, and
   *stalls*: gaps over 30 ms between decoded frames (what a speaker would hear as an underrun).

Usage: ``.venv/bin/python bench/bench_client_latency.py [--devices] [--turns 2] [--seconds 10]``
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing as mp
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BAD_LINK_MS = 30.0
STALL_S = 0.030
SCENARIOS = (  # name, jitter (ms), loss
    ("clean link", 0.0, 0.0),
    (f"{BAD_LINK_MS:.0f} ms jitter", BAD_LINK_MS, 0.0),
    (f"{BAD_LINK_MS:.0f} ms jitter + 2% loss", BAD_LINK_MS, 0.02),
)


def serve(conn: Any) -> None:
    """Child process: the local server, its outgoing RTP through an impairable link."""
    from tests.netem import ImpairedLink
    from tests.speech import TEST_PHRASES
    from voicechat.server.app import LocalServer, ServerConfig

    link = ImpairedLink(seed=15)
    link.install()

    async def main() -> None:
        async with LocalServer(ServerConfig(voice="tone", asr_phrases=TEST_PHRASES)) as srv:
            conn.send(srv.base_url)
            loop = asyncio.get_running_loop()
            while True:
                message = await loop.run_in_executor(None, conn.recv)
                if message == "stop":
                    return
                jitter_ms, drop = message
                link.set(jitter_ms=jitter_ms, drop=drop)  # on the loop: we are in main()
                conn.send("ok")

    asyncio.run(main())


def percentiles(values_s: list[float]) -> tuple[float, float] | None:
    if not values_s:
        return None
    ms = sorted(v * 1000 for v in values_s)
    return statistics.median(ms), ms[min(len(ms) - 1, int(len(ms) * 0.95))]


def summary(name: str, values_s: list[float]) -> str:
    stats = percentiles(values_s)
    if stats is None:
        return f"{name:<40} n=0 (no samples)"
    return f"{name:<40} n={len(values_s):<5} median {stats[0]:6.2f} ms   p95 {stats[1]:6.2f} ms"


@dataclass
class Probe:
    """RTP arrivals and decoded frames of the remote audio, matched by RTP time."""

    arrivals: dict[int, float] = field(default_factory=dict)
    decoded: list[float] = field(default_factory=list)  # arrival -> decoded, seconds
    frame_times: list[float] = field(default_factory=list)  # every frame handed to us
    packets: int = 0
    real_frames: int = 0
    origins: dict[str, int] = field(default_factory=dict)
    measuring: bool = True

    def reset(self) -> None:
        self.decoded.clear()
        self.frame_times.clear()
        self.packets = self.real_frames = 0

    def stalls(self) -> int:
        times = self.frame_times
        return sum(1 for a, b in itertools.pairwise(times) if b - a > STALL_S)


@contextmanager
def probed(probe: Probe) -> Iterator[None]:
    """Hook aiortc's receiver and our track pump (class/module level, undone on exit)."""
    import aiortc.rtcrtpreceiver as receiver_mod

    import voicechat.rtc.tracks as tracks_mod

    original_handle = receiver_mod.RTCRtpReceiver._handle_rtp_packet
    original_to_mono = tracks_mod.frame_to_mono

    async def handle_rtp(self: Any, packet: Any, arrival_time_ms: int) -> None:
        if self._RTCRtpReceiver__kind == "audio":
            origin = probe.origins.setdefault("rtp", packet.timestamp)
            probe.arrivals.setdefault((packet.timestamp - origin) % 2**32, time.perf_counter())
            probe.packets += 1
        await original_handle(self, packet, arrival_time_ms)

    def to_mono(frame: Any) -> Any:
        now = time.perf_counter()
        probe.frame_times.append(now)
        if frame.pts is not None:  # concealment frames have no media time
            probe.real_frames += 1
            # decoded pts run parallel to RTP timestamps, shifted by a constant (Opus pre-skip)
            origin = probe.origins.setdefault("pts", int(frame.pts))
            arrived = probe.arrivals.pop(int(frame.pts) - origin, None)
            if arrived is not None:
                probe.decoded.append(now - arrived)
        return original_to_mono(frame)

    receiver_mod.RTCRtpReceiver._handle_rtp_packet = handle_rtp  # type: ignore[method-assign]
    tracks_mod.frame_to_mono = to_mono
    try:
        yield
    finally:
        receiver_mod.RTCRtpReceiver._handle_rtp_packet = original_handle  # type: ignore[method-assign]
        tracks_mod.frame_to_mono = original_to_mono


@contextmanager
def jitter_buffer(adaptive: bool) -> Iterator[None]:
    """Ours (the default) or aiortc's stock one, for the calls made inside."""
    import voicechat.transport.webrtc as webrtc_mod

    original = webrtc_mod.install_jitter_buffer
    if not adaptive:
        webrtc_mod.install_jitter_buffer = lambda pc, track, config=None: None
    try:
        yield
    finally:
        webrtc_mod.install_jitter_buffer = original


async def conversation(base_url: str, wav: Path, turns: int, devices: bool) -> dict[str, Any]:
    import aiortc.rtcdtlstransport as dtls_mod

    from voicechat.config import Settings
    from voicechat.lines.realtime import RunEnd
    from voicechat.runtime import Runtime

    probe = Probe()
    handoff: list[float] = []
    pushes: list[tuple[int, float]] = []  # (cumulative samples after this push, time)
    sent: list[float] = []
    state: dict[str, Any] = {"matched": 0, "track": None}
    original_send = dtls_mod.RTCDtlsTransport._send_rtp

    async def send_rtp(self: Any, data: bytes) -> None:
        await original_send(self, data)
        track = state["track"]
        if track is None:
            return
        now = time.perf_counter()
        played = track.played_total
        while state["matched"] < len(pushes) and pushes[state["matched"]][0] <= played:
            sent.append(now - pushes[state["matched"]][1])
            state["matched"] += 1

    dtls_mod.RTCDtlsTransport._send_rtp = send_rtp  # type: ignore[method-assign]
    settings = Settings(server=base_url, turns=turns, mic=None if devices else str(wav),
                        speaker=None if devices else "none")
    runtime = Runtime(settings, on_rtp_handoff=handoff.append)
    feeder = None
    try:
        with probed(probe):
            usage0 = resource.getrusage(resource.RUSAGE_SELF)
            wall0 = time.perf_counter()
            await runtime.start()
            track = runtime.transport.mic_track  # type: ignore[union-attr]
            state["track"] = track
            original_push = track.push

            def push(pcm: Any) -> None:
                original_push(pcm)
                pushes.append((track.queued_total, time.perf_counter()))

            track.push = push  # type: ignore[method-assign]
            if devices:
                await asyncio.sleep(0.3)
                feeder = await asyncio.create_subprocess_exec(
                    "paplay", "--device=micfeed", str(wav))
            await asyncio.wait_for(RunEnd(runtime, turns).watch(), timeout=120)
            wall = time.perf_counter() - wall0
            usage1 = resource.getrusage(resource.RUSAGE_SELF)
            await runtime.stop()
    finally:
        dtls_mod.RTCDtlsTransport._send_rtp = original_send  # type: ignore[method-assign]
    if feeder is not None:
        await feeder.wait()
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    return {"handoff": handoff, "sent": sent, "decoded": probe.decoded, "wall": wall,
            "cpu": cpu, "responses": runtime.completed_responses}


async def receive_only(base_url: str, seconds: float, warmup: float) -> dict[str, Any]:
    """One WebRTC call that only listens: the receive path's figures after ``warmup``."""
    from voicechat.transport.auth import Endpoint
    from voicechat.transport.base import TransportCallbacks
    from voicechat.transport.webrtc import WebRtcTransport

    probe = Probe()
    callbacks = TransportCallbacks(on_event=lambda e: None, on_audio=lambda pcm, item: None,
                                   on_state=lambda s, w: None, on_notice=lambda lv, t: None)
    transport = WebRtcTransport(Endpoint("local", "ga", base_url, "gpt-realtime"), callbacks,
                                loopback=True)
    with probed(probe):
        await transport.connect()
        try:
            await asyncio.sleep(warmup)
            stats0 = _stats(transport)
            probe.reset()
            await asyncio.sleep(seconds)
            stats1 = _stats(transport)
        finally:
            await transport.close()
    concealed = None if stats0 is None or stats1 is None else stats1[0] - stats0[0]
    target = None if stats1 is None else stats1[1]
    return {"decoded": probe.decoded, "stalls": probe.stalls(), "concealed": concealed,
            "target": target, "unplayed": max(0, probe.packets - probe.real_frames)}


def _stats(transport: Any) -> tuple[int, float] | None:
    jitter = transport.jitter
    if jitter is None:
        return None
    return jitter.buffer.stats.concealed, jitter.buffer.target_ms


def ratio(ours: list[float], stock: list[float]) -> str:
    a, b = percentiles(ours), percentiles(stock)
    if a is None or b is None:
        return ""
    return f"ours/stock: median {a[0] / b[0]:.2f}x, p95 {a[1] / b[1]:.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", action="store_true",
                        help="use the PulseAudio devices (run `. scripts/start-pulse.sh` first)")
    parser.add_argument("--turns", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="measured seconds per receive-only call (after a 3 s warm-up)")
    args = parser.parse_args()

    from tests.speech import TEST_PHRASES, speech_wav

    tmp = Path(tempfile.mkdtemp(prefix="bench-client-"))
    wav = speech_wav(tmp / "questions.wav", TEST_PHRASES[: args.turns], gap_s=4.0)
    parent, child = mp.Pipe()
    proc = mp.get_context("spawn").Process(target=serve, args=(child,), daemon=True)
    proc.start()
    load0 = os.getloadavg()
    results: dict[tuple[str, bool], dict[str, Any]] = {}
    try:
        base_url = parent.recv()
        for adaptive in (False, True):
            with jitter_buffer(adaptive):
                results[("conversation", adaptive)] = asyncio.run(
                    conversation(base_url, wav, args.turns, args.devices))
        for name, jitter_ms, drop in SCENARIOS:
            parent.send((jitter_ms, drop))
            parent.recv()
            for adaptive in (False, True):
                with jitter_buffer(adaptive):
                    results[(name, adaptive)] = asyncio.run(
                        receive_only(base_url, args.seconds, warmup=3.0))
    finally:
        parent.send("stop")
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()
    load1 = os.getloadavg()
    setup = "PulseAudio devices" if args.devices else "WAV mic, null speaker"
    print(f"client latency over WebRTC on loopback ({setup}); load average {load0[0]:.2f} before, "
          f"{load1[0]:.2f} after, {os.cpu_count()} cores")
    for adaptive in (True, False):
        result = results[("conversation", adaptive)]
        label = "adaptive jitter buffer" if adaptive else "aiortc's stock jitter buffer"
        print(f"\nconversation, {label}: {result['responses']} responses, {result['wall']:.1f} s")
        print(summary("mic frame -> RTP packet sent", result["sent"]))
        print(summary("RTP packet received -> decoded frame", result["decoded"]))
        print(summary("decoded frame -> handed to the device", result["handoff"]))
        print(f"{'client CPU (user+sys)':<40} {result['cpu']:.2f} s over {result['wall']:.1f} s = "
              f"{100 * result['cpu'] / result['wall']:.1f} % of one core")
    ours, stock = results[("conversation", True)], results[("conversation", False)]
    print(f"{'RTP -> decoded, conversation':<40} {ratio(ours['decoded'], stock['decoded'])}")
    print(f"\nreceive path alone, {args.seconds:.0f} s measured per call after a 3 s warm-up "
          f"(stall = a gap over {STALL_S * 1000:.0f} ms between decoded frames)")
    for name, _, _ in SCENARIOS:
        for adaptive in (True, False):
            r = results[(name, adaptive)]
            label = f"{name}, {'adaptive' if adaptive else 'stock'}"
            extra = (f"   concealed {r['concealed']}, target {r['target']:.0f} ms"
                     if adaptive else "")
            print(f"{summary(label, r['decoded'])}   stalls {r['stalls']}, "
                  f"never decoded {r['unplayed']}{extra}")
        ours_s, stock_s = results[(name, True)]["decoded"], results[(name, False)]["decoded"]
        print(f"{'':<40} {ratio(ours_s, stock_s)}")


if __name__ == "__main__":
    main()
