"""TUI cost while the transcript streams: CPU and event-loop lag, plus idle CPU.

Runs the real app (``voicechat.ui.app.VoiceChatApp``) in a child process attached to a
pseudo-terminal, so Textual really renders and writes escape codes (headless runs skip output
and understate the cost, docs/reference-notes.md, "Measuring"). The conversation comes from the
scripted handle of the UI tests: the real session core fed with GA server events, no audio. Phases:

1. idle: nothing happens for ``--idle`` seconds: only the app's own timers run (its poll, the
   mic meter while the mic is live), not the bench's heartbeat, whose own wake-ups would count;
2. idle with the heartbeat, ``--idle-lag`` seconds: the loop's lag when idle, and the CPU with
   the heartbeat's 50 wake-ups a second on top (printed too, for comparison with earlier runs);
3. stream: ``--rate`` transcript deltas per second for ``--duration`` seconds; every
   ``--turn-deltas`` deltas the turn ends and a new user turn + response begins, so the
   transcript history grows and the event-flow pane scrolls with every event; with the
   heartbeat (CPU, lag, late deltas);
4. the same stream again without the heartbeat: the CPU the app spends on it, with none of the
   heartbeat's 50 wake-ups a second (about 1 % of a core here) in it.

Figures: CPU % of one core (``process_time`` over wall time, all threads of the app process) and
the lateness of a 20 ms heartbeat coroutine on the app's loop (what audio pacing would see). A
delta is late when its send time had passed before the driver got to it; for each late one the
bench notes how late, and whether the app's loop thread was busy over that gap (its thread CPU
time covered most of it: the app's own lateness) or was not running (the process waited for a
core: the machine's load, or another thread of the process holding the GIL).
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
    parser.add_argument("--duration", type=float, default=60.0, help="streaming seconds (60)")
    parser.add_argument("--idle", type=float, default=10.0, help="idle seconds (10)")
    parser.add_argument("--idle-lag", type=float, default=5.0,
                        help="idle seconds with the heartbeat, for the idle lag (5)")
    parser.add_argument("--rate", type=float, default=50.0, help="deltas per second (50)")
    parser.add_argument("--turn-deltas", type=int, default=40, help="deltas per turn (40)")
    parser.add_argument("--size", default="120x36", help="terminal size COLSxROWS")
    parser.add_argument("--no-event-pane", action="store_true",
                        help="do not feed the event-flow pane (to attribute its share)")
    parser.add_argument("--split", type=float, default=20.0,
                        help="seconds of a third, profiled run that splits the cost (0: skip)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- child: the app under measurement -------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Feeder:
    """What the stream phase drives: the real app on the scripted handle, or the baseline."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.extra: dict[str, Any] = {}

    def start_turn(self, turn: int) -> None:
        raise NotImplementedError

    def delta(self, turn: int, word: str) -> None:
        raise NotImplementedError

    def finish_turn(self, turn: int) -> None:
        raise NotImplementedError


