"""Start-up time of ``voicechat --help`` against a bare ``python -c "import typer"``.

Why: ``--help`` is the first thing anyone runs, and a CLI that imports its TUI, WebRTC stack and
numpy just to print usage feels broken. The CLI therefore imports its heavy layers lazily; this
bench keeps that honest (issue 15: stays ≤ 1.5× the bare typer import).

Both commands run as fresh processes with the same interpreter, interleaved round by round so a
busy moment hurts both; the best and the median of each are printed with their ratio and the
machine's load. ``tests/test_architecture.py`` checks the import list (no timing in tests).

Run: ``.venv/bin/python bench/bench_cli_start.py [--rounds 15]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

HELP = [sys.executable, "-m", "voicechat", "--help"]  # the console script's way in
BASELINE = [sys.executable, "-c", "import typer"]


def wall_time(command: list[str]) -> float:
    """Seconds for one fresh process to run ``command`` to completion."""
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="runs of each command (15)")
    args = parser.parse_args()
    before = os.getloadavg()
    wall_time(HELP)  # warm the page cache and the bytecode caches for both
    wall_time(BASELINE)
    help_times: list[float] = []
    base_times: list[float] = []
    for _ in range(args.rounds):
        help_times.append(wall_time(HELP))
        base_times.append(wall_time(BASELINE))
    after = os.getloadavg()
    best_ratio = min(help_times) / min(base_times)
    median_ratio = statistics.median(help_times) / statistics.median(base_times)
    print(f"load average before: {before[0]:.2f}; after: {after[0]:.2f}; {os.cpu_count()} cores")
    print(f"voicechat --help:       best {min(help_times) * 1e3:6.1f} ms, "
          f"median {statistics.median(help_times) * 1e3:6.1f} ms")
    print(f'python -c "import typer": best {min(base_times) * 1e3:6.1f} ms, '
          f"median {statistics.median(base_times) * 1e3:6.1f} ms")
    print(f"ratio: best {best_ratio:.2f}x, median {median_ratio:.2f}x (goal: <= 1.5x)")


if __name__ == "__main__":
    main()
