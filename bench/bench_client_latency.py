"""What the client adds to latency and how much CPU it uses, over WebRTC on loopback.

Runs a real conversation: the local server in a child process (so its CPU is not counted), the
client runtime in this process with a WAV as the mic (or the PulseAudio devices with --devices).
Measured, on the client only:

* mic frame → RTP packet: from the runtime handing a 20 ms mic frame to the paced track until the
  RTP packet carrying it leaves for the network (pacing wait + Opus encode + SRTP);
* RTP packet received → decoded frame: aiortc's receive path (jitter buffer + Opus decode);
* decoded frame → sound handed to the device: from the frame entering the playback buffer until
  the speaker (PortAudio callback, or the paced file/null sink) takes it;
* CPU: user+sys seconds of this process during the conversation, as % of one core.

Usage: ``.venv/bin/python bench/bench_client_latency.py [--devices] [--turns 2]``
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def serve(conn: Any) -> None:
    """Child process: the local server until the parent says stop."""
    from tests.speech import TEST_PHRASES
    from voicechat.server.app import LocalServer, ServerConfig

    async def main() -> None:
        async with LocalServer(ServerConfig(voice="tone", asr_phrases=TEST_PHRASES)) as srv:
            conn.send(srv.base_url)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, conn.recv)

    asyncio.run(main())


def summary(name: str, values_s: list[float]) -> str:
    if not values_s:
        return f"{name:<38} n=0 (no samples)"
    ms = sorted(v * 1000 for v in values_s)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return (f"{name:<38} n={len(ms):<5} median {statistics.median(ms):6.2f} ms   "
            f"p95 {p95:6.2f} ms   max {ms[-1]:6.2f} ms")


async def conversation(base_url: str, wav: Path, turns: int, devices: bool) -> dict[str, Any]:
    import aiortc.rtcdtlstransport as dtls_mod
    import aiortc.rtcrtpreceiver as receiver_mod

    import voicechat.rtc.tracks as tracks_mod
    from voicechat.commands.headless import RunEnd
    from voicechat.config import Settings
    from voicechat.runtime import Runtime

    handoff: list[float] = []
    pushes: list[tuple[int, float]] = []  # (cumulative samples after this push, time)
    sent: list[float] = []
    arrivals: dict[int, float] = {}
    decoded: list[float] = []
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

    original_handle = receiver_mod.RTCRtpReceiver._handle_rtp_packet

    async def handle_rtp(self: Any, packet: Any, arrival_time_ms: int) -> None:
        if self._RTCRtpReceiver__kind == "audio":
            origin = state.setdefault("rtp_origin", packet.timestamp)
            arrivals.setdefault((packet.timestamp - origin) % 2**32, time.perf_counter())
        await original_handle(self, packet, arrival_time_ms)

    original_to_mono = tracks_mod.frame_to_mono

    def to_mono(frame: Any) -> Any:
        # decoded pts run parallel to RTP timestamps, shifted by a constant (Opus pre-skip)
        origin = state.setdefault("pts_origin", int(frame.pts or 0))
        arrived = arrivals.pop(int(frame.pts or 0) - origin, None)
        if arrived is not None:
            decoded.append(time.perf_counter() - arrived)
        return original_to_mono(frame)

    dtls_mod.RTCDtlsTransport._send_rtp = send_rtp  # type: ignore[method-assign]
    receiver_mod.RTCRtpReceiver._handle_rtp_packet = handle_rtp  # type: ignore[method-assign]
    tracks_mod.frame_to_mono = to_mono

    settings = Settings(server=base_url, turns=turns, mic=None if devices else str(wav),
                        speaker=None if devices else "none")
    runtime = Runtime(settings, on_rtp_handoff=handoff.append)
    feeder = None
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
        feeder = await asyncio.create_subprocess_exec("paplay", "--device=micfeed", str(wav))
    await asyncio.wait_for(RunEnd(runtime, turns).watch(), timeout=120)
    wall = time.perf_counter() - wall0
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    await runtime.stop()
    if feeder is not None:
        await feeder.wait()
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    return {"handoff": handoff, "sent": sent, "decoded": decoded, "wall": wall, "cpu": cpu,
            "responses": runtime.completed_responses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", action="store_true",
                        help="use the PulseAudio devices (run `. scripts/start-pulse.sh` first)")
    parser.add_argument("--turns", type=int, default=2)
    args = parser.parse_args()

    from tests.speech import TEST_PHRASES, speech_wav

    tmp = Path(tempfile.mkdtemp(prefix="bench-client-"))
    wav = speech_wav(tmp / "questions.wav", TEST_PHRASES[: args.turns], gap_s=4.0)
    parent, child = mp.Pipe()
    proc = mp.get_context("spawn").Process(target=serve, args=(child,), daemon=True)
    proc.start()
    try:
        base_url = parent.recv()
        result = asyncio.run(conversation(base_url, wav, args.turns, args.devices))
    finally:
        parent.send("stop")
        proc.join(timeout=10)
        if proc.is_alive():
            proc.terminate()
    setup = "PulseAudio devices" if args.devices else "WAV mic, null speaker"
    print(f"client latency over WebRTC on loopback ({setup}), {result['responses']} responses, "
          f"{result['wall']:.1f} s")
    print(summary("mic frame -> RTP packet sent", result["sent"]))
    print(summary("RTP packet received -> decoded frame", result["decoded"]))
    print(summary("decoded frame -> handed to the device", result["handoff"]))
    print(f"{'client CPU (user+sys)':<38} {result['cpu']:.2f} s over {result['wall']:.1f} s = "
          f"{100 * result['cpu'] / result['wall']:.1f} % of one core")


if __name__ == "__main__":
    main()
