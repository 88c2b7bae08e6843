"""Replay many kept grid cells with the detector's tuning as it is and as changed, and compare.

Run: .venv/bin/python bench/bargein_sweep.py DIR [DIR ...] [--set NAME=VALUE ...]
        [--against NAME=VALUE ...] [--copy-model NAME]

Each ``DIR`` is a grid run's ``--keep`` directory (its cells are the subdirectories holding a
``trace.jsonl``) or one cell. Every cell is replayed by ``bargein_replay.replay_cell`` twice:
with the tuning of ``--against`` (the default tuning when none is given) and with ``--set``'s.
It prints, for each, the interruptions confirmed, the median and worst onset → confirm, and the
decisions made with nobody talking (``--copy-model``: the changed side's copy ear heard by
another speech model, on cells kept with its audio); then every interruption whose confirm
moved or was lost or won, and every cell whose decisions with nobody talking changed. A tuning
change is judged here first (seconds a grid run) and only then live: a replay holds until the
live detector's first decision in each interruption and no further (see ``bargein_replay.py``).
To compare two versions of the code instead, run the same sweep from each tree.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bargein_replay import COPY_MODELS, Replayed, load, replay_cell, tuning

from voicechat.core.local_barge_in import Decision


def cells(roots: list[Path]) -> list[Path]:
    """The cells under each root (a root that is itself a cell counts once), in name order."""
    found: list[Path] = []
    for root in roots:
        if (root / "trace.jsonl").exists():
            found.append(root)
        else:
            found.extend(sorted(p.parent for p in root.glob("*/trace.jsonl")))
    return found


def confirms(result: Replayed, count: int) -> list[float | None]:
    return [result.found.get(n, {}).get(Decision.CONFIRM.value) for n in range(count)]


def live_windows(rows: list[dict[str, Any]], onsets: list[dict[str, Any]]
                 ) -> list[tuple[float | None, float | None]]:
    """For each interruption, when the live speaker was first held and when the trace's frames
    end (ms from its onset). Past the first, the frames have no echo; past the second (the
    live confirm cut the answer, and the detector stops with the playback) there are none:
    a replay cannot follow a detector that had not decided by then."""
    out: list[tuple[float | None, float | None]] = []
    for onset in onsets:
        start = onset["onset"]
        inside = [row for row in rows if "mark" not in row
                  and start - 0.1 <= row["t"] < start + 3.0]
        held = [row["t"] for row in inside if row.get("paused")]
        out.append(((held[0] - start) * 1000 if held else None,
                    (inside[-1]["t"] - start) * 1000 if inside else None))
    return out


def first_decision(result: Replayed, n: int) -> float | None:
    times = result.found.get(n, {}).values()
    return min(times) if times else None


def summary(name: str, times: list[float | None], false_pauses: int, false_confirms: int) -> str:
    got = [t for t in times if t is not None]
    middle = f"median {statistics.median(got):.0f} ms, worst {max(got):.0f} ms" if got else "-"
    return (f"{name}: confirmed {len(got)}/{len(times)} ({middle}); with nobody talking "
            f"{false_pauses} pauses, {false_confirms} confirms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dirs", type=Path, nargs="+")
    parser.add_argument("--set", nargs="*", default=[], help="the changed tuning, NAME=VALUE")
    parser.add_argument("--against", nargs="*", default=[], help="the tuning compared with")
    parser.add_argument("--copy-model", choices=sorted(COPY_MODELS),
                        help="the changed side's copy ear hears with this speech model, "
                             "recomputed from the kept audio")
    args = parser.parse_args()
    base_tune, new_tune = tuning(args.against), tuning(args.set)
    model = COPY_MODELS[args.copy_model] if args.copy_model else None
    totals: dict[str, list[float | None]] = {"as is": [], "changed": []}
    falses = {"as is": [0, 0], "changed": [0, 0]}
    moved: list[str] = []
    unjudged = 0  # the changed side's misses a replay cannot judge (live_windows)
    for cell in cells(args.dirs):
        rows, onsets = load(cell)
        base = replay_cell(cell, base_tune)
        new = replay_cell(cell, new_tune, copy_model=model)
        windows = live_windows(rows, onsets)
        for name, result in (("as is", base), ("changed", new)):
            totals[name].extend(confirms(result, len(onsets)))
            falses[name][0] += len(result.false_pauses)
            falses[name][1] += len(result.false_confirms)
        for n, (was, now) in enumerate(zip(confirms(base, len(onsets)),
                                           confirms(new, len(onsets)), strict=True)):
            if was != now:
                first, (held, end) = first_decision(new, n), windows[n]
                late = held is not None and (first is None or first > held + 1)
                cut = end is not None and end < 2900  # the live confirm ended the frames
                beyond = now is None and (late or cut)
                live = f"held at {held:.0f} ms, " if held is not None else ""
                got = (f"lost, or later than a replay can follow (live: {live}frames end "
                       f"at {end:.0f} ms)" if beyond and end is not None
                       else f"{'lost' if now is None else f'{now:.0f} ms'}")
                moved.append(f"  {cell.parent.name}/{cell.name} #{n + 1} "
                             f"{onsets[n]['shape']} {onsets[n]['voice']}: "
                             f"{'lost' if was is None else f'{was:.0f} ms'} -> {got}")
                unjudged += beyond
        if (len(base.false_pauses), len(base.false_confirms)) != (
                len(new.false_pauses), len(new.false_confirms)):
            moved.append(f"  {cell.parent.name}/{cell.name} nobody talking: pauses "
                         f"{len(base.false_pauses)} -> {len(new.false_pauses)}, confirms "
                         f"{len(base.false_confirms)} -> {len(new.false_confirms)}")
    for name in totals:
        print(summary(name, totals[name], *falses[name]))
    if unjudged:
        print(f"  ({unjudged} of the changed side's misses not judged: undecided where the "
              "live frames end, or past the live pause that took the echo out of them)")
    print(f"changed ({len(moved)}):" if moved else "nothing changed")
    print("\n".join(moved))


if __name__ == "__main__":
    main()
