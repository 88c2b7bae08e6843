"""Benchmark barge-in on laptop speakers: onset -> silence, false barge-ins, responses per turn.

Run: .venv/bin/python bench/bench_bargein.py [--interruptions 4] [--quiet-answers 2] [--busy]
                                              [--no-baseline]

The harness of issue #29, on a private PulseAudio daemon of its own (scripts/start-pulse.sh with
``VOICECHAT_PULSE_DIR`` set to a directory of this bench, so other users of the shared daemon are
not disturbed and do not disturb it):

* the speaker loops back into the mic at 30 ms and -6 dB (scripts/pulse-echo.sh), as laptop
  speakers do; the baseline run has no loop (headphones);
* ``voicechat --no-ui --barge-in --aec`` against ``voicechat serve --responder script:FILE`` (its
  own process) with long answers; the first question is typed (a line on stdin);
* "the user" is a PortAudio output stream into the mic's sink, opened before the run and kept
  running, so the moment a spoken interruption starts is known from the stream's DAC time of the
  block it starts in (within a block, 20 ms), not from when a player process got going;
* first ``--quiet-answers`` answers play to their end with nobody talking (false barge-ins:
  any barge-in action, local pause or playback flush counts), then ``--interruptions`` spoken
  interruptions, each 2.5 s into an answer (the answer to the previous interruption).

Per interruption: onset -> playback stopped locally (``local.bargein.paused``, or the flush),
onset -> the first barge-in action sent (``response.cancel`` / ``output_audio_buffer.clear`` /
``conversation.item.truncate``), and "silent" = the later of the two; responses created for the
sentence (one is right; more is the cascade) and cancels. Median and worst over the run, the
load average at each figure, and the ratio to the baseline run. ``--busy`` adds a busy loop on
one core for the whole run (the issue's "moderately loaded" machine). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PULSE_DIR = os.environ.get("BENCH_BARGEIN_PULSE_DIR", f"/tmp/voicechat-pulse-bargein-{os.getuid()}")
RATE = 48000
BLOCK = 960
INTO_ANSWER_S = 2.5
BARGE_IN_ACTIONS = ("response.cancel", "output_audio_buffer.clear", "conversation.item.truncate")
INTERRUPTIONS = ["Please turn on the kitchen lights.", "What is the weather like tomorrow?",
                 "Play some music in the living room.", "Call my sister after dinner.",
                 "Set an alarm for seven o'clock.", "How far away is the moon?"]


def pulse_env() -> dict[str, str]:
    """Start (or find) this bench's own private daemon; returns its environment."""
    env = dict(os.environ, VOICECHAT_PULSE_DIR=PULSE_DIR)
    env.pop("PULSE_SINK", None)
    out = subprocess.run(
        ["bash", "-c", f". {ROOT / 'scripts/start-pulse.sh'} >&2; echo $XDG_RUNTIME_DIR; "
         "echo $PULSE_SERVER"], capture_output=True, text=True, env=env, timeout=60, check=True)
    runtime_dir, server = out.stdout.split()
    env.update(XDG_RUNTIME_DIR=runtime_dir, PULSE_SERVER=server)
    return env


def echo_path(env: dict[str, str], on: bool) -> str:
    args = ["on", "30", "-6"] if on else ["off"]
    return subprocess.run([str(ROOT / "scripts/pulse-echo.sh"), *args], capture_output=True,
                          text=True, env=env, timeout=30, check=True).stdout.strip()


