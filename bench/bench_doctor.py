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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2026, 11, 21, 10, 0, 0, tzinfo=UTC)
WORDS = ("It", "will", "be", "sunny", "with", "a", "light", "breeze", "in", "the", "afternoon")


class Writer:
    def __init__(self, out: TextIO, text: bool = False) -> None:
        self.out = out
        self.text = text
        self.t = 0.0
        self.events = 0
        self.n = 0

    def emit(self, direction: str, event: dict[str, Any], dt: float = 0.01) -> None:
        self.t += dt
        stamp = START + timedelta(seconds=self.t)
        ts = stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
        if direction == "in":
            self.n += 1
            event = {**event, "event_id": f"event_{self.n:09d}"}
        if self.text:  # an Android logcat line with the event inline
            clock = stamp.strftime("%m-%d %H:%M:%S.") + f"{stamp.microsecond // 1000:03d}"
            arrow = "<<" if direction == "in" else ">>"
            self.out.write(f"{clock}  4321  4390 D RealtimeClient: {arrow} "
                           f"{json.dumps(event, separators=(',', ':'))}\n")
        else:
            self.out.write(json.dumps({"t": round(self.t, 6), "ts": ts, "dir": direction,
                                       "event": event}, separators=(",", ":")) + "\n")
        self.events += 1

    def session(self) -> None:
        session = {"type": "realtime", "object": "realtime.session", "model": "gpt-realtime",
                   "audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000},
                                       "transcription": {"model": "gpt-4o-mini-transcribe"},
                                       "turn_detection": {"type": "server_vad", "threshold": 0.5,
                                                          "prefix_padding_ms": 300,
                                                          "silence_duration_ms": 500}},
                             "output": {"voice": "alloy"}}}
        self.emit("in", {"type": "session.created", "session": session})
        self.emit("out", {"type": "session.update", "session": {
            "type": "realtime", "audio": session["audio"]}})
        self.emit("in", {"type": "session.updated", "session": session})

    def turn(self, k: int) -> None:
        user, assistant, rid = f"item_U{k}", f"item_A{k}", f"resp_{k}"
        start_ms = int(self.t * 1000)
        for _ in range(20):
            self.emit("out", {"type": "input_audio_buffer.append", "audio": {"bytes": 4800}},
                      0.1)
        self.emit("in", {"type": "input_audio_buffer.speech_started",
                         "audio_start_ms": start_ms, "item_id": user})
        self.emit("in", {"type": "input_audio_buffer.speech_stopped",
                         "audio_end_ms": start_ms + 1800, "item_id": user})
        self.emit("in", {"type": "input_audio_buffer.committed", "item_id": user})
        item = {"id": user, "type": "message", "role": "user",
                "content": [{"type": "input_audio", "transcript": None}]}
        self.emit("in", {"type": "conversation.item.added", "item": item})
        self.emit("in", {"type": "conversation.item.done", "item": item})
        self.emit("in", {"type": "response.created", "response": {"id": rid,
                                                                   "status": "in_progress"}})
        self.emit("in", {"type": "conversation.item.input_audio_transcription.completed",
                         "item_id": user, "content_index": 0,
                         "transcript": "What is the weather like tomorrow?"})
        for word in WORDS:
            self.emit("in", {"type": "response.output_audio_transcript.delta",
                             "response_id": rid, "item_id": assistant, "delta": word + " "})
            self.emit("in", {"type": "response.output_audio.delta", "response_id": rid,
                             "item_id": assistant, "delta": {"bytes": 9600}})
        self.emit("in", {"type": "response.output_audio.done", "response_id": rid,
                         "item_id": assistant})
        self.emit("in", {"type": "response.output_audio_transcript.done", "response_id": rid,
                         "item_id": assistant, "transcript": "It will be sunny."})
        self.emit("in", {"type": "response.done", "response": {"id": rid, "status": "completed"}})
        self.emit("in", {"type": "rate_limits.updated", "rate_limits": [
            {"name": "tokens", "limit": 40000, "remaining": 39000, "reset_seconds": 1.5}]})


def generate(path: Path, megabytes: int, text: bool = False) -> int:
    limit = megabytes * 1024 * 1024
    with open(path, "w", encoding="utf-8") as out:
        writer = Writer(out, text)
        writer.session()
        k = 0
        while out.tell() < limit:
            k += 1
            writer.turn(k)
    return writer.events


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


def run_doctor(path: Path) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    result = subprocess.run(doctor_command(path), capture_output=True, text=True, cwd=ROOT,
                            check=False, env=CHILD_ENV)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"doctor failed ({result.returncode}): {result.stderr}")
    return elapsed, json.loads(result.stdout)


