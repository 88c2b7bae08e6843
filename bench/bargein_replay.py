"""Replay a recorded detector trace through the sans-IO local barge-in detector, offline.

Run: .venv/bin/python bench/bargein_replay.py CELL_DIR [--set onset_ms=40 ...] [--frames]

``CELL_DIR`` is a cell's directory from ``bench_bargein_grid.py --keep``: ``trace.jsonl`` (every
frame the client's detector was fed, ``VOICECHAT_BARGEIN_TRACE``) and ``onsets.json`` (when each
interruption began, from the voice stream's DAC time). The frames are fed to a fresh
:class:`~voicechat.core.local_barge_in.LocalBargeIn` with the tuning changed by ``--set``; per
interruption it prints when it would have paused and confirmed, and the pauses it would have made
with nobody talking. Only valid up to the live detector's own first decision in each interruption:
after a live pause the echo is gone from the frames, which a replay cannot undo. Where the cell's
``events.jsonl`` holds the canceller's leak verdicts (``local.aec.leak``), the detector is made
strict while one is up, as the live session does; and where it holds the live session's pauses
on the server's ``speech_started``, the detector hears the server's word then too (a pause on it
starts the episode's window). ``--frames`` prints the frames around each onset
(probability, levels, what the canceller removed, what the copy ear explained and the speech
model on its residual) and the detector's reason for each. ``--copy-model`` recomputes the
copy ear's speech probability from the audio its model heard live (``FILE.copy.s16`` beside
the trace, ``runtime/bargein_trace.py``), with the product's model reset where the live one
was, and prints how far it lands from the trace's figures before replaying: the hook for
trying another model, or the same one fed differently (``with_copy_model``).
"""

from __future__ import annotations

import argparse
import bisect
import dataclasses
import json
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from voicechat.core.local_barge_in import (
    Decision,
    LocalBargeIn,
    LocalTuning,
    TalkFrame,
)
from voicechat.runtime.bargein_trace import COPY_AUDIO_SUFFIX

FIELDS = {f.name for f in dataclasses.fields(TalkFrame)}
#: the copy ear's residual as its speech model heard it (runtime/bargein_trace.py)
COPY_AUDIO = "trace.jsonl" + COPY_AUDIO_SUFFIX


class SpeechModel(Protocol):
    """What the copy ear's speech model does for a replay (``audio/talk.SpeechProbe``)."""

    def push(self, frame: npt.NDArray[np.int16]) -> float: ...

    def reset(self) -> None: ...


