"""Barge-in across the grid of issue 38: voice-to-echo ratio, speaker buffer, shapes, noise.

Run: .venv/bin/python bench/bench_bargein_grid.py [--cells all|80:-6,20:0,...] [--busy]
        [--interruptions 6] [--quiet-answers 1] [--no-baseline] [--keep DIR]

``bench_bargein.py`` (issue 29) speaks loud sentences about 10 dB over the echo. People on
laptop speakers hear the echo as loud as their own voice, or louder, and interrupt with a word,
a breath, then the rest. This bench sweeps that, on the same harness (a private PulseAudio
daemon, the speaker looped into the mic at 30 ms, ``voicechat --no-ui --barge-in --aec`` against
``voicechat serve`` in its own process, the user's voice from an always-running PortAudio
stream whose onsets are known from its DAC time):

* a **cell** is one client run: the speaker's device buffer (``speaker_buffer_ms`` 20 or 80),
  the **voice-to-echo ratio** in the mic (+10, +4, 0, -6 dB), and optionally ``quiet`` (the whole
  scene 10 dB down: a soft speaker with the laptop's volume turned down to match), ``noise``
  (pink noise into the mic at 20 dB under the voice, for the whole run) or ``moved`` (the echo
  path moves under each interruption: the loop is re-made at the other of 30 and 70 ms
  ``MOVE_LEAD_S`` before the user speaks, as PulseAudio re-buffering a loop did in a run of
  this grid, which made the canceller lose the echo: not in ``all``, name it);
* the ratio is set from **active speech levels** (the mean power of the 20 ms frames within
  30 dB of the loudest): the assistant's voice (the server's espeak voice) attenuated by the
  loop gain, against each interruption's own level, so each utterance stands at the cell's ratio;
* in each cell, first ``--quiet-answers`` long answers play with nobody talking (false
  barge-ins: any barge-in action; local pauses are counted apart), then ``--interruptions``
  interruptions, each 2.5 s into an answer, cycling over the **shapes**: "Wait." then 200 ms
  then "No, stop, stop that please." (a word and a breath), and a continuous sentence, each in
  three voices (espeak-ng's en-us at 175 words a minute, en+f3 at 160, en-gb+m3 at 210);
* per interruption: onset -> the speaker paused (``local.bargein.paused`` or a flush), onset ->
  the first barge-in action sent (cancel, clear or truncate), how often the speaker resumed
  inside it (pause -> resume -> pause), and whether it was honoured at all;
* one table, a row per cell: median and worst to the first action, honoured, false barge-ins,
  median pause, resumes, load; then the same-run **baseline** (no echo path: headphones) and
  the ratio to it. ``--busy`` keeps one core busy for the whole sweep. Nothing is asserted.

With ``VOICECHAT_BARGEIN_TRACE`` (runtime/bargein_trace.py) each cell's client also writes the
detector's input frame by frame to ``trace.jsonl`` in the cell's directory (``--keep``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from bench_bargein import (  # noqa: E402
    BARGE_IN_ACTIONS,
    Log,
    Voice,
    busy_core,
    first_cut,
    interrupt_answers,
    of,
    pulse_env,
    quiet_answers,
    windows,
)

from tests.voices import (  # noqa: E402
    RATE,
    VOICES,
    assistant_dbfs,
    at_level,
    espeak,
    pink_noise,
    word_then_breath,
)

LOOP_LATENCY_MS = 30
MOVED_LATENCY_MS = 70  # where a ``moved`` cell's echo path goes, and back
MOVE_LEAD_S = 1.0  # how long before each interruption its echo path moves
LOOP_GAIN_DB = -6.0
QUIET_SCENE_DB = -10.0
NOISE_UNDER_VOICE_DB = -20.0
SENTENCES = ["What is the weather like tomorrow?", "Play some music in the living room.",
             "Call my sister after dinner.", "How far away is the moon?"]
RATIOS = (10, 4, 0, -6)
BUFFERS = (80, 20)


@dataclass(frozen=True)
class Cell:
    buffer_ms: int
    ratio_db: float
    scene: str = ""  # "", "quiet", "noise" or "moved"

    @property
    def name(self) -> str:
        extra = f" {self.scene}" if self.scene else ""
        return f"{self.buffer_ms} ms, {self.ratio_db:+g} dB{extra}"


def default_cells() -> list[Cell]:
    cells = [Cell(b, r) for b in BUFFERS for r in RATIOS]
    cells += [Cell(80, r, "quiet") for r in (0, -6)]
    cells += [Cell(80, r, "noise") for r in (0, -6)]
    return cells


def parse_cells(spec: str) -> list[Cell]:
    if spec == "all":
        return default_cells()
    cells = []
    for part in spec.split(","):
        fields = part.split(":")
        cells.append(Cell(int(fields[0]), float(fields[1]), fields[2] if len(fields) > 2 else ""))
    return cells


# --- sounds (tests/voices.py) ----------------------------------------------------------------


@dataclass(frozen=True)
class Utterance:
    shape: str  # "word+breath" or "sentence"
    voice: str
    pcm: npt.NDArray[np.int16]


def utterances() -> list[Utterance]:
    out = []
    for n, (voice, wpm) in enumerate(VOICES):
        out.append(Utterance("word+breath", voice, word_then_breath(voice, wpm)))
        out.append(Utterance("sentence", voice, espeak(SENTENCES[n % len(SENTENCES)], voice, wpm)))
    return out


class NoiseBed:
    """Steady pink noise into the mic's sink for the whole cell (a fan, an air conditioner)."""

    def __init__(self, level_dbfs: float) -> None:
        import sounddevice as sd

        self._pcm = pink_noise(4.0, level_dbfs)
        self._pos = 0
        self._stream = sd.OutputStream(samplerate=RATE, channels=1, dtype="int16",
                                       blocksize=960, latency=0.1, callback=self._callback)
        self._stream.start()

    def _callback(self, out: Any, frames: int, time_info: Any, status: Any) -> None:
        idx = (self._pos + np.arange(frames)) % self._pcm.size
        out[:, 0] = self._pcm[idx]
        self._pos = int((self._pos + frames) % self._pcm.size)

    def close(self) -> None:
        self._stream.stop()
        self._stream.close()


