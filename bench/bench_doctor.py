"""Benchmark: ``voicechat doctor`` on a 100 MB event log — speed and memory.

Generates healthy GA WebSocket conversations in our JSONL format (appends, audio and transcript
deltas, transcription, rate limits: the mix a real recording has) into a temporary directory,
then runs ``voicechat doctor --json`` in a child process on a 10 MB and a 100 MB log and prints
events/s and the child's peak RSS. Bounded memory shows as the same peak RSS for both sizes.
Each log is read ``--rounds`` times by the doctor and by the baseline, interleaved; the best
of each is compared (and each round's ratio printed, with their median: a round pairs two runs
minutes apart at most, so a machine that moves between fast and slow phases skews it less
than the best of each), wall time and the children's CPU time.
The doctor runs with its bytecode cached, as an installed command does (``--cold``: with the
environment as inherited, which in this project's sandboxes forbids bytecode caches).

``--instructions`` also runs both children once per JSONL log under valgrind's callgrind and
prints the instructions each executed, with their ratio: the one figure here the machine's
load and phase cannot move (on this project's shared VMs the same pair of runs gives anything
from 1.3× to 2.3× in wall time). Start-up is counted on a one-line log and subtracted for the
per-line ratio. What it cannot see is how fast those instructions run: the doctor's are mostly
the interpreter's, which retires fewer per cycle than the stdlib's C scanner, so the wall-time
ratio runs above it.

    .venv/bin/python bench/bench_doctor.py [--mb 100] [--rounds 3] [--cold] [--instructions]

Figures are printed, never asserted: wall-clock numbers on a shared machine are noise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doctor_shapes import OTHER_SHAPES, SHAPES, baseline_source, generate
from machine import StealMeter, describe, speed_reference_ms

ROOT = Path(__file__).resolve().parents[1]


#: The doctor child's environment: as an installed command runs, with its modules' bytecode
#: cached (in a private prefix, not the repository). With PYTHONDONTWRITEBYTECODE set (as in
#: this project's sandboxes) every run would compile voicechat's ~40 modules again, ~0.1 s
#: the stdlib baseline, whose bytecode ships with Python, never pays. ``--cold`` keeps it.
CHILD_ENV: dict[str, str] | None = None


def warm_bytecode(cache: Path) -> None:
    global CHILD_ENV
    CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    CHILD_ENV["PYTHONPYCACHEPREFIX"] = str(cache)
    subprocess.run([sys.executable, "-m", "voicechat", "doctor", "--help"], cwd=ROOT,
                   env=CHILD_ENV, capture_output=True, check=True)
    subprocess.run([sys.executable, "-c", "import voicechat.doctor, voicechat.commands.doctor"],
                   cwd=ROOT, env=CHILD_ENV, check=True)


#: ``--against DIR``: another checkout whose doctor runs beside this one's, round by round.
AGAINST: Path | None = None


def against_env(tree: Path) -> dict[str, str]:
    """The environment that runs ``tree``'s voicechat with this interpreter and packages: its
    directory first on the path, its bytecode cached apart from ours."""
    env = dict(CHILD_ENV if CHILD_ENV is not None else os.environ)
    env["PYTHONPATH"] = str(tree)
    if "PYTHONPYCACHEPREFIX" in env:
        env["PYTHONPYCACHEPREFIX"] += "-against"
    return env


def run_doctor(path: Path, tree: Path | None = None) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    result = subprocess.run(doctor_command(path), capture_output=True, text=True,
                            cwd=ROOT if tree is None else tree, check=False,
                            env=CHILD_ENV if tree is None else against_env(tree))
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"doctor failed ({result.returncode}): {result.stderr}")
    return elapsed, json.loads(result.stdout)


def run_baseline(path: Path, shape: str) -> float:
    """The same file through the shape's stdlib loop in a child process: the floor
    (``doctor_shapes.baseline_source``)."""
    start = time.perf_counter()
    subprocess.run(baseline_command(path, shape), check=True, cwd=ROOT)
    return time.perf_counter() - start


_COLLECTED = re.compile(r"^==\d+== Collected : (\d+)$", re.MULTILINE)


def count_instructions(command: list[str]) -> int:
    """Instructions ``command`` executed, whole process (callgrind's ``Collected`` total).

    The hash seed is fixed, so set and dict layouts (and with them the work) are the same in
    every run."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("--instructions needs valgrind (callgrind): apt-get install valgrind")
    env = dict(CHILD_ENV if CHILD_ENV is not None else os.environ, PYTHONHASHSEED="0")
    result = subprocess.run([valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null",
                             *command], capture_output=True, text=True, cwd=ROOT, env=env,
                            check=False)
    found = _COLLECTED.search(result.stderr)
    if found is None or result.returncode not in (0, 1):
        raise SystemExit(f"callgrind run failed ({result.returncode}): {result.stderr[-2000:]}")
    return int(found.group(1))


def doctor_command(path: Path) -> list[str]:
    return [sys.executable, "-m", "voicechat", "doctor", str(path), "--json"]


def baseline_command(path: Path, shape: str) -> list[str]:
    return [sys.executable, "-c", baseline_source(shape), str(path)]


def instructions_line(path: Path, one_line: Path, shape: str) -> str:
    """The doctor's and the stdlib loop's instructions on ``path``, whole and without the
    start-up each pays on ``one_line`` (a log of one line)."""
    doctor, loop = (count_instructions(doctor_command(path)),
                    count_instructions(baseline_command(path, shape)))
    doctor_start, loop_start = (count_instructions(doctor_command(one_line)),
                                count_instructions(baseline_command(one_line, shape)))
    return (f"instructions (callgrind, load-independent): doctor {doctor / 1e9:.2f} G, stdlib "
            f"loop {loop / 1e9:.2f} G: {doctor / loop:.2f}×; start-up on a one-line log "
            f"{doctor_start / 1e9:.2f} G against {loop_start / 1e9:.2f} G; the lines alone "
            f"{(doctor - doctor_start) / (loop - loop_start):.2f}×")


def child_cpu_s() -> float:
    """CPU time (user + system) of every finished child so far: what a child used, whatever
    else the machine ran meanwhile (wall time on a busy machine adds the waits)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def child_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux: KiB


def time_shape(path: Path, shape: str, rounds: int) -> tuple[list[float], list[float],
                                                          list[float], list[float],
                                                          dict[str, Any]]:
    """The doctor and the shape's baseline on ``path``, interleaved ``rounds`` times: wall
    and CPU times of each, and the doctor's last report."""
    times, floors, cpu, cpu_floors = [], [], [], []
    report: dict[str, Any] = {}
    AGAINST_TIMES.clear()
    if AGAINST is not None:
        run_doctor(path, AGAINST)  # (its bytecode cached before the rounds)
    for _ in range(max(1, rounds)):
        before = child_cpu_s()
        elapsed, report = run_doctor(path)
        times.append(elapsed)
        cpu.append(child_cpu_s() - before)
        before = child_cpu_s()
        floors.append(run_baseline(path, shape))
        cpu_floors.append(child_cpu_s() - before)
        if AGAINST is not None:
            before = child_cpu_s()
            wall, _ = run_doctor(path, AGAINST)
            AGAINST_TIMES.append((wall, child_cpu_s() - before))
    return times, floors, cpu, cpu_floors, report


#: ``--against``: that tree's doctor's (wall, CPU) per round of the shape being timed.
AGAINST_TIMES: list[tuple[float, float]] = []


def describe_shape(shape: str, size: int, path: Path, events: int, gen_s: float,
                   timed: tuple[list[float], list[float], list[float], list[float],
                                dict[str, Any]]) -> str:
    times, floors, cpu, cpu_floors, report = timed
    rss = child_peak_rss_mb()  # max over children so far: sizes run small → big
    elapsed = min(times)
    ratios = sorted(t / f for t, f in zip(times, floors, strict=True))
    lines = sum(1 for _ in open(path, "rb"))  # noqa: SIM115
    return (f"{size:>4} MB {shape} log ({lines:,} lines, {path.stat().st_size / lines:.0f} "
            f"bytes a line, {events:,} events, generated in {gen_s:.1f} s): doctor read "
            f"{report['events']:,} events in {elapsed:.2f} s = "
            f"{report['events'] / elapsed:,.0f} events/s; findings: "
            f"{len(report['findings'])}; peak RSS of doctor so far: {rss:.0f} MB; "
            f"{elapsed / min(floors):.2f}× the stdlib loop (best {elapsed:.2f} s vs "
            f"{min(floors):.2f} s; per round {', '.join(f'{r:.2f}' for r in ratios)}×, "
            f"median {statistics.median(ratios):.2f}×); CPU time "
            f"{min(cpu) / min(cpu_floors):.2f}× ({min(cpu):.2f} s vs {min(cpu_floors):.2f} s); "
            f"{against_text(times, cpu)}load {os.getloadavg()[0]:.2f}")


def against_text(times: list[float], cpu: list[float]) -> str:
    """``--against``: this doctor over that tree's, best wall and CPU time, same rounds."""
    if not AGAINST_TIMES:
        return ""
    wall = min(w for w, _ in AGAINST_TIMES)
    their_cpu = min(c for _, c in AGAINST_TIMES)
    per_round = sorted(t / w for t, (w, _) in zip(times, AGAINST_TIMES, strict=True))
    return (f"against {AGAINST}: {min(times) / wall:.3f}× wall ({wall:.2f} s theirs; per "
            f"round median {statistics.median(per_round):.3f}×), {min(cpu) / their_cpu:.3f}× "
            f"CPU ({their_cpu:.2f} s theirs); ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="size of the big log (MB)")
    parser.add_argument("--shapes", default=",".join(SHAPES),
                        help=f"comma-separated log shapes (default: the goal's, {SHAPES}; "
                             f"others: {OTHER_SHAPES}; 'all': every one); see doctor_shapes.py")
    parser.add_argument("--small", action="store_true",
                        help="also time a 10 MB log of each shape (start-up weighs more)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs of the doctor and of the baseline per log, interleaved; the "
                             "best of each is reported (a shared machine's noise only adds)")
    parser.add_argument("--cold", action="store_true",
                        help="run the doctor with the inherited environment even if it forbids "
                             "bytecode caches (every run then compiles voicechat's modules)")
    parser.add_argument("--instructions", action="store_true",
                        help="also count both children's instructions under callgrind (needs "
                             "valgrind; slow: about a minute per 10 MB)")
    parser.add_argument("--against", type=Path, metavar="DIR",
                        help="also run DIR's doctor (another checkout, e.g. a worktree of an "
                             "older commit, with this interpreter and packages) after ours in "
                             "every round, and print ours over theirs")
    args = parser.parse_args()
    global AGAINST
    AGAINST = args.against.resolve() if args.against is not None else None
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind (callgrind): apt-get install valgrind")
    shapes = list(SHAPES + OTHER_SHAPES) if args.shapes == "all" else args.shapes.split(",")
    unknown = set(shapes) - set(SHAPES + OTHER_SHAPES)
    if unknown:
        parser.error(f"unknown shape(s) {sorted(unknown)}; known: {SHAPES + OTHER_SHAPES}")
    sizes = sorted({min(10, args.mb), args.mb}) if args.small else [args.mb]
    steal = StealMeter()
    print(f"start: {describe(speed_reference_ms())}; load {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="bench-doctor-") as tmp:
        if not args.cold:
            warm_bytecode(Path(tmp) / "pycache")
        counted: list[tuple[int, str, Path]] = []
        for size in sizes:
            for shape in shapes:
                path = Path(tmp) / f"log-{size}mb-{shape}.log"
                t0 = time.perf_counter()
                events = generate(path, size, shape)
                gen_s = time.perf_counter() - t0
                timed = time_shape(path, shape, args.rounds)
                print(describe_shape(shape, size, path, events, gen_s, timed), flush=True)
                if args.instructions and size == args.mb:
                    counted.append((size, shape, path))
                else:
                    path.unlink()
        # after every timed run: valgrind's own peak RSS would count as the doctor's above
        for size, shape, path in counted:
            one_line = Path(tmp) / "one-line.log"
            with open(path, encoding="utf-8", newline="") as log:
                # its first line with an event on it (a text log's first lines are the app's)
                first = next(line for line in log if "{" in line)
            one_line.write_text(first, encoding="utf-8", newline="")
            print(f"{size:>4} MB {shape} log, {instructions_line(path, one_line, shape)}",
                  flush=True)
    cache = ("cold: no bytecode cache, voicechat compiled every run"
             if args.cold and os.environ.get("PYTHONDONTWRITEBYTECODE") else
             "voicechat's bytecode cached, as installed")
    stolen = steal.percent()
    print(f"end: {describe(speed_reference_ms())}; load average {os.getloadavg()[0]:.2f} "
          f"(1 min), {os.cpu_count()} cores; steal "
          f"{'n/a' if stolen is None else f'{stolen:.1f} %'}; doctor child: {cache}")


if __name__ == "__main__":
    main()
