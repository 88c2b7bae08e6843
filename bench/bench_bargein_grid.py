"""Barge-in across the grid of issues 38 and 53: echo paths that move, mic levels, real voices.

Run: .venv/bin/python bench/bench_bargein_grid.py [--quick | --cells all|NAME,...] [--seed N]
        [--interruptions 6] [--quiet-answers 1] [--busy] [--no-baseline] [--keep DIR]

The harness of ``bench_bargein.py`` (issue 29): a private PulseAudio daemon, the speaker looped
into the mic, ``voicechat --no-ui --barge-in --aec`` against ``voicechat serve`` in its own
process, the user's voice from an always-running PortAudio stream whose onsets are known from its
DAC time. A **cell** is one client run, set by six axes (``Cell``):

* **echo path**: ``fixed`` (PulseAudio's loop with ``adjust_time=0``, the grid of issue 38),
  ``adaptive`` (the loop with PulseAudio's default adaptive rate, as many laptops run it: it
  resamples to hold its latency, so the path drifts slowly), ``skew+300`` / ``skew-300`` (a
  clock skew of ±300 ppm between speaker and mic, made by ``tests/audio/skew_loop.py``:
  PulseAudio cannot, its null sinks share one clock; the delay drifts 0.3 ms a second),
  ``jump`` (the loop re-made at 120 ms, then back at 30, ``MOVE_LEAD_S`` before each
  interruption: in the middle of the answer it interrupts);
* **delay**: the loop's latency, 10 to 200 ms (``skew-300`` starts at 60 ms, as it shrinks);
* **mic level**: the whole scene (echo and voice) moved by 0 (issue 38's levels, the voice near
  −25 dBFS), −10, −20 dB (quiet voices at about −45 dBFS active level) or +6 dB (the loop at
  0 dB and the voice clipped at full scale on its loudest peaks; the share clipped is noted);
* **voice-to-echo ratio**: +10 to −6 dB, set from **active speech levels** (the mean power of
  the 20 ms frames within 30 dB of the loudest): the assistant's espeak voice through the loop's
  gain against each utterance's own;
* **noise**: pink noise into the mic 20 dB under the voice, for the whole cell, or none;
* **voices**: ``espeak`` (espeak-ng en-us 175 wpm, en+f3 160, en-gb+m3 210), ``recorded``
  (real people: ``bench/voices/``, Asterisk's and codec2's speakers, three female and two male)
  or ``both``, alternating.

Each cell's interruptions cycle over the **shapes**: a word, a 200–400 ms pause, the rest
("Wait." 200 ms "No, stop, stop that please." in espeak; ``*-word-pause`` recorded); a single
word ("Stop." / "Pause."); a continuous sentence; which clip of a shape is drawn from the seed.
The whole cross product is thousands of cells of a minute or more, so the design (``CELLS``) is
a **default cell** (fixed loop, 30 ms, level 0 dB, +4 dB ratio, no noise, both voices: the
issue's "about +5 dB" on today's bench), **each axis swept alone** against it, and **hard
combinations** of the issue's laptop (the adaptive loop, the mic's sink at 50 %, real voices)
with the others. ``--quick`` is five cells of three interruptions (one per shape) that touch
every axis at least once, a run of about five minutes. Cells run in a random order drawn from
``--seed`` (printed, so a run can be repeated).

In each cell, first ``--quiet-answers`` long answers play with nobody talking (false barge-ins:
barge-in actions; local pauses apart), then ``--interruptions`` interruptions, each 2.5 s into an
answer. Per cell: honoured, false barge-ins and pauses, onset → first barge-in action (median,
worst), onset → speaker paused (median, worst; 0 where a false pause already held it silent,
marked "held"), resumes inside an interruption, the canceller's
ERLE and the delay it tracked (``local.aec.metrics``, every 5 s, and the clock skew it measured
where it found one), the load; then the same by voice kind and by shape over the run, and the
same-run **baseline** (no echo path: headphones).
``--busy`` keeps one core busy. Nothing is asserted. With ``--keep``, each cell's
``trace.jsonl`` (``VOICECHAT_BARGEIN_TRACE``, with the copy ear's residual as its speech model
heard it beside it) and ``onsets.json`` feed ``bargein_replay.py`` and ``bargein_sweep.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
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
    wall,
    windows,
)

from tests.audio.skew_loop import SkewLoop  # noqa: E402
from tests.voices import (  # noqa: E402
    RATE,
    VOICES,
    assistant_dbfs,
    at_level,
    espeak,
    pink_noise,
    recorded_clips,
    word_then_breath,
)

LOOP_LATENCY_MS = 30
JUMP_LATENCY_MS = 120  # where a ``jump`` cell's echo path goes, and back to 30
SKEW_SHRINKING_START_MS = 60  # a negative skew shortens the delay: start it longer
MOVE_LEAD_S = 1.0  # how long before each interruption a ``jump`` moves the path
LOOP_GAIN_DB = -6.0
NOISE_UNDER_VOICE_DB = -20.0
SENTENCES = ["What is the weather like tomorrow?", "Play some music in the living room.",
             "Call my sister after dinner.", "How far away is the moon?"]
SHAPES = ("word+pause", "word", "sentence")
PATHS = ("fixed", "adaptive", "skew+300", "skew-300", "jump")


@dataclass(frozen=True)
class Cell:
    path: str = "fixed"
    delay_ms: int = LOOP_LATENCY_MS
    level_db: float = 0.0
    ratio_db: float = 4.0
    noise: bool = False
    voices: str = "both"  # "espeak", "recorded" or "both"
    buffer_ms: int = 80

    @property
    def name(self) -> str:
        parts = [self.path, f"{self.delay_ms}ms", f"mic{self.level_db:+g}dB",
                 f"v/e{self.ratio_db:+g}dB", self.voices]
        if self.noise:
            parts.append("noise")
        if self.buffer_ms != 80:
            parts.append(f"buf{self.buffer_ms}")
        return " ".join(parts)

    @property
    def slug(self) -> str:
        return self.name.replace(" ", "_").replace("/", "")


DEFAULT = Cell()
#: each axis swept alone against the default cell
SWEEPS = [
    *(replace(DEFAULT, path=p, delay_ms=SKEW_SHRINKING_START_MS if p == "skew-300"
              else LOOP_LATENCY_MS) for p in PATHS[1:]),
    *(replace(DEFAULT, delay_ms=d) for d in (10, 80, 200)),
    *(replace(DEFAULT, level_db=v) for v in (-10.0, -20.0, 6.0)),
    *(replace(DEFAULT, ratio_db=r) for r in (10.0, 0.0, -6.0)),
    replace(DEFAULT, noise=True),
    *(replace(DEFAULT, voices=v) for v in ("espeak", "recorded")),
]
#: the issue's laptop (adaptive loop, the mic's sink at 50 %: -12 dB, real voices) and worse
HARD = [
    Cell("adaptive", level_db=-12.0, ratio_db=4.0, voices="recorded"),
    Cell("adaptive", level_db=-20.0, ratio_db=-6.0, voices="recorded"),
    Cell("skew+300", ratio_db=-6.0, noise=True),
    Cell("jump", level_db=-20.0, ratio_db=0.0, voices="recorded"),
    Cell("fixed", delay_ms=200, level_db=6.0, ratio_db=-6.0),
]
CELLS = [DEFAULT, *SWEEPS, *HARD]
#: every axis off its default at least once, three interruptions a cell (one per shape)
QUICK = [
    Cell("adaptive", level_db=-20.0, voices="recorded"),
    Cell("skew+300", ratio_db=-6.0, noise=True),
    Cell("skew-300", delay_ms=SKEW_SHRINKING_START_MS, ratio_db=10.0, voices="espeak"),
    Cell("jump", level_db=6.0, ratio_db=0.0),
    Cell("fixed", delay_ms=200, level_db=-10.0, voices="recorded"),
    Cell("fixed", delay_ms=10, ratio_db=4.0),
]


def parse_cells(spec: str) -> list[Cell]:
    """``all``, or cells as ``PATH:DELAY:LEVEL:RATIO[:noise][:espeak|recorded|both]``."""
    if spec == "all":
        return CELLS
    cells = []
    for part in spec.split(","):
        f = part.split(":")
        if len(f) < 4 or f[0] not in PATHS:
            raise SystemExit(f"--cells {part!r}: expected PATH:DELAY:LEVEL:RATIO[:noise]"
                             f"[:espeak|recorded|both], PATH one of {', '.join(PATHS)}")
        extra = f[4:]
        voices = next((x for x in extra if x in ("espeak", "recorded", "both")), "both")
        cells.append(Cell(f[0], int(f[1]), float(f[2]), float(f[3]), "noise" in extra, voices))
    return cells


# --- sounds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Utterance:
    shape: str  # one of SHAPES
    kind: str  # "espeak" or "recorded"
    voice: str
    pcm: npt.NDArray[np.int16]


def utterances() -> list[Utterance]:
    out = []
    for n, (voice, wpm) in enumerate(VOICES):
        out.append(Utterance("word+pause", "espeak", voice, word_then_breath(voice, wpm)))
        out.append(Utterance("word", "espeak", voice, espeak("Stop.", voice, wpm)))
        out.append(Utterance("sentence", "espeak", voice,
                             espeak(SENTENCES[n % len(SENTENCES)], voice, wpm)))
    out += [Utterance(c.shape, "recorded", c.name, c.pcm) for c in recorded_clips()]
    return out


def pick(sounds: list[Utterance], cell: Cell, count: int, rng: random.Random
         ) -> list[Utterance]:
    """The cell's interruptions: the shapes in turn, the voice kinds alternating (``both``),
    the clip of that kind and shape drawn from ``rng``."""
    kinds = ["espeak", "recorded"] if cell.voices == "both" else [cell.voices]
    chosen = []
    for i in range(count):
        shape, kind = SHAPES[i % len(SHAPES)], kinds[i % len(kinds)]
        chosen.append(rng.choice([u for u in sounds if u.shape == shape and u.kind == kind]))
    return chosen


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


def clipped_share(pcm: npt.NDArray[np.int16]) -> float:
    """The share of samples at full scale (what ``at_level`` clipped at +6 dB)."""
    return float(np.mean(np.abs(pcm.astype(np.int32)) >= 32767))


# --- echo paths -----------------------------------------------------------------------------


def set_echo(env: dict[str, str], on: bool, gain_db: float = LOOP_GAIN_DB,
             latency_ms: int = LOOP_LATENCY_MS, adaptive: bool = False) -> None:
    args = ["on", str(latency_ms), f"{gain_db:g}"] + (["adaptive"] if adaptive else [])
    subprocess.run([str(BENCH.parent / "scripts/pulse-echo.sh"), *(args if on else ["off"])],
                   capture_output=True, text=True, env=env, timeout=30, check=True)


@contextmanager
def echo_path(env: dict[str, str], cell: Cell, on: bool, gain_db: float,
              notes: list[str]) -> Iterator[None]:
    """The cell's echo path for the length of the cell (PulseAudio's loop, or a skew loop)."""
    skew = None
    if not on:
        set_echo(env, False)
    elif cell.path.startswith("skew"):
        set_echo(env, False)
        skew = SkewLoop(ppm=float(cell.path[4:]), start_ms=cell.delay_ms, gain_db=gain_db)
    else:
        set_echo(env, True, gain_db, cell.delay_ms, adaptive=cell.path == "adaptive")
    try:
        yield
    finally:
        if skew is not None:
            skew.close()
            notes.append(skew.drift)


# --- one cell -------------------------------------------------------------------------------


@dataclass
class Interruption:
    shape: str
    kind: str
    voice: str
    onset: float
    load: float
    paused_ms: float | None = None
    action_ms: float | None = None
    resumes: int = 0
    #: the speaker was already paused (a false pause) at the onset: paused_ms is 0
    held: bool = False


@dataclass
class CellRun:
    cell: Cell
    echo: bool
    interruptions: list[Interruption] = field(default_factory=list)
    false_actions: int = 0
    false_pauses: int = 0
    quiet_load: float = 0.0
    erle_db: list[float] = field(default_factory=list)
    delay_ms: list[float] = field(default_factory=list)
    drift_ppm: list[float] = field(default_factory=list)  # the skew the stage measured
    notes: list[str] = field(default_factory=list)


def run_cell(env: dict[str, str], voice: Voice, cell: Cell, *, echo: bool, quiet: int,
             sounds: list[Utterance], echo_dbfs: float, workdir: Path) -> CellRun:
    from tests.audio.echo_run import client_command, server_process, stop, write_config

    loop_gain = LOOP_GAIN_DB + cell.level_db
    voice_dbfs = echo_dbfs + loop_gain + cell.ratio_db
    run = CellRun(cell=cell, echo=echo)
    leveled = [(u, at_level(u.pcm, voice_dbfs)) for u in sounds]
    clipped = max(clipped_share(pcm) for _, pcm in leveled)
    if clipped > 0:
        run.notes.append(f"voice at {voice_dbfs:.1f} dBFS active: up to {100 * clipped:.2f} % "
                         "of an utterance's samples clipped")
    noise = NoiseBed(voice_dbfs + NOISE_UNDER_VOICE_DB) if cell.noise else None
    client_env = dict(env, VOICECHAT_SPEAKER_BUFFER_MS=str(cell.buffer_ms),
                      VOICECHAT_BARGEIN_TRACE=str(workdir / "trace.jsonl"))
    saved = dict(os.environ)
    try:
        with echo_path(env, cell, echo, loop_gain, run.notes):
            os.environ.clear()
            os.environ.update(env)
            with server_process(workdir) as server, (workdir / "client.out").open("w") as out:
                record = workdir / "events.jsonl"
                cmd = client_command(write_config(workdir), record, aec=True, server=server)
                client = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=out, stderr=out,
                                          text=True, env=client_env)

                def move(i: int) -> None:
                    if echo and cell.path == "jump":
                        latency = JUMP_LATENCY_MS if i % 2 == 0 else cell.delay_ms
                        set_echo(env, True, loop_gain, latency)
                        run.notes.append(f"interruption {i + 1}: the echo path jumped to "
                                         f"{latency} ms {MOVE_LEAD_S:g} s before it")
                        time.sleep(MOVE_LEAD_S)

                try:
                    drive(run, client, Log(record), voice, quiet, leveled, move)
                finally:
                    stop(client)
            (workdir / "onsets.json").write_text(json.dumps(
                [{"onset": i.onset, "shape": i.shape, "voice": f"{i.kind}:{i.voice}"}
                 for i in run.interruptions]))
    finally:
        os.environ.clear()
        os.environ.update(saved)
        if noise is not None:
            noise.close()
    return run


def drive(run: CellRun, client: subprocess.Popen[Any], log: Log, voice: Voice, quiet: int,
          sounds: list[tuple[Utterance, npt.NDArray[np.int16]]],
          before_each: Callable[[int], None]) -> None:
    start = quiet_answers(client, log, quiet, run.notes)
    rs = log.poll()
    run.false_actions = len(of(rs, *BARGE_IN_ACTIONS, after=start, out=True))
    run.false_pauses = len(of(rs, "local.bargein.paused", "local.playback.flushed", after=start))
    run.quiet_load = os.getloadavg()[0]

    def say(i: int) -> float:
        before_each(i)
        utterance, pcm = sounds[i]
        onset = voice.say(pcm)
        run.interruptions.append(Interruption(utterance.shape, utterance.kind, utterance.voice,
                                              onset, os.getloadavg()[0]))
        return onset

    interrupt_answers(client, log, len(sounds), say, run.notes)
    time.sleep(3.0)
    score(run, log.poll())


def score(run: CellRun, rs: list[dict[str, Any]]) -> None:
    for item, window in zip(run.interruptions, windows([i.onset for i in run.interruptions]),
                            strict=True):
        item.action_ms, item.paused_ms, acted = first_cut(rs, item.onset, window)
        before = acted if acted is not None else window["before"]
        item.resumes = len(of(rs, "local.bargein.resumed", after=window["after"],
                              before=before))
        if held_at_the_onset(rs, item.onset, window, item.paused_ms):
            item.paused_ms, item.held = 0.0, True
        early_actions, early_pauses = before_the_onset(rs, item.onset)
        if early_actions or early_pauses:
            # nobody talked yet: a barge-in here cut the answer before the person spoke (the
            # jump cell's first run counted such a cut as its interruption's, 8 s late)
            run.false_actions += early_actions
            run.false_pauses += early_pauses
            run.notes.append(f"interruption {run.interruptions.index(item) + 1}: "
                             f"{early_actions} barge-in actions and {early_pauses} pauses in "
                             "its answer before anybody spoke (counted false)")
    # the canceller's own figures (every 5 s while it measures): how much echo it removed and
    # the delay it tracked; in the whole cell, whoever was talking
    for r in of(rs, "local.aec.metrics"):
        if r["event"].get("erle_db") is not None:
            run.erle_db.append(float(r["event"]["erle_db"]))
        if r["event"].get("delay_ms") is not None:
            run.delay_ms.append(float(r["event"]["delay_ms"]))
        if r["event"].get("drift_ppm") is not None:
            run.drift_ppm.append(float(r["event"]["drift_ppm"]))


def held_at_the_onset(rs: list[dict[str, Any]], onset: float, window: dict[str, float],
                      paused_ms: float | None) -> bool:
    """The speaker was already paused when the person began, and stayed so until the first
    pause or cut in the interruption's window: then it was silent for them from their first
    sound, whatever the detector did next. (On seed 60's busy jump cell two of three
    interruptions came 0.4-0.5 s into a false pause the jump caused; the first pause event
    after the onset was the confirming cut's flush, 330 and 345 ms, while the speaker had
    been silent all along.) That pause is still counted false, in ``before_the_onset``."""
    starts = [wall(r) for r in of(rs, "local.playback.started", before=onset)]
    if not starts:
        return False
    marks = of(rs, "local.bargein.paused", "local.bargein.resumed", after=starts[-1],
               before=window["after"])
    if not marks or marks[-1]["event"]["type"] != "local.bargein.paused":
        return False
    until = window["before"] if paused_ms is None else onset + paused_ms / 1000
    return not of(rs, "local.bargein.resumed", after=window["after"], before=until)


def before_the_onset(rs: list[dict[str, Any]], onset: float) -> tuple[int, int]:
    """Barge-in actions sent, and local pauses, from the start of the answer an interruption
    was timed for to just before its onset: with nobody talking, each is false."""
    starts = [wall(r) for r in of(rs, "local.playback.started", before=onset)]
    if not starts:
        return 0, 0
    span = {"after": starts[-1], "before": onset - 0.05}
    return (len(of(rs, *BARGE_IN_ACTIONS, out=True, **span)),
            len(of(rs, "local.bargein.paused", "local.playback.flushed", **span)))


# --- the tables -----------------------------------------------------------------------------


def figures(items: list[Interruption]) -> dict[str, Any]:
    acts = [i.action_ms for i in items]
    got = [a for a in acts if a is not None]
    pauses = [i.paused_ms for i in items if i.paused_ms is not None]
    return {
        "median": statistics.median(got) if got else None,
        "worst": max(got) if got and len(got) == len(acts) else None,
        "honoured": f"{len(got)}/{len(acts)}",
        "pause": statistics.median(pauses) if pauses else None,
        "pause_worst": max(pauses) if pauses and len(pauses) == len(items) else None,
        "resumes": sum(i.resumes for i in items),
    }


def ms(x: float | None) -> str:
    return "–" if x is None else f"{x:.0f}"


def span(xs: list[float], unit: str) -> str:
    if not xs:
        return "–"
    return f"{statistics.median(xs):.0f} ({min(xs):.0f}–{max(xs):.0f}){unit}"


def met(f: dict[str, Any], false: int) -> str:
    ok = (f["worst"] is not None and f["median"] <= 500 and f["worst"] <= 800
          and f["pause"] is not None and f["pause"] <= 300 and false == 0)
    return "yes" if ok else "**no**"


def table(runs: list[CellRun], baseline: CellRun | None) -> None:
    print("\n| cell | honoured | false (pauses) | action ms median / worst | pause ms median / "
          "worst | resumes | ERLE dB | delay tracked ms | load | goal |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for run in [*runs, *([baseline] if baseline else [])]:
        f = figures(run.interruptions)
        load = max([run.quiet_load] + [i.load for i in run.interruptions])
        label = run.cell.name if run.echo else "baseline (no echo path)"
        print(f"| {label} | {f['honoured']} | {run.false_actions} ({run.false_pauses}) | "
              f"{ms(f['median'])} / {ms(f['worst']) if f['worst'] else 'never'} | "
              f"{ms(f['pause'])} / {ms(f['pause_worst'])} | {f['resumes']} | "
              f"{span(run.erle_db, '')} | {span(run.delay_ms, '')} | {load:.1f} | "
              f"{met(f, run.false_actions)} |")
    everything = [i for run in runs for i in run.interruptions]
    print("\n| over the run | honoured | action ms median / worst | pause ms median / worst |")
    print("| --- | --- | --- | --- |")
    groups = [(f"voices: {k}", [i for i in everything if i.kind == k])
              for k in ("espeak", "recorded")]
    groups += [(f"shape: {s}", [i for i in everything if i.shape == s]) for s in SHAPES]
    for label, items in groups:
        if items:
            f = figures(items)
            print(f"| {label} | {f['honoured']} | {ms(f['median'])} / "
                  f"{ms(f['worst']) if f['worst'] else 'never'} | {ms(f['pause'])} / "
                  f"{ms(f['pause_worst'])} |")


def detail(run: CellRun) -> None:
    print(f"\n{run.cell.name}{'' if run.echo else ' (baseline)'}:")
    for n, i in enumerate(run.interruptions, 1):
        paused = f"{ms(i.paused_ms):>5} ms{' (held)' if i.held else ''}"
        print(f"  {n}. {i.shape:<10} {i.kind:<8} {i.voice:<18} paused {paused}, "
              f"action {ms(i.action_ms):>5} ms, resumes {i.resumes}, load {i.load:.2f}")
    print(f"  false barge-ins {run.false_actions}, false pauses {run.false_pauses}; ERLE "
          f"{span(run.erle_db, ' dB')}; delay tracked {span(run.delay_ms, ' ms')}; skew "
          f"measured {span(run.drift_ppm, ' ppm') if run.drift_ppm else 'none'}")
    for note in run.notes:
        print(f"  note: {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cells", default="all",
                        help="all, or PATH:DELAY:LEVEL:RATIO[:noise][:espeak|recorded|both],... "
                             f"(PATH: {', '.join(PATHS)}; e.g. adaptive:30:-20:4:recorded)")
    parser.add_argument("--quick", action="store_true",
                        help=f"{len(QUICK)} cells of 3 interruptions covering every axis, "
                             "no baseline (a few minutes)")
    parser.add_argument("--seed", type=int, help="the order of the cells and the clips drawn "
                        "(default: a fresh one, printed)")
    parser.add_argument("--interruptions", type=int, default=6)
    parser.add_argument("--quiet-answers", type=int, default=1)
    parser.add_argument("--busy", action="store_true", help="a busy loop on one core meanwhile")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--keep", help="keep each cell's logs and trace under this directory")
    args = parser.parse_args()
    cells = QUICK if args.quick else parse_cells(args.cells)
    count = len(SHAPES) if args.quick else args.interruptions
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    rng = random.Random(seed)
    plan = [(c, True) for c in cells]
    if not (args.no_baseline or args.quick):
        plan.append((DEFAULT, False))
    rng.shuffle(plan)
    sounds = utterances()
    echo_dbfs = assistant_dbfs()
    env = pulse_env()
    voice = Voice(env)
    base_dir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bargein-grid-"))
    print(f"seed {seed}; {len(plan)} cells; load at start {os.getloadavg()}; cores "
          f"{os.cpu_count()}; busy loop {args.busy}; assistant {echo_dbfs:.1f} dBFS active, "
          f"echo loop {LOOP_GAIN_DB:g} dB at mic level 0; logs {base_dir}", flush=True)
    runs: list[CellRun] = []
    baseline: CellRun | None = None
    try:
        with busy_core(args.busy):
            for n, (cell, echo) in enumerate(plan, 1):
                workdir = base_dir / f"{n:02d}_{cell.slug}{'' if echo else '_base'}"
                workdir.mkdir(parents=True, exist_ok=True)
                print(f"-- {n}/{len(plan)} {cell.name}{'' if echo else ' baseline'}", flush=True)
                run = run_cell(env, voice, cell, echo=echo, quiet=args.quiet_answers,
                               sounds=pick(sounds, cell, count, rng), echo_dbfs=echo_dbfs,
                               workdir=workdir)
                detail(run)
                if echo:
                    runs.append(run)
                else:
                    baseline = run
    finally:
        voice.close()
        set_echo(env, False)
    table(runs, baseline)
    print(f"\nseed {seed}; load at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