# --- one cell -------------------------------------------------------------------------------


@dataclass
class Interruption:
    shape: str
    voice: str
    onset: float
    load: float
    paused_ms: float | None = None
    action_ms: float | None = None
    resumes: int = 0


@dataclass
class CellRun:
    cell: Cell
    echo: bool
    interruptions: list[Interruption] = field(default_factory=list)
    false_actions: int = 0
    false_pauses: int = 0
    quiet_load: float = 0.0
    notes: list[str] = field(default_factory=list)


def set_echo(env: dict[str, str], on: bool, gain_db: float,
             latency_ms: int = LOOP_LATENCY_MS) -> None:
    args = ["on", str(latency_ms), f"{gain_db:g}"] if on else ["off"]
    subprocess.run([str(BENCH.parent / "scripts/pulse-echo.sh"), *args], capture_output=True,
                   text=True, env=env, timeout=30, check=True)


def run_cell(env: dict[str, str], voice: Voice, cell: Cell, *, echo: bool, quiet: int,
             count: int, sounds: list[Utterance], echo_dbfs: float, workdir: Path) -> CellRun:
    from tests.audio.echo_run import client_command, server_process, stop, write_config

    scene_db = QUIET_SCENE_DB if cell.scene == "quiet" else 0.0
    loop_gain = LOOP_GAIN_DB + scene_db
    voice_dbfs = echo_dbfs + loop_gain + cell.ratio_db
    set_echo(env, echo, loop_gain)
    run = CellRun(cell=cell, echo=echo)
    noise = NoiseBed(voice_dbfs + NOISE_UNDER_VOICE_DB) if cell.scene == "noise" else None
    client_env = dict(env, VOICECHAT_SPEAKER_BUFFER_MS=str(cell.buffer_ms),
                      VOICECHAT_BARGEIN_TRACE=str(workdir / "trace.jsonl"))
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        with server_process(workdir) as server, (workdir / "client.out").open("w") as out:
            record = workdir / "events.jsonl"
            cmd = client_command(write_config(workdir), record, aec=True, server=server)
            client = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=out, stderr=out,
                                      text=True, env=client_env)
            def move(i: int) -> None:
                if echo and cell.scene == "moved":
                    latency = MOVED_LATENCY_MS if i % 2 == 0 else LOOP_LATENCY_MS
                    set_echo(env, True, loop_gain, latency)
                    run.notes.append(f"interruption {i + 1}: the echo path moved to "
                                     f"{latency} ms {MOVE_LEAD_S:g} s before it")
                    time.sleep(MOVE_LEAD_S)

            try:
                drive(run, client, Log(record), voice, quiet, count,
                      [(u, at_level(u.pcm, voice_dbfs)) for u in sounds], move)
            finally:
                stop(client)
        (workdir / "onsets.json").write_text(json.dumps(
            [{"onset": i.onset, "shape": i.shape, "voice": i.voice} for i in run.interruptions]))
    finally:
        os.environ.clear()
        os.environ.update(saved)
        if noise is not None:
            noise.close()
    return run


def drive(run: CellRun, client: subprocess.Popen[Any], log: Log, voice: Voice, quiet: int,
          count: int, sounds: list[tuple[Utterance, npt.NDArray[np.int16]]],
          before_each: Callable[[int], None]) -> None:
    start = quiet_answers(client, log, quiet, run.notes)
    rs = log.poll()
    run.false_actions = len(of(rs, *BARGE_IN_ACTIONS, after=start, out=True))
    run.false_pauses = len(of(rs, "local.bargein.paused", "local.playback.flushed", after=start))
    run.quiet_load = os.getloadavg()[0]
    def say(i: int) -> float:
        before_each(i)
        utterance, pcm = sounds[i % len(sounds)]
        onset = voice.say(pcm)
        run.interruptions.append(Interruption(utterance.shape, utterance.voice, onset,
                                              os.getloadavg()[0]))
        return onset

    interrupt_answers(client, log, count, say, run.notes)
    time.sleep(3.0)
    score(run, log.poll())