class Voice:
    """The user's mouth: an always-running output stream into the mic's sink (``micfeed``)."""

    def __init__(self, env: dict[str, str]) -> None:
        os.environ.update(XDG_RUNTIME_DIR=env["XDG_RUNTIME_DIR"], PULSE_SERVER=env["PULSE_SERVER"],
                          PULSE_SINK="micfeed")
        import sounddevice as sd

        self._lock = threading.Lock()
        self._queue: list[npt.NDArray[np.int16]] = []
        self._pos = 0
        self.onsets: list[float] = []  # stream time at which each queued sound began
        self._stream = sd.OutputStream(samplerate=RATE, channels=1, dtype="int16",
                                       blocksize=BLOCK, latency=0.1, callback=self._callback)
        self._stream.start()
        t0 = time.time()
        self._wall_minus_stream = t0 - self._stream.time

    def _callback(self, out: Any, frames: int, time_info: Any, status: Any) -> None:
        out.fill(0)
        with self._lock:
            if not self._queue:
                return
            sound = self._queue[0]
            if self._pos == 0:
                self.onsets.append(float(time_info.outputBufferDacTime))
            take = min(frames, sound.size - self._pos)
            out[:take, 0] = sound[self._pos : self._pos + take]
            self._pos += take
            if self._pos >= sound.size:
                self._queue.pop(0)
                self._pos = 0

    def say(self, pcm: npt.NDArray[np.int16], timeout: float = 5.0) -> float:
        """Play ``pcm`` from the next block; returns the wall time its first sample is heard."""
        with self._lock:
            before = len(self.onsets)
            self._queue.append(pcm)
        deadline = time.monotonic() + timeout
        while len(self.onsets) == before and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.onsets[before] + self._wall_minus_stream

    def close(self) -> None:
        self._stream.stop()
        self._stream.close()


