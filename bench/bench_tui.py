"""TUI cost while the transcript streams: CPU and event-loop lag, plus idle CPU.

Runs the real app (``voicechat.ui.app.VoiceChatApp``) in a child process attached to a
pseudo-terminal, so Textual really renders and writes escape codes (headless runs skip output
and understate the cost, docs/reference-notes.md, "Measuring"). The conversation comes from the
scripted handle of the UI tests: the real session core fed with GA server events, no audio. Phases:

1. idle: nothing happens for ``--idle`` seconds (the 20 Hz poll still runs);
2. stream: ``--rate`` transcript deltas per second for ``--duration`` seconds; every
   ``--turn-deltas`` deltas the turn ends and a new user turn + response begins, so the
   transcript history grows and the event-flow pane scrolls with every event.

Figures: CPU % of one core (``process_time`` over wall time, all threads of the app process) and
the lateness of a 20 ms heartbeat coroutine on the app's loop (what audio pacing would see).
Printed, never asserted. Usage: ``.venv/bin/python bench/bench_tui.py [--duration 120]``.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=120.0, help="streaming seconds (120)")
    parser.add_argument("--idle", type=float, default=10.0, help="idle seconds (10)")
    parser.add_argument("--rate", type=float, default=50.0, help="deltas per second (50)")
    parser.add_argument("--turn-deltas", type=int, default=40, help="deltas per turn (40)")
    parser.add_argument("--size", default="120x36", help="terminal size COLSxROWS")
    parser.add_argument("--no-event-pane", action="store_true",
                        help="do not feed the event-flow pane (to attribute its share)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- child: the app under measurement -------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_child(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.ui.fakes import (
        ScriptedHandle,
        deltas,
        finish_turn,
        response_start,
        user_speech,
        user_transcript,
    )
    from voicechat.ui.app import VoiceChatApp

    handle = ScriptedHandle(level=0.3, clock=time.monotonic())
    app = VoiceChatApp(handle)
    if args.no_event_pane:
        from voicechat.ui.event_flow import EventFlow

        EventFlow.add_record = lambda self, record: None  # type: ignore[method-assign]
    result: dict[str, Any] = {}

    def feed(events: list[dict[str, Any]]) -> None:
        for event in events:
            handle.clock = time.monotonic()
            handle.server(event)
        handle.advance(0, mic_ms=0)

    async def heartbeat(samples: list[float], stop: asyncio.Event) -> None:
        period = 0.02
        while not stop.is_set():
            due = time.perf_counter() + period
            await asyncio.sleep(period)
            samples.append((time.perf_counter() - due) * 1000)

    async def phase_cpu(seconds: float) -> float:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        return 100 * (time.process_time() - cpu0) / (time.perf_counter() - wall0)

    async def driver() -> None:
        await asyncio.sleep(1.0)  # let the first frames settle
        idle_lag: list[float] = []
        stop = asyncio.Event()
        beat = asyncio.create_task(heartbeat(idle_lag, stop))
        result["idle_cpu"] = await phase_cpu(args.idle)
        stop.set()
        await beat
        result["idle_lag"] = idle_lag

        lag: list[float] = []
        stop = asyncio.Event()
        beat = asyncio.create_task(heartbeat(lag, stop))
        cpu0, wall0 = time.process_time(), time.perf_counter()
        interval = 1.0 / args.rate
        total = int(args.duration * args.rate)
        turn, in_turn, sent, late = 0, 0, 0, 0
        feed([*user_speech("item_u0"), user_transcript("item_u0", "question 0"),
              *response_start("resp_0", "item_a0", "item_u0")])
        start = time.perf_counter()
        while sent < total:
            due = start + sent * interval
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            else:
                late += 1
            feed(deltas(f"resp_{turn}", f"item_a{turn}", [f"word{sent} "]))
            sent += 1
            in_turn += 1
            if in_turn >= args.turn_deltas:
                feed(finish_turn(f"resp_{turn}", f"item_a{turn}", "…"))
                turn += 1
                in_turn = 0
                feed([*user_speech(f"item_u{turn}"),
                      user_transcript(f"item_u{turn}", f"question {turn}"),
                      *response_start(f"resp_{turn}", f"item_a{turn}", f"item_u{turn}")])
        wall = time.perf_counter() - wall0
        result["stream_cpu"] = 100 * (time.process_time() - cpu0) / wall
        result["stream_wall"] = wall
        result["deltas"] = sent
        result["turns"] = turn
        result["late_deltas"] = late
        result["entries"] = len(handle.view.entries)
        result["records"] = len(handle.records)
        stop.set()
        await beat
        result["lag"] = lag
        args.child.write_text(json.dumps(result))
        app.exit(0)

    def on_ready() -> None:
        app.run_worker(driver(), exclusive=True, group="bench")

    app.call_later(on_ready)
    app.run()


# --- parent: a pty to host the child, then the report -----------------------------------------


def run_parent(args: argparse.Namespace) -> int:
    cols, rows = (int(x) for x in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
        env.pop("NO_COLOR", None)
        cmd = [sys.executable, __file__, "--child", str(out), "--duration", str(args.duration),
               "--idle", str(args.idle), "--rate", str(args.rate),
               "--turn-deltas", str(args.turn_deltas)]
        if args.no_event_pane:
            cmd.append("--no-event-pane")
        proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env,
                                start_new_session=True, cwd=ROOT)
        os.close(slave)
        written = [0]

        def drain() -> None:  # the "terminal": read and discard what the app draws
            while True:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    return
                if not data:
                    return
                written[0] += len(data)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            code = proc.wait(timeout=args.duration + args.idle + 60)
        except subprocess.TimeoutExpired:
            proc.kill()
            print("bench_tui: the app did not finish in time", file=sys.stderr)
            return 1
        finally:
            os.close(master)
        if code != 0 or not out.exists():
            print(f"bench_tui: the app exited with {code} and no result", file=sys.stderr)
            return 1
        result = json.loads(out.read_text())

    lag, idle_lag = result["lag"], result["idle_lag"]
    print(f"terminal {cols}x{rows}, {args.rate:g} deltas/s for {result['stream_wall']:.0f} s, "
          f"{result['turns']} turns ({result['entries']} transcript entries, "
          f"{result['records']} events in the pane), {written[0] / 1e6:.1f} MB drawn")
    print(f"idle CPU:            {result['idle_cpu']:5.1f} % of one core "
          f"(heartbeat p99 {percentile(idle_lag, 0.99):.1f} ms)")
    print(f"streaming CPU:       {result['stream_cpu']:5.1f} % of one core")
    print(f"loop lag (20 ms hb): p50 {statistics.median(lag):.1f} ms, "
          f"p95 {percentile(lag, 0.95):.1f} ms, p99 {percentile(lag, 0.99):.1f} ms, "
          f"max {max(lag):.1f} ms over {len(lag)} beats")
    print(f"deltas sent late:    {result['late_deltas']} of {result['deltas']}")
    return 0


def main() -> int:
    args = parse_args()
    if args.child is not None:
        run_child(args)
        return 0
    return run_parent(args)


if __name__ == "__main__":
    raise SystemExit(main())