class AppFeeder(Feeder):
    """The real app (``VoiceChatApp``) with the real core behind the UI tests' scripted handle."""

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__(args)
        from tests.ui import fakes
        from voicechat.ui.app import VoiceChatApp

        self.fakes = fakes
        self.handle = fakes.ScriptedHandle(level=0.3, clock=time.monotonic())
        self.app: Any = VoiceChatApp(self.handle)
        if args.no_event_pane:
            from voicechat.ui.event_flow import EventFlow

            EventFlow.add_record = lambda self, record: None  # type: ignore[method-assign]

    def feed(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            self.handle.clock = time.monotonic()
            self.handle.server(event)
        self.handle.advance(0, mic_ms=0)

    def start_turn(self, turn: int) -> None:
        f = self.fakes
        previous = f"item_u{turn}"
        self.feed([*f.user_speech(previous), f.user_transcript(previous, f"question {turn}"),
                   *f.response_start(f"resp_{turn}", f"item_a{turn}", previous)])

    def delta(self, turn: int, word: str) -> None:
        self.feed(self.fakes.deltas(f"resp_{turn}", f"item_a{turn}", [word]))

    def finish_turn(self, turn: int) -> None:
        self.feed(self.fakes.finish_turn(f"resp_{turn}", f"item_a{turn}", "…"))
        self.extra["entries"] = len(self.handle.view.entries)
        self.extra["records"] = len(self.handle.records)


class BaselineFeeder(Feeder):
    """The same-run baseline: a minimal Textual app, one ``Static`` showing the streamed text,
    updated on every delta (without relayout) on the same pty: what Textual itself costs to
    repaint streaming text at this rate here, whatever the machine's load."""

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__(args)
        from textual.app import App, ComposeResult
        from textual.widgets import Static

        self.words: list[str] = []

        class Minimal(App[None]):
            CSS = "Static { height: 1fr; }"

            def compose(self) -> ComposeResult:
                yield Static("", id="text")

        self.app = Minimal()
        self.static_type = Static

    def start_turn(self, turn: int) -> None:
        self.words = []

    def delta(self, turn: int, word: str) -> None:
        self.words.append(word)
        self.app.query_one("#text", self.static_type).update("".join(self.words), layout=False)

    def finish_turn(self, turn: int) -> None:
        pass


def run_child(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    feeder: Feeder = BaselineFeeder(args) if args.baseline else AppFeeder(args)
    app = feeder.app
    result: dict[str, Any] = {}

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

    async def stream(seconds: float, turn: int) -> dict[str, Any]:
        """``args.rate`` deltas a second for ``seconds``, a new turn every ``turn_deltas``."""
        cpu0, wall0 = time.process_time(), time.perf_counter()
        interval = 1.0 / args.rate
        total = int(seconds * args.rate)
        in_turn, sent, late = 0, 0, 0
        late_gaps: list[tuple[float, float, float]] = []  # (late ms, gap ms, loop CPU ms)
        feeder.start_turn(turn)
        start = time.perf_counter()
        mark, mark_cpu = start, time.thread_time()  # the loop thread's CPU clock
        while sent < total:
            due = start + (sent + 1) * interval  # the first one an interval after the start
            now = time.perf_counter()
            wait = due - now
            if wait > 0:
                await asyncio.sleep(wait)
            else:
                late += 1  # its time had passed before the loop got to it
                late_gaps.append(((now - due) * 1000, (now - mark) * 1000,
                                  (time.thread_time() - mark_cpu) * 1000))
            feeder.delta(turn, f"word{sent} ")
            sent += 1
            in_turn += 1
            if in_turn >= args.turn_deltas:
                feeder.finish_turn(turn)
                turn += 1
                in_turn = 0
                feeder.start_turn(turn)
            mark, mark_cpu = time.perf_counter(), time.thread_time()
        wall = time.perf_counter() - wall0
        cpu = 100 * (time.process_time() - cpu0) / wall
        feeder.finish_turn(turn)  # the next phase starts a new turn
        return {"stream_cpu": cpu, "stream_wall": wall, "deltas": sent, "turns": turn,
                "late_deltas": late, "late_gaps": late_gaps}

    async def driver() -> None:
        await asyncio.sleep(1.0)  # let the first frames settle
        result["idle_cpu"] = await phase_cpu(args.idle)  # the app's own wake-ups only
        idle_lag: list[float] = []
        stop = asyncio.Event()
        beat = asyncio.create_task(heartbeat(idle_lag, stop))
        result["idle_hb_cpu"] = await phase_cpu(args.idle_lag)
        stop.set()
        await beat
        result["idle_lag"] = idle_lag

        lag: list[float] = []
        stop = asyncio.Event()
        beat = asyncio.create_task(heartbeat(lag, stop))
        profile = None
        if args.profile:
            import cProfile

            profile = cProfile.Profile()
            profile.enable()
        first = await stream(args.duration, 0)
        if profile is not None:
            profile.disable()
            from bench.tui_split import entry_points, own_top, split

            result["split"] = split(profile)
            if os.environ.get("BENCH_TUI_PROFILE"):  # for a closer look with pstats
                profile.dump_stats(os.environ["BENCH_TUI_PROFILE"])
            result["entry_points"] = entry_points(profile)
            result["own_top"] = own_top(profile)
        stop.set()
        await beat
        result.update(first)
        result["lag"] = lag
        if not args.profile:  # the same again without the heartbeat: the CPU is all the app's
            second = await stream(args.duration, first["turns"] + 1)
            result["stream_nohb_cpu"] = second["stream_cpu"]
            result["late_nohb"] = second["late_deltas"]
        result.update(feeder.extra)
        args.child.write_text(json.dumps(result))
        app.exit(0)

    def on_ready() -> None:
        app.run_worker(driver(), exclusive=True, group="bench")

    app.call_later(on_ready)
    app.run()


# --- parent: a pty to host the child, then the report -----------------------------------------


def spawn(args: argparse.Namespace, flags: list[str], duration: float, idle: float,
          idle_lag: float) -> tuple[dict[str, Any], int] | None:
    """Run one child on a fresh pty; its result and the bytes it drew (None if it failed)."""
    cols, rows = (int(x) for x in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
        env.pop("NO_COLOR", None)
        cmd = [sys.executable, __file__, "--child", str(out), "--duration", str(duration),
               "--idle", str(idle), "--idle-lag", str(idle_lag), "--rate", str(args.rate),
               "--turn-deltas", str(args.turn_deltas), *flags]
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
            code = proc.wait(timeout=2 * duration + idle + idle_lag + 60)
        except subprocess.TimeoutExpired:
            proc.kill()
            print("bench_tui: the app did not finish in time", file=sys.stderr)
            return None
        finally:
            os.close(master)
        if code != 0 or not out.exists():
            print(f"bench_tui: the app exited with {code} and no result", file=sys.stderr)
            return None
        return json.loads(out.read_text()), written[0]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def lag_line(lag: list[float]) -> str:
    return (f"p50 {statistics.median(lag):.1f} ms, p95 {percentile(lag, 0.95):.1f} ms, "
            f"p99 {percentile(lag, 0.99):.1f} ms, max {max(lag):.1f} ms")


def late_line(gaps: list[list[float]]) -> str:
    """Who made the late deltas late: the loop thread busy over the gap since the previous
    delta (the app's work: its frames, its sync), or not running (the process waited)."""
    if not gaps:
        return "none late"
    busy = [g for g in gaps if g[2] >= 0.5 * g[1]]
    worst = max(g[0] for g in gaps)
    return (f"{len(busy)} while the loop thread was busy over the gap (the app's own), "
            f"{len(gaps) - len(busy)} while it was not running (waiting for a core); "
            f"latest {worst:.1f} ms late")


def run_parent(args: argparse.Namespace) -> int:
    print(f"load average before: {load()}")
    base = spawn(args, ["--baseline"], args.duration, args.idle, args.idle_lag)
    main = spawn(args, [], args.duration, args.idle, args.idle_lag)
    if base is None or main is None:
        return 1
    (b, _), (result, written) = base, main
    print(f"load average after the runs: {load()}")
    lag, idle_lag = result["lag"], result["idle_lag"]
    print(f"terminal {args.size}, {args.rate:g} deltas/s for {result['stream_wall']:.0f} s, "
          f"{result['turns']} turns ({result.get('entries', 0)} transcript entries, "
          f"{result.get('records', 0)} events in the pane), {written / 1e6:.1f} MB drawn")
    print(f"idle CPU:            {result['idle_cpu']:5.1f} % of one core "
          f"(baseline {b['idle_cpu']:.1f} %), the app's own timers only")
    print(f"  with the heartbeat: {result['idle_hb_cpu']:.1f} % (baseline "
          f"{b['idle_hb_cpu']:.1f} %); idle heartbeat p99 {percentile(idle_lag, 0.99):.1f} ms")
    ratio = result["stream_cpu"] / b["stream_cpu"] if b["stream_cpu"] else float("nan")
    print(f"streaming CPU:       {result['stream_cpu']:5.1f} % of one core "
          f"(baseline {b['stream_cpu']:.1f} %: {ratio:.2f}x)")
    nohb = result["stream_nohb_cpu"] / b["stream_nohb_cpu"] if b["stream_nohb_cpu"] else 0.0
    print(f"  without the heartbeat, the same again: {result['stream_nohb_cpu']:.1f} % "
          f"(baseline {b['stream_nohb_cpu']:.1f} %: {nohb:.2f}x); "
          f"{result['late_nohb']} late (baseline {b['late_nohb']})")
    print(f"loop lag (20 ms hb): {lag_line(lag)} over {len(lag)} beats")
    print(f"  baseline lag:      {lag_line(b['lag'])}")
    print(f"deltas sent late:    {result['late_deltas']} of {result['deltas']} "
          f"(baseline {b['late_deltas']})")
    print(f"  app:      {late_line(result['late_gaps'])}")
    print(f"  baseline: {late_line(b['late_gaps'])}")
    if args.split > 0:
        profiled = spawn(args, ["--profile"], args.split, 1.0, 1.0)
        if profiled is None:
            return 1
        split, top = profiled[0]["split"], profiled[0]["own_top"]
        total = sum(split.values()) or 1.0
        print(f"where the loop thread's time goes ({args.split:g} s under cProfile, which "
              f"slows it; shares of {total:.1f} s):")
        print("  " + ", ".join(f"{name} {100 * sec / total:.0f} %"
                               for name, sec in sorted(split.items(), key=lambda kv: -kv[1])))
        print("  under (cumulative, nested): " + ", ".join(
            f"{name} {100 * sec / total:.0f} %"
            for name, sec in sorted(profiled[0]["entry_points"].items(), key=lambda kv: -kv[1])))
        print("  most own time: " + "; ".join(f"{name} {sec:.2f} s" for name, sec in top[:8]))
    return 0


def main() -> int:
    args = parse_args()
    if args.child is not None:
        run_child(args)
        return 0
    return run_parent(args)


if __name__ == "__main__":
    raise SystemExit(main())
