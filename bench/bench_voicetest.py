"""``voicechat test``'s own cost, and how many scenario runs at once this machine holds.

Why (issue 52): the runner must not be the slow part of a test suite, nor blur the latency it
reports. Both parts run against one ``voicechat serve`` child (``--voice tone``: its replies cost
the server almost nothing, so it answers at once) over WebSocket, in fresh processes, with the
CPU time of each client process read from ``wait4``'s rusage:

1. **Cost per turn**: ``voicechat test`` on a scenario of N typed turns against the line face
   (``voicechat --no-ui``) sending the same N lines through the same runtime, interleaved round
   by round: client CPU per turn for each and their ratio (the runner's own work: the scripted
   mic's and virtual speaker's frames, the windows, the verdicts), and wall time per turn (the
   runner waits :data:`voicechat.voicetest.run.SETTLE_S` of quiet after each answer, by design).
2. **Runs at once**: a spoken two-turn scenario (espeak-ng speech, a typed turn) at
   ``--concurrency N`` with ``--repeat N`` (N runs, N at a time): runs passed, first-audio p50 and
   p95 of the spoken turn, the client's CPU, the load; up to the first level where a run fails
   or the spoken turn's p95 passes 2 s.

Run: ``.venv/bin/python bench/bench_voicetest.py [--turns 10] [--rounds 3] [--levels 1,2,4,8]``.
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
from pathlib import Path

VOICECHAT = Path(sys.executable).parent / "voicechat"
KEYS = ("OPENAI", "AZURE", "VOICECHAT", "XAI", "GEMINI", "GOOGLE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(command: list[str], stdin: str = "", env: dict[str, str] | None = None
        ) -> tuple[float, float, str]:
    """(wall s, CPU s of the child, stdout) of one fresh process."""
    _children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(command, input=stdin, capture_output=True, text=True, env=env,
                          timeout=900, check=False)
    wall = time.perf_counter() - started
    return wall, _children_cpu(), proc.stdout


_last_children = 0.0


def _children_cpu() -> float:
    """CPU of the children reaped since the last call (the server is reaped only at the end,
    so this is the one client process just run, with its own children)."""
    global _last_children
    times = os.times()
    total = times.children_user + times.children_system
    spent, _last_children = total - _last_children, total
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--levels", default="1,2,4,8")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(KEYS)}
    folder = Path(tempfile.mkdtemp(prefix="bench-voicetest-"))
    env["XDG_CONFIG_HOME"] = str(folder / "config")
    port = free_port()
    server = subprocess.Popen([str(VOICECHAT), "serve", "--port", str(port), "--voice", "tone"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(port)
        _children_cpu()
        print(f"load before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; server {url}")
        cost_per_turn(args.turns, args.rounds, url, folder, env)
        at_once([int(n) for n in args.levels.split(",")], url, folder, env)
        print(f"load after: {os.getloadavg()[0]:.2f}")
    finally:
        server.terminate()
        server.wait(10)


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit("voicechat serve did not start")


def cost_per_turn(turns: int, rounds: int, url: str, folder: Path,
                  env: dict[str, str]) -> None:
    lines = [f"Question number {i}." for i in range(turns)]
    scenario = folder / "typed.yaml"
    scenario.write_text("turns:\n" + "".join(f"  - type: {line}\n" for line in lines),
                        encoding="utf-8")
    test_cmd = [str(VOICECHAT), "test", str(scenario), "--server", url, "--transport",
                "websocket"]
    lines_cmd = [str(VOICECHAT), "--no-ui", "--server", url, "--transport", "websocket",
                 "--mic", "none", "--speaker", "none"]
    ours: list[tuple[float, float]] = []
    base: list[tuple[float, float]] = []
    for _ in range(rounds):
        wall, cpu, out = run(test_cmd, env=env)
        if "1 passed" not in out:
            raise SystemExit(f"the scenario did not pass:\n{out}")
        ours.append((wall, cpu))
        wall, cpu, _ = run(lines_cmd, "\n".join(lines) + "\n", env=env)
        base.append((wall, cpu))
    best_ours = min(ours, key=lambda p: p[1])
    best_base = min(base, key=lambda p: p[1])
    print(f"\n1. cost per turn ({turns} typed turns, best of {rounds} by CPU)")
    print(f"  voicechat test:     {best_ours[1] / turns * 1e3:6.1f} ms CPU/turn, "
          f"{best_ours[0] / turns:5.2f} s wall/turn (process start included)")
    print(f"  voicechat --no-ui:  {best_base[1] / turns * 1e3:6.1f} ms CPU/turn, "
          f"{best_base[0] / turns:5.2f} s wall/turn")
    print(f"  ratio (CPU): {best_ours[1] / best_base[1]:.2f}x; load {os.getloadavg()[0]:.2f}")


def at_once(levels: list[int], url: str, folder: Path, env: dict[str, str]) -> None:
    scenario = folder / "spoken.yaml"
    scenario.write_text("turns:\n  - say: Please turn on the kitchen lights.\n"
                        "  - type: And the radio.\n", encoding="utf-8")
    print("\n2. runs at once (a spoken turn and a typed one; N runs, N at a time)")
    print("  N  passed  wall s  spoken first audio p50/p95 ms  client CPU s  load")
    for level in levels:
        report = folder / f"at{level}.json"
        wall, cpu, _ = run([str(VOICECHAT), "test", str(scenario), "--server", url,
                            "--transport", "websocket", "--concurrency", str(level),
                            "--repeat", str(level), "--json", str(report)], env=env)
        data = json.loads(report.read_text(encoding="utf-8"))
        passed = sum(1 for r in data["runs"] if r["outcome"] == "passed")
        firsts = sorted(r["turns"][0]["first_audio_ms"] for r in data["runs"]
                        if r["turns"] and r["turns"][0]["first_audio_ms"] is not None)
        p50 = firsts[len(firsts) // 2] if firsts else float("nan")
        p95 = firsts[min(len(firsts) - 1, round(0.95 * (len(firsts) - 1)))] \
            if firsts else float("nan")
        print(f"  {level:<2} {passed:>3}/{level:<3} {wall:6.1f}  {p50:10.0f} / {p95:<8.0f}"
              f"          {cpu:7.1f}      {os.getloadavg()[0]:.2f}")
        if passed < level or p95 > 2000:
            print(f"  (stopped: {'a run failed' if passed < level else 'p95 over 2 s'})")
            break


if __name__ == "__main__":
    main()