def load(cell: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows = [json.loads(line) for line in (cell / "trace.jsonl").read_text().splitlines() if line]
    onsets = json.loads((cell / "onsets.json").read_text())
    return rows, onsets


def logged_events(cell: Path) -> Iterator[tuple[float, dict[str, Any]]]:
    """The cell's event log (``events.jsonl``) as (epoch time, event); nothing where it has none."""
    path = cell / "events.jsonl"
    if not path.exists():
        return
    for line in path.read_text().splitlines():
        if line:
            record = json.loads(line)
            when = datetime.fromisoformat(record["ts"].replace("Z", "+00:00")).timestamp()
            yield when, record.get("event", {})


def leak_verdicts(cell: Path) -> list[tuple[float, bool]]:
    """The canceller's own leak verdicts, (epoch time, leaking), from the cell's event log: the
    session makes the detector strict while one is up (not for an underrun hold alone, whose
    records name a ``cause``)."""
    return [(when, bool(event.get("leaking"))) for when, event in logged_events(cell)
            if event.get("type") == "local.aec.leak" and "cause" not in event]


def server_pauses(cell: Path) -> list[float]:
    """When the live session paused the speaker on the server's ``speech_started`` (epoch
    times, from the cell's event log): the replay gives its detector the same second opinion
    then, since a pause on the server's word starts the episode's window (without it a replay
    judged a word the live session's window had already run out on)."""
    return [when for when, event in logged_events(cell)
            if event.get("type") == "local.bargein.paused"
            and event.get("why") == "the server heard speech"]


def copy_state(machine: LocalBargeIn, frame: TalkFrame) -> str:
    """The copy ear's gates on a frame: settled, and the mic against the reference, on AEC3's
    lined-up one and on the copy ear's own lag, each minus the echo alone's gain there."""
    ear = machine._frames_judge.copy_ear

    def over(level: float | None, gain: float | None) -> str:
        return "-" if level is None or gain is None else f"{level - gain:+.1f}"

    lined = None if frame.in_dbfs is None or frame.far_dbfs is None else (
        frame.in_dbfs - frame.far_dbfs)
    held = over(frame.copy_gain_db, ear.echo_copy_gain_db)
    return (f"settled={'y' if ear.trusted_and_settled() else 'n'} "
            f"over={over(lined, ear.echo_gain_db)}/{held}")


def stage_view(row: dict[str, Any]) -> str:
    """The echo canceller's view of its reference at this frame, where the trace has it: the
    speaker's feed ahead of the mic (below zero: it stalled), the APM's lag, and the reference
    frames the APM was given in all (runtime/bargein_trace.py)."""
    stage = row.get("stage")
    if not stage:
        return ""
    return (f" lead={stage.get('far_lead_ms')} lag={stage.get('lag_ms')} "
            f"apm={stage.get('apm_far_frames')}")


def strict_at(verdicts: list[tuple[float, bool]], t: float) -> bool:
    at = bisect.bisect_right(verdicts, (t, True))
    return at > 0 and verdicts[at - 1][1]


def tuning(pairs: list[str]) -> LocalTuning:
    values = {k: None if v.lower() == "none" else float(v)
              for k, v in (p.split("=", 1) for p in pairs)}
    return dataclasses.replace(LocalTuning(), **values)


@dataclasses.dataclass
class Replayed:
    """What the replayed detector did in one cell: per interruption, the first time (ms after
    its onset) of each decision it made; and its decisions with nobody talking (epoch times)."""

    found: dict[int, dict[str, float]]
    false_pauses: list[float]
    false_confirms: list[float]
    strict_frames: int
    frames: int


def replay(rows: list[dict[str, Any]], onsets: list[dict[str, Any]], tune: LocalTuning,
           show_frames: bool, verdicts: list[tuple[float, bool]],
           server: list[float] | None = None) -> Replayed:
    machine = LocalBargeIn(tune)
    starts = [o["onset"] for o in onsets]
    found: dict[int, dict[str, float]] = {}
    false: list[float] = []
    false_confirms: list[float] = []
    strict_frames = 0
    pending = sorted(server or [])
    for row in rows:
        if "mark" in row:
            machine.stopped()
            continue
        t = row["t"]
        frame = TalkFrame(**{k: v for k, v in row.items() if k in FIELDS})
        which = max((n for n, s in enumerate(starts) if s - 0.1 <= t), default=None)
        since = t - starts[which] if which is not None else None
        inside = since is not None and since < 3.0
        if show_frames and inside and since is not None and since < 1.2:
            removed = (frame.in_dbfs - frame.out_dbfs) if frame.in_dbfs is not None else None
            person, why = machine.person(frame, t)
            lf = machine._frames_judge.echo_linear_dbfs
            print(f"  #{which + 1} {since * 1000:6.0f} ms p={frame.speech_prob:.2f} "
                  f"out={frame.out_dbfs:6.1f} in={frame.in_dbfs} far={frame.far_dbfs} "
                  f"removed={None if removed is None else round(removed, 1)} "
                  f"erle={machine.echo_erle_db and round(machine.echo_erle_db, 1)} "
                  f"lin={frame.linear_dbfs} "
                  f"linfloor={lf and round(lf, 1)} "
                  f"copy={frame.copy_explained_db and round(frame.copy_explained_db, 1)} "
                  f"copyp={frame.copy_speech_prob and round(frame.copy_speech_prob, 2)} "
                  f"{copy_state(machine, frame)}{stage_view(row)} "
                  f"live-paused={row['paused']} {'PERSON' if person else '-'} {why}")
        machine.strict = strict_at(verdicts, t)
        strict_frames += machine.strict
        heard = None
        while pending and pending[0] <= t:
            heard = machine.server_heard(pending.pop(0)) or heard
        verdict = machine.frame(t, frame) or heard
        if verdict is None:
            continue
        if inside and which is not None:
            key = verdict.decision.value
            found.setdefault(which, {}).setdefault(key, since * 1000 if since else 0.0)
        elif verdict.decision is Decision.PAUSE:
            false.append(t)
        elif verdict.decision is Decision.CONFIRM:
            false_confirms.append(t)
    return Replayed(found, false, false_confirms, strict_frames, len(rows))


def with_copy_model(cell: Path, rows: list[dict[str, Any]],
                    make_model: Callable[[], SpeechModel]) -> list[dict[str, Any]]:
    """The trace's rows with the copy ear's speech probability recomputed by ``make_model``'s
    model from the audio the live one heard, reset where the live one was (a stretch of
    playback ended: the trace's marks). Rows without audio keep what they had."""
    audio = np.fromfile(cell / COPY_AUDIO, dtype=np.int16)
    model, at, out = make_model(), 0, []
    for row in rows:
        if "mark" in row:
            model.reset()
        elif row.get("copy_samples"):
            n = int(row["copy_samples"])
            row = dict(row, copy_speech_prob=model.push(audio[at:at + n]))
            at += n
        out.append(row)
    return out


def live_copy_model() -> SpeechModel:
    """The product's speech model on the copy ear's residual, as the live detector makes it:
    silero at 16 and 8 kHz, the higher word (``CopyEarProbe``)."""
    from voicechat.audio.echo.correlate import ANALYSIS_RATE
    from voicechat.audio.talk import CopyEarProbe
    return CopyEarProbe(ANALYSIS_RATE)


def resampled_copy_model() -> SpeechModel:
    """Silero's 16 kHz model alone on the residual resampled: the product's until issue 53's
    lost word (traces kept before then recompute exactly with it)."""
    from voicechat.audio.echo.correlate import ANALYSIS_RATE
    from voicechat.audio.talk import SpeechProbe
    return SpeechProbe(ANALYSIS_RATE)


def native_copy_model() -> SpeechModel:
    """Silero's own 8 kHz model alone on the 8 kHz residual."""
    from voicechat.audio.echo.correlate import ANALYSIS_RATE
    from voicechat.audio.talk import SpeechProbe
    return SpeechProbe(ANALYSIS_RATE, model_rate=ANALYSIS_RATE)


#: the copy ear's speech models a replay can recompute its word with (``--copy-model NAME``)
COPY_MODELS: dict[str, Callable[[], SpeechModel]] = {
    "live": live_copy_model, "resampled": resampled_copy_model, "native": native_copy_model}


def replay_cell(cell: Path, tune: LocalTuning, show_frames: bool = False,
                copy_model: Callable[[], SpeechModel] | None = None) -> Replayed:
    """One kept cell replayed with ``tune``, its leak verdicts and server pauses as live;
    with ``copy_model``, the copy ear's speech probability recomputed by it first."""
    rows, onsets = load(cell)
    if copy_model is not None:
        rows = with_copy_model(cell, rows, copy_model)
    return replay(rows, onsets, tune, show_frames, leak_verdicts(cell), server_pauses(cell))


def report(onsets: list[dict[str, Any]], result: Replayed) -> None:
    for n, onset in enumerate(onsets):
        got = result.found.get(n, {})
        print(f"{n + 1}. {onset['shape']:<11} {onset['voice']:<9} "
              + ", ".join(f"{k} {v:.0f} ms" for k, v in got.items()) if got
              else f"{n + 1}. {onset['shape']:<11} {onset['voice']:<9} nothing")
    print(f"pauses with nobody talking: {len(result.false_pauses)}; barge-ins confirmed with "
          f"nobody talking: {len(result.false_confirms)}; strict (a leak verdict up) over "
          f"{result.strict_frames} of {result.frames} frames")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cell", type=Path)
    parser.add_argument("--set", nargs="*", default=[], help="tuning overrides, NAME=VALUE")
    parser.add_argument("--frames", action="store_true")
    parser.add_argument("--copy-model", nargs="?", const="live", choices=sorted(COPY_MODELS),
                        help="recompute the copy ear's speech probability from its audio, "
                             "with the live model (the default) or a candidate")
    args = parser.parse_args()
    rows, onsets = load(args.cell)
    if args.copy_model:
        again = with_copy_model(args.cell, rows, COPY_MODELS[args.copy_model])
        apart = [abs(new["copy_speech_prob"] - old["copy_speech_prob"])
                 for old, new in zip(rows, again, strict=True) if old.get("copy_samples")]
        print(f"copy ear's speech model recomputed on {len(apart)} frames: |difference| "
              f"median {np.median(apart):.3f}, worst {max(apart):.3f}" if apart
              else "no copy-ear audio beside this trace")
        rows = again  # the model run once: the check and the replay share it
    report(onsets, replay(rows, onsets, tuning(args.set), args.frames,
                          leak_verdicts(args.cell), server_pauses(args.cell)))


if __name__ == "__main__":
    main()
