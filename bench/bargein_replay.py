"""Replay a recorded detector trace through the sans-IO local barge-in detector, offline.

Run: .venv/bin/python bench/bargein_replay.py CELL_DIR [--set onset_ms=40 ...] [--frames]

``CELL_DIR`` is a cell's directory from ``bench_bargein_grid.py --keep``: ``trace.jsonl`` (every
frame the client's detector was fed, ``VOICECHAT_BARGEIN_TRACE``) and ``onsets.json`` (when each
interruption began, from the voice stream's DAC time). The frames are fed to a fresh
:class:`~voicechat.core.local_barge_in.LocalBargeIn` with the tuning changed by ``--set``; per
interruption it prints when it would have paused and confirmed, and the pauses it would have
made with nobody talking. Only valid up to the live detector's own first decision in each
interruption: after a live pause the echo is gone from the frames, which a replay cannot undo.
``--frames`` prints the frames around each onset (probability, levels, what the canceller
removed) and the detector's reason for each.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from voicechat.core.local_barge_in import (
    Decision,
    LocalBargeIn,
    LocalTuning,
    TalkFrame,
)

FIELDS = {f.name for f in dataclasses.fields(TalkFrame)}


def load(cell: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows = [json.loads(line) for line in (cell / "trace.jsonl").read_text().splitlines() if line]
    onsets = json.loads((cell / "onsets.json").read_text())
    return rows, onsets


def tuning(pairs: list[str]) -> LocalTuning:
    values = {k: None if v.lower() == "none" else float(v)
              for k, v in (p.split("=", 1) for p in pairs)}
    return dataclasses.replace(LocalTuning(), **values)


def replay(rows: list[dict[str, Any]], onsets: list[dict[str, Any]], tune: LocalTuning,
           show_frames: bool) -> None:
    machine = LocalBargeIn(tune)
    starts = [o["onset"] for o in onsets]
    found: dict[int, dict[str, float]] = {}
    false: list[float] = []
    for row in rows:
        if "mark" in row:
            machine.reset()
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
                  f"live-paused={row['paused']} {'PERSON' if person else '-'} {why}")
        verdict = machine.frame(t, frame)
        if verdict is None:
            continue
        if inside and which is not None:
            key = verdict.decision.value
            found.setdefault(which, {}).setdefault(key, since * 1000 if since else 0.0)
        elif verdict.decision is Decision.PAUSE:
            false.append(t)
    for n, onset in enumerate(onsets):
        got = found.get(n, {})
        print(f"{n + 1}. {onset['shape']:<11} {onset['voice']:<9} "
              + ", ".join(f"{k} {v:.0f} ms" for k, v in got.items()) if got
              else f"{n + 1}. {onset['shape']:<11} {onset['voice']:<9} nothing")
    print(f"pauses with nobody talking: {len(false)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cell", type=Path)
    parser.add_argument("--set", nargs="*", default=[], help="tuning overrides, NAME=VALUE")
    parser.add_argument("--frames", action="store_true")
    args = parser.parse_args()
    rows, onsets = load(args.cell)
    replay(rows, onsets, tuning(args.set), args.frames)


if __name__ == "__main__":
    main()