def score(run: CellRun, rs: list[dict[str, Any]]) -> None:
    for item, window in zip(run.interruptions, windows([i.onset for i in run.interruptions]),
                            strict=True):
        item.action_ms, item.paused_ms, acted = first_cut(rs, item.onset, window)
        before = acted if acted is not None else window["before"]
        item.resumes = len(of(rs, "local.bargein.resumed", after=window["after"],
                              before=before))


# --- the table ------------------------------------------------------------------------------


def row(run: CellRun) -> dict[str, Any]:
    acts = [i.action_ms for i in run.interruptions]
    got = [a for a in acts if a is not None]
    pauses = [i.paused_ms for i in run.interruptions if i.paused_ms is not None]
    return {
        "median": statistics.median(got) if got else None,
        "worst": max(got) if got and len(got) == len(acts) else None,
        "honoured": f"{len(got)}/{len(acts)}",
        "pause": statistics.median(pauses) if pauses else None,
        "resumes": sum(i.resumes for i in run.interruptions),
        "false": run.false_actions,
        "false_pauses": run.false_pauses,
        "load": max([run.quiet_load] + [i.load for i in run.interruptions]),
    }


def ms(x: float | None) -> str:
    return "–" if x is None else f"{x:.0f}"


def table(runs: list[CellRun], baseline: CellRun | None) -> None:
    print("\n| cell | median ms | worst ms | honoured | false | false pauses | pause ms "
          "(median) | resumes | load | median / baseline |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    base = row(baseline)["median"] if baseline is not None else None
    for run in runs:
        r = row(run)
        ratio = f"{r['median'] / base:.2f}×" if r["median"] and base else "–"
        label = run.cell.name if run.echo else f"baseline (no echo path), {run.cell.buffer_ms} ms"
        print(f"| {label} | {ms(r['median'])} | {ms(r['worst']) if r['worst'] else 'never'} | "
              f"{r['honoured']} | {r['false']} | {r['false_pauses']} | {ms(r['pause'])} | "
              f"{r['resumes']} | {r['load']:.1f} | {ratio} |")


def detail(run: CellRun) -> None:
    print(f"\n{run.cell.name}{'' if run.echo else ' (baseline)'}:")
    for n, i in enumerate(run.interruptions, 1):
        print(f"  {n}. {i.shape:<11} {i.voice:<9} paused {ms(i.paused_ms):>5} ms, action "
              f"{ms(i.action_ms):>5} ms, resumes {i.resumes}, load {i.load:.2f}")
    for note in run.notes:
        print(f"  note: {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cells", default="all",
                        help="all, or BUFFER:RATIO[:quiet|noise|moved],... "
                             "(e.g. 80:-6,20:0:noise,80:4:moved)")
    parser.add_argument("--interruptions", type=int, default=6)
    parser.add_argument("--quiet-answers", type=int, default=1)
    parser.add_argument("--busy", action="store_true", help="a busy loop on one core meanwhile")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--keep", help="keep each cell's logs and trace under this directory")
    args = parser.parse_args()
    cells = parse_cells(args.cells)
    sounds = utterances()
    echo_dbfs = assistant_dbfs()
    env = pulse_env()
    voice = Voice(env)
    base_dir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bargein-grid-"))
    print(f"load at start {os.getloadavg()}; cores {os.cpu_count()}; busy loop {args.busy}; "
          f"assistant {echo_dbfs:.1f} dBFS active, echo loop {LOOP_GAIN_DB:g} dB; logs {base_dir}",
          flush=True)
    runs: list[CellRun] = []
    baseline: CellRun | None = None
    try:
        with busy_core(args.busy):
            plan = [(c, True) for c in cells]
            if not args.no_baseline:
                plan.append((Cell(80, 0), False))
            for cell, echo in plan:
                tail = "" if echo else "_base"
                slug = f"{cell.buffer_ms}ms_{cell.ratio_db:+g}dB{cell.scene}{tail}"
                workdir = base_dir / slug
                workdir.mkdir(parents=True, exist_ok=True)
                print(f"-- {cell.name}{'' if echo else ' baseline (no echo path)'}", flush=True)
                run = run_cell(env, voice, cell, echo=echo, quiet=args.quiet_answers,
                               count=args.interruptions, sounds=sounds, echo_dbfs=echo_dbfs,
                               workdir=workdir)
                detail(run)
                if echo:
                    runs.append(run)
                else:
                    baseline = run
    finally:
        voice.close()
        set_echo(env, False, 0)
    table(runs + ([baseline] if baseline else []), baseline)
    print(f"\nload at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
