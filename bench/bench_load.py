"""How many concurrent conversations one ``voicechat load`` worker holds, and at what cost.

Why (issue 54): a launch test needs thousands of callers; this says how many one worker process
(one core) carries before voicechat itself, not the agent, becomes the slow part. Against one
``voicechat serve --voice tone`` child (its beeps cost it almost nothing, and typed turns skip
its recogniser, so it answers at once), over WebSocket: ``voicechat load`` with ``--workers 1``
at each level of users for ``--seconds``; per level the conversations and turns done, failures,
the typed turn's first audio p50/p95 (Locust's buckets), what the level adds to p50 and p95
over the first level (the same run's baseline, after an unreported warm-up run; at 1 user its
p95 rests on ~10 turns, so it is the noisier of the two), the CPU of the load process tree
(Locust, its engine: the reaped children's rusage) per conversation-second, the server's CPU
over the level (``/proc``: what gives first), and the machine's load. ``--transport webrtc``
measures WebRTC's cost per call the same way.

``--pin`` gives the server the last core and the load the others (on this 2-core machine: one
worker core, as the goal is stated, and a server that does not take its CPU). The callers are
ramped in as ``voicechat load`` does by default (within 10 s, or a quarter of a shorter
level), or at ``--spawn-rate R``; ``--in-step`` starts each level's callers within its first
second, which keeps every conversation in step and every turn of a level arriving in the same
instant (a burst). Per turn of the scenario, its count and first audio p50/p95 go to stderr.
The engine's event loop lag (``VOICECHAT_LOAD_LAG``, :mod:`voicechat.load.lag`) is the
latency the generator itself adds: how late its loop runs while the conversations wait on it;
beside it, the engine's full garbage collections over the level and the longest.

Run: ``.venv/bin/python bench/bench_load.py [--levels 1,10,50,100] [--seconds 30]
[--transport websocket|webrtc] [--pin] [--spawn-rate R | --in-step] [--scenario FILE]
[--failed-logs N]``; ``--failed-logs 0`` against the default 3 is what holding every
conversation's records in memory (for the failed ones' logs) costs.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from voicechat.load.lag import LAG_VARIABLE

VOICECHAT = Path(sys.executable).parent / "voicechat"
KEYS = ("OPENAI", "AZURE", "VOICECHAT", "XAI", "GEMINI", "GOOGLE")
SCENARIO = """name: typed
turns:
  - type: Hello there
    silence_ms: 2000
  - type: And again
    silence_ms: 2000
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,10,50,100")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--transport", default="websocket")
    parser.add_argument("--pin", action="store_true",
                        help="the server on the last core, the load on the others")
    parser.add_argument("--failed-logs", type=int, default=3,
                        help="voicechat load's --failed-logs (0: no conversation held)")
    parser.add_argument("--scenario", type=Path, default=None,
                        help="another scenario (default: two typed turns, 2 s apart)")
    ramp = parser.add_mutually_exclusive_group()
    ramp.add_argument("--spawn-rate", type=float, default=None,
                      help="callers started per second (default: voicechat load's ramp)")
    ramp.add_argument("--in-step", action="store_true",
                      help="each level's callers started within one second (a burst)")
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    server_cores, load_cores = ({cores[-1]}, set(cores[:-1])) if args.pin else (None, None)
    pinning = (f"server on core {sorted(server_cores or ())}, load on {sorted(load_cores or ())}"
               if args.pin else "not pinned")
    env = {k: v for k, v in os.environ.items() if not k.startswith(KEYS)}
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env["XDG_CONFIG_HOME"] = str(folder / "config")
    scenario = args.scenario or folder / "typed.yaml"
    if args.scenario is None:
        scenario.write_text(SCENARIO, encoding="utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([str(VOICECHAT), "serve", "--port", str(port), "--voice", "tone"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                              preexec_fn=_pinned(server_cores))
    try:
        time.sleep(3)
        print(f"load before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; "
              f"{args.transport}; {args.seconds} s per level; {pinning}; "
              f"spawn rate {args.spawn_rate or ('in step' if args.in_step else 'default ramp')}")
        print("users  convs  turns  fail  p50 ms  p95 ms  +p50 ms  +p95 ms  CPU s  CPU ms/conv-s  "
              "server CPU s  loop lag p95/max ms  full GCs / longest ms  load")
        # a short run first, not reported: the server's first sessions (its VAD models, code
        # not yet run) would otherwise land in the first level, the baseline of the others
        subprocess.run(
            [str(VOICECHAT), "load", str(scenario), "--users", "2", "--duration", "8s",
             "--server", f"http://127.0.0.1:{port}", "--transport", args.transport,
             "--turn-timeout", "20"],
            capture_output=True, env=env, timeout=300, check=False,
            preexec_fn=_pinned(load_cores))
        base_p50: float | None = None
        base_p95: float | None = None
        for users in (int(n) for n in args.levels.split(",")):
            report = folder / f"u{users}.json"
            lag_file = folder / f"lag{users}"
            env[LAG_VARIABLE] = str(lag_file)
            rate = float(users) if args.in_step else args.spawn_rate
            ramp = ["--spawn-rate", f"{rate:g}"] if rate else []
            before = os.times()
            server_before = _process_cpu(server.pid)
            proc = subprocess.run(
                [str(VOICECHAT), "load", str(scenario), "--users", str(users), "--duration",
                 f"{args.seconds}s", "--server", f"http://127.0.0.1:{port}", "--transport",
                 args.transport, "--json", str(report), "--turn-timeout", "20",
                 "--failed-logs", str(args.failed_logs), *ramp],
                capture_output=True, text=True, env=env, timeout=args.seconds + 300,
                check=False, preexec_fn=_pinned(load_cores))
            after = os.times()
            server_cpu = _process_cpu(server.pid) - server_before
            cpu = (after.children_user + after.children_system
                   - before.children_user - before.children_system)
            if not report.exists():
                print(f"{users:>5}  the run wrote no summary: {proc.stderr[-300:]}")
                break
            summary = json.loads(report.read_text())
            first = next((t for t in summary["turns"] if " · 1 " in t["name"]), None)
            first = first or (summary["turns"] or [None])[0]
            turns = sum(t["count"] for t in summary["turns"])
            fails = sum(t["failures"] for t in summary["turns"])
            p50 = first["first_audio_ms"]["p50"] if first else float("nan")
            p95 = first["first_audio_ms"]["p95"] if first else float("nan")
            base_p50 = p50 if base_p50 is None else base_p50
            base_p95 = p95 if base_p95 is None else base_p95
            per = cpu * 1000.0 / (users * args.seconds)
            lags = [json.loads(f.read_text()) for f in folder.glob(f"lag{users}.[0-9]*")]
            lag = (f"{max(x['p95'] for x in lags):.1f} / {max(x['max'] for x in lags):.0f}"
                   if lags else "-")
            full = (f"{sum(x['gc']['full_collections'] for x in lags)} / "
                    f"{max(x['gc']['longest_full_ms'] for x in lags):.0f}"
                    if lags and all("gc" in x for x in lags) else "-")
            for t in summary["turns"]:
                print(f"       {t['name']}: {t['count']} turns, {t['failures']} failed, "
                      f"p50/p95 {t['first_audio_ms']['p50']}/{t['first_audio_ms']['p95']}",
                      file=sys.stderr)
            print(f"{users:>5}  {summary['sessions']:>5}  {turns:>5}  {fails:>4}  {p50:6.0f}  "
                  f"{p95:6.0f}  {p50 - base_p50:7.0f}  {p95 - base_p95:7.0f}  {cpu:5.1f}  "
                  f"{per:13.1f}  "
                  f"{server_cpu:12.1f}  {lag:>19}  {full:>21}  {os.getloadavg()[0]:.2f}")
    finally:
        server.terminate()
        server.wait(10)


def _pinned(cores: set[int] | None) -> Callable[[], None] | None:
    """What a child runs before it starts: keep it to ``cores`` (``None``: anywhere)."""
    if not cores:
        return None
    return lambda: os.sched_setaffinity(0, cores)


def _process_cpu(pid: int) -> float:
    """The CPU seconds (user + system) a live process and its reaped children used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(v) for v in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
