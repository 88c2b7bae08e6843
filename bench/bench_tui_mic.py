"""The whole client idle with a live mic: process CPU in the TUI, against ``--no-ui``.

Issue 15's second TUI figure: ``voicechat`` on a real pty against the local server (``voicechat
serve``, its own process, so its CPU is not counted) over WebSocket, with a WAV of silence as the
mic (``--mic FILE``, paced at real time: 50 frames/s go to the server) and no speaker, nothing else
happening. The client's process CPU (``/proc/PID/stat``: all its threads) is sampled over
``--seconds`` after a warm-up.

Same-run baseline: the same client, same server, same mic, with ``--no-ui``: the difference is
what the TUI costs on top of the mic pump, the transport and the core. Printed with the load
average, never asserted. Usage: ``.venv/bin/python bench/bench_tui_mic.py [--seconds 30]``.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VOICECHAT = str(Path(sys.executable).with_name("voicechat"))
TICKS = os.sysconf("SC_CLK_TCK")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="measured seconds (30)")
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds before measuring (8)")
    parser.add_argument("--size", default="120x36", help="terminal size COLSxROWS")
    parser.add_argument("--wakeups", action="store_true",
                        help="then run both clients again under bench/loop_wakeups.py and print "
                        "event-loop wake-ups/s and the handles run most often")
    return parser.parse_args(argv)


def silence(path: Path, seconds: float, rate: int = 24000) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * int(seconds * rate))


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def start_server(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    log = tmp / "server.log"
    proc = subprocess.Popen([VOICECHAT, "serve", "--port", "0"], stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 90  # loading the offline speech models takes a while
    while time.monotonic() < deadline:
        match = re.search(r"ready: (http://127\.0\.0\.1:\d+)", log.read_text(errors="replace"))
        if match:
            return proc, match.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"bench_tui_mic: the server did not start:\n{log.read_text()}")


def measure_client(args: argparse.Namespace, url: str, mic: Path, ui: bool,
                   home: Path, wakeups: Path | None = None) -> tuple[float, int]:
    """CPU % of one core of the client over ``--seconds``, and the bytes it drew; with
    ``wakeups``, the client runs under the loop counter, which writes its figures there."""
    cols, rows = (int(x) for x in args.size.split("x"))
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "AZURE_OPENAI_", "VOICECHAT_"))}
    env.update(TERM="xterm-256color", COLORTERM="truecolor", HOME=str(home),
               XDG_CONFIG_HOME=str(home / ".config"))
    prefix = [VOICECHAT] if wakeups is None else [
        sys.executable, str(ROOT / "bench" / "loop_wakeups.py"), str(wakeups),
        str(args.warmup), str(args.seconds), "--"]
    cmd = [*prefix, "--server", url, "--transport", "websocket", "--mic", str(mic),
           "--speaker", "none"]
    if not ui:
        cmd.append("--no-ui")
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT,
                            start_new_session=True)
    os.close(slave)
    written = [0]

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            written[0] += len(data)

    threading.Thread(target=drain, daemon=True).start()
    try:
        time.sleep(args.warmup)
        if proc.poll() is not None:
            raise SystemExit(f"bench_tui_mic: the client exited early ({proc.returncode})")
        cpu0, wall0, drawn0 = cpu_seconds(proc.pid), time.monotonic(), written[0]
        time.sleep(args.seconds if wakeups is None else args.seconds + 1)
        cpu = cpu_seconds(proc.pid) - cpu0
        wall = time.monotonic() - wall0
        return 100 * cpu / wall, written[0] - drawn0
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)


def main() -> int:
    args = parse_args()
    load0 = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        mic = tmp / "silence.wav"
        silence(mic, args.warmup + args.seconds + 30)
        (tmp / "home").mkdir()
        server, url = start_server(tmp)
        try:
            base, _ = measure_client(args, url, mic, ui=False, home=tmp / "home")
            tui, drawn = measure_client(args, url, mic, ui=True, home=tmp / "home")
            counts = {}
            if args.wakeups:
                for name, ui in (("--no-ui", False), ("TUI", True)):
                    out = tmp / f"wakeups-{ui}.json"
                    measure_client(args, url, mic, ui=ui, home=tmp / "home", wakeups=out)
                    counts[name] = json.loads(out.read_text())
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)
    load1 = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average before: {load0}; after: {load1}")
    print(f"client, WebSocket, silent WAV mic, {args.seconds:g} s after {args.warmup:g} s:")
    print(f"  TUI ({args.size}):   {tui:5.1f} % of one core, {drawn / args.seconds / 1e3:.1f} kB/s "
          "drawn")
    print(f"  --no-ui baseline: {base:5.1f} % of one core "
          f"(the TUI: {tui / base if base else float('nan'):.2f}x, +{tui - base:.1f} points)")
    for name, count in counts.items():
        per_s = count["seconds"]
        print(f"  {name} under the loop counter: {count['wakeups'] / per_s:.0f} wake-ups/s "
              f"(blocking selects), {count['selects'] / per_s:.0f} loop iterations/s; "
              "handles run per second:")
        for what, n in list(count["handles"].items())[:12]:
            print(f"    {n / per_s:7.1f}  {what}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