_BASELINE = ("import json, sys\n"
             "for line in open(sys.argv[1], encoding='utf-8'):\n"
             "    json.loads(line)\n")


def run_baseline(path: Path) -> float:
    """The same file through a bare stdlib ``json.loads`` loop in a child process: the floor."""
    start = time.perf_counter()
    subprocess.run(baseline_command(path), check=True, cwd=ROOT)
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


def baseline_command(path: Path) -> list[str]:
    return [sys.executable, "-c", _BASELINE, str(path)]


def instructions_line(path: Path, one_line: Path) -> str:
    """The doctor's and the stdlib loop's instructions on ``path``, whole and without the
    start-up each pays on ``one_line`` (a log of one line)."""
    doctor, loop = (count_instructions(doctor_command(path)),
                    count_instructions(baseline_command(path)))
    doctor_start, loop_start = (count_instructions(doctor_command(one_line)),
                                count_instructions(baseline_command(one_line)))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="size of the big log (MB)")
    parser.add_argument("--no-text", action="store_true", help="skip the text-log run")
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs of the doctor and of the baseline per log, interleaved; the "
                             "best of each is reported (a shared machine's noise only adds)")
    parser.add_argument("--cold", action="store_true",
                        help="run the doctor with the inherited environment even if it forbids "
                             "bytecode caches (every run then compiles voicechat's modules)")
    parser.add_argument("--instructions", action="store_true",
                        help="also count both children's instructions under callgrind (needs "
                             "valgrind; slow: about a minute per 10 MB)")
    args = parser.parse_args()
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind (callgrind): apt-get install valgrind")
    runs = [(size, False) for size in sorted({min(10, args.mb), args.mb})]
    if not args.no_text:
        runs.append((args.mb, True))
    with tempfile.TemporaryDirectory(prefix="bench-doctor-") as tmp:
        if not args.cold:
            warm_bytecode(Path(tmp) / "pycache")
        counted: list[tuple[int, Path]] = []
        for size, text in runs:
            path = Path(tmp) / f"log-{size}mb.{'txt' if text else 'jsonl'}"
            t0 = time.perf_counter()
            events = generate(path, size, text)
            gen_s = time.perf_counter() - t0
            times, floors, cpu, cpu_floors = [], [], [], []
            for _ in range(max(1, args.rounds)):
                before = child_cpu_s()
                elapsed, report = run_doctor(path)
                times.append(elapsed)
                cpu.append(child_cpu_s() - before)
                if not text:  # a text log is not JSON per line: no stdlib floor to compare with
                    before = child_cpu_s()
                    floors.append(run_baseline(path))
                    cpu_floors.append(child_cpu_s() - before)
            rss = child_peak_rss_mb()  # max over children so far: sizes run small → big
            elapsed = min(times)
            baseline = ""
            if floors:
                ratios = sorted(t / f for t, f in zip(times, floors, strict=True))
                baseline = (f"; {elapsed / min(floors):.2f}× a bare json.loads loop (best "
                            f"{elapsed:.2f} s vs {min(floors):.2f} s; per round "
                            f"{', '.join(f'{r:.2f}' for r in ratios)}×, median "
                            f"{statistics.median(ratios):.2f}×); CPU time "
                            f"{min(cpu) / min(cpu_floors):.2f}× ({min(cpu):.2f} s vs "
                            f"{min(cpu_floors):.2f} s)")
            kind = "logcat text" if text else "voicechat JSONL"
            print(f"{size:>4} MB {kind} log: {events:,} events (generated in {gen_s:.1f} s); "
                  f"doctor read {report['events']:,} events in {elapsed:.1f} s = "
                  f"{report['events'] / elapsed:,.0f} events/s, "
                  f"{path.stat().st_size / 1048576 / elapsed:.1f} MB/s; "
                  f"findings: {len(report['findings'])}; peak RSS of doctor so far: {rss:.0f} MB"
                  f"{baseline}")
            if args.instructions and not text:
                counted.append((size, path))
        # after every timed run: valgrind's own peak RSS would count as the doctor's above
        for size, path in counted:
            one_line = Path(tmp) / "one-line.jsonl"
            with open(path, encoding="utf-8") as log:
                one_line.write_text(log.readline(), encoding="utf-8")
            print(f"{size:>4} MB voicechat JSONL log, {instructions_line(path, one_line)}")
    cache = ("cold: no bytecode cache, voicechat compiled every run"
             if args.cold and os.environ.get("PYTHONDONTWRITEBYTECODE") else
             "voicechat's bytecode cached, as installed")
    print(f"load average while running: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores;"
          f" doctor child: {cache}")


if __name__ == "__main__":
    main()