class Log:
    """The client's event log, read as it grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: list[dict[str, Any]] = []
        self._offset = 0

    def poll(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return self.records
        with self.path.open("rb") as f:
            f.seek(self._offset)
            data = f.read()
        end = data.rfind(b"\n") + 1
        self._offset += end
        for line in data[:end].splitlines():
            with suppress(ValueError):
                self.records.append(json.loads(line))
        return self.records

    def wait(self, predicate: Any, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = predicate(self.poll())
            if found:
                return found
            time.sleep(0.02)
        return None


def wall(record: dict[str, Any]) -> float:
    import datetime as dt

    return dt.datetime.fromisoformat(record["ts"].replace("Z", "+00:00")).timestamp()


def of(records: list[dict[str, Any]], *types: str, after: float = 0.0,
       before: float = float("inf"), out: bool | None = None) -> list[dict[str, Any]]:
    return [r for r in records if r["event"]["type"] in types and after <= wall(r) < before
            and (out is None or (r["dir"] == "out") == out)]


@dataclass
class Interruption:
    onset: float
    load: float
    paused_ms: float | None = None
    action_ms: float | None = None
    responses: int = 0
    cancels: int = 0

    @property
    def silent_ms(self) -> float | None:
        if self.action_ms is None:
            return None
        return max(self.action_ms, self.paused_ms if self.paused_ms is not None else 0.0)


@dataclass
class Run:
    echo: bool
    interruptions: list[Interruption] = field(default_factory=list)
    quiet_answers: int = 0
    false_barge_ins: int = 0
    false_pauses: int = 0
    false_turns: int = 0  # the server's VAD made a user turn of the echo
    quiet_load: float = 0.0
    notes: list[str] = field(default_factory=list)


@contextmanager
def busy_core(on: bool) -> Iterator[None]:
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if on else None
    try:
        yield
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()


def run_once(env: dict[str, str], voice: Voice, *, echo: bool, quiet: int, count: int,
             workdir: Path) -> Run:
    from tests.audio.echo_run import client_command, server_process, stop, write_config
    from tests.speech import speech_pcm

    print(f"-- {'echo path 30 ms / -6 dB' if echo else 'no echo path (headphones)'}: "
          f"{echo_path(env, echo)}", flush=True)
    run = Run(echo=echo)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        with server_process(workdir) as server, (workdir / "client.out").open("w") as out:
            record = workdir / "events.jsonl"
            cmd = client_command(write_config(workdir), record, aec=True, server=server)
            client = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=out, stderr=out,
                                      text=True, env=env)
            try:
                drive(run, client, Log(record), voice, quiet, count, speech_pcm)
            finally:
                stop(client)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return run


def ask(client: subprocess.Popen[Any], text: str) -> None:
    assert client.stdin is not None
    client.stdin.write(text + "\n")
    client.stdin.flush()


def drive(run: Run, client: subprocess.Popen[Any], log: Log, voice: Voice, quiet: int,
          count: int, speech_pcm: Any) -> None:
    # 1. long answers with nobody talking
    start = quiet_answers(client, log, quiet, run.notes)
    rs = log.poll()
    run.quiet_answers = quiet
    run.false_barge_ins = len(of(rs, *BARGE_IN_ACTIONS, after=start, out=True))
    run.false_pauses = len(of(rs, "local.bargein.paused", "local.playback.flushed", after=start))
    run.false_turns = len(of(rs, "input_audio_buffer.committed", after=start))
    run.quiet_load = os.getloadavg()[0]
    # 2. interruptions, each 2.5 s into an answer
    def say(i: int) -> float:
        onset = voice.say(speech_pcm(INTERRUPTIONS[i % len(INTERRUPTIONS)]))
        run.interruptions.append(Interruption(onset=onset, load=os.getloadavg()[0]))
        return onset

    interrupt_answers(client, log, count, say, run.notes)
    time.sleep(3.0)
    score(run, log.poll())


def quiet_answers(client: subprocess.Popen[Any], log: Log, quiet: int, notes: list[str]
                  ) -> float:
    """Once the client is up, ``quiet`` long answers with nobody talking, each to its end;
    returns when they began (what came after is false barge-ins and pauses)."""
    if not log.wait(lambda rs: of(rs, "session.updated"), 90):
        raise SystemExit("the client did not start: see client.out")
    time.sleep(0.5)
    start = time.time()
    for n in range(quiet):
        ask(client, "Tell me something long.")
        # the server's end of playback (WebRTC): a local drain may be an underrun mid-answer
        done = log.wait(lambda rs, n=n: len(of(rs, "output_audio_buffer.stopped",
                                               "output_audio_buffer.cleared")) > n, 120)
        if not done:
            notes.append(f"quiet answer {n + 1} did not end")
        time.sleep(1.0)
    return start


def interrupt_answers(client: subprocess.Popen[Any], log: Log, count: int,
                      say: Callable[[int], float], notes: list[str]) -> None:
    """Ask for a long story, then ``count`` times: wait for an answer to play, and
    ``INTO_ANSWER_S`` into it ``say(i)`` (which speaks and returns the onset). An answer
    already playing when the story was asked (a turn the server made of a leak) plays on
    without a new local start, so its server-side start counts too."""
    ask(client, "Tell me another long story.")
    since = time.time()
    started_types = ("local.playback.started", "output_audio_buffer.started")
    for i in range(count):
        started = log.wait(lambda rs, s=since: of(rs, *started_types, after=s), 60)
        if not started:
            notes.append(f"no answer to interrupt before interruption {i + 1}")
            asked = time.time()
            ask(client, "Go on.")
            started = log.wait(lambda rs, s=asked: of(rs, *started_types, after=s), 60)
            if not started:
                break
        time.sleep(max(0.0, wall(started[0]) + INTO_ANSWER_S - time.time()))
        if not playing_now(log.poll()):
            # (after a missed interruption the answers shift: the one this was timed for may
            # have ended; speech then would be a turn, not an interruption, and no figure)
            notes.append(f"interruption {i + 1}: no answer played at its time: asked for one")
            asked = time.time()
            ask(client, "Go on.")
            started = log.wait(lambda rs, s=asked: of(rs, "local.playback.started", after=s), 60)
            if not started:
                break
            time.sleep(max(0.0, wall(started[0]) + INTO_ANSWER_S - time.time()))
        onset = say(i)
        # the next answer (to this sentence) starting is where this interruption's window ends
        log.wait(lambda rs, t=onset: of(rs, "local.playback.started", after=t + 0.3), 25)
        since = onset + 0.3


def playing_now(records: list[dict[str, Any]]) -> bool:
    """An answer plays now: the client's last playback record is a start, or the server's last
    output buffer event is (an underrun's drain-and-start may be between the two)."""
    def last(*types: str) -> str | None:
        kinds = [r["event"]["type"] for r in records if r["event"]["type"] in types]
        return kinds[-1] if kinds else None
    return (last("local.playback.started", "local.playback.drained", "local.playback.flushed")
            == "local.playback.started"
            or last("output_audio_buffer.started", "output_audio_buffer.stopped",
                    "output_audio_buffer.cleared") == "output_audio_buffer.started")


def windows(onsets: list[float]) -> list[dict[str, float]]:
    """Each interruption's stretch of the log: from just before its onset to just before
    the next one's."""
    ends = [*onsets[1:], float("inf")]
    return [{"after": onset - 0.05, "before": end - 0.05}
            for onset, end in zip(onsets, ends, strict=True)]


def first_cut(rs: list[dict[str, Any]], onset: float, window: dict[str, float]
              ) -> tuple[float | None, float | None, float | None]:
    """In one interruption's window: onset -> the first barge-in action sent (ms), onset ->
    the speaker paused or flushed (ms), and the wall time of that action."""
    actions = of(rs, *BARGE_IN_ACTIONS, out=True, **window)
    stopped = of(rs, "local.bargein.paused", "local.playback.flushed", **window)
    acted = wall(actions[0]) if actions else None
    action_ms = 1000 * (acted - onset) if acted is not None else None
    paused_ms = 1000 * (wall(stopped[0]) - onset) if stopped else None
    return action_ms, paused_ms, acted


def score(run: Run, rs: list[dict[str, Any]]) -> None:
    for item, window in zip(run.interruptions, windows([i.onset for i in run.interruptions]),
                            strict=True):
        item.action_ms, item.paused_ms, _ = first_cut(rs, item.onset, window)
        item.responses = len(of(rs, "response.created", **window))
        item.cancels = len(of(rs, "response.cancel", out=True, **window))


def summary(run: Run) -> dict[str, Any]:
    silent = [i.silent_ms for i in run.interruptions]
    got = [s for s in silent if s is not None]
    return {
        "median_ms": statistics.median(got) if got else None,
        "worst_ms": None if None in silent or not got else max(got),
        "honoured": f"{len(got)}/{len(silent)}",
    }


def show(run: Run) -> None:
    label = "echo path" if run.echo else "baseline (no echo path)"
    print(f"\n{label}:")
    for n, i in enumerate(run.interruptions, 1):
        def ms(x: float | None) -> str:
            return "never" if x is None else f"{x:.0f} ms"
        print(f"  interruption {n}: playback stopped {ms(i.paused_ms)}, first barge-in action "
              f"{ms(i.action_ms)}, silent {ms(i.silent_ms)}; responses for the sentence "
              f"{i.responses}, cancels {i.cancels}; load {i.load:.2f}")
    s = summary(run)
    med = "n/a" if s["median_ms"] is None else f"{s['median_ms']:.0f} ms"
    worst = "never (one not honoured)" if s["worst_ms"] is None else f"{s['worst_ms']:.0f} ms"
    print(f"  silent after onset: median {med}, worst {worst}, honoured {s['honoured']}")
    print(f"  {run.quiet_answers} long answers with nobody talking: false barge-in actions "
          f"{run.false_barge_ins}, local stops (pause or flush) {run.false_pauses}, server "
          f"turns made of the echo {run.false_turns}; load "
          f"{run.quiet_load:.2f}")
    for note in run.notes:
        print(f"  note: {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--interruptions", type=int, default=4)
    parser.add_argument("--quiet-answers", type=int, default=2)
    parser.add_argument("--busy", action="store_true", help="a busy loop on one core meanwhile")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--keep", help="keep the runs' logs under this directory")
    args = parser.parse_args()
    env = pulse_env()
    voice = Voice(env)
    print(f"load at start {os.getloadavg()}; cores {os.cpu_count()}; busy loop {args.busy}")
    runs = []
    try:
        with busy_core(args.busy):
            for echo in (True,) if args.no_baseline else (True, False):
                base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bargein-"))
                workdir = base / ("echo" if echo else "baseline")
                workdir.mkdir(parents=True, exist_ok=True)
                run = run_once(env, voice, echo=echo, quiet=args.quiet_answers,
                               count=args.interruptions, workdir=workdir)
                runs.append(run)
                show(run)
                print(f"  logs: {workdir}")
    finally:
        voice.close()
        echo_path(env, False)
    if len(runs) == 2:
        a, b = summary(runs[0]), summary(runs[1])
        if a["median_ms"] and b["median_ms"]:
            print(f"\nmedian ratio to the baseline: {a['median_ms'] / b['median_ms']:.2f}x")
    print(f"load at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
