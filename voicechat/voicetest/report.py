"""How a test run reads: a line per scenario as it finishes, then each failure in full, then
the tally (as pytest reads), and the same facts as JSON (``--json``).

A failure says what a person debugging a voice agent asks first: which expectation, what the
server heard of the user, what the assistant said, which tools it called with which arguments,
how long the answer took to start and where the time went, the doctor's findings for that run,
and where its files are. Everything from the wire is shown with control characters escaped.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from voicechat.latency.model import percentile
from voicechat.protocol.text import printable
from voicechat.scenario.spec import Turn
from voicechat.server.voice.script import SCRIPT_END_REPLY
from voicechat.voicetest.results import RunResult, TurnResult

QUOTED = 300


def progress_line(result: RunResult, *, repeats: int = 1, done: int = 0,
                  total: int = 0) -> str:
    """``[3/12] file::name PASSED (4.2 s)`` (how far the run is, when it has several); with
    ``--repeat``, which run of the scenario it was."""
    run = f" [run {result.repeat}/{repeats}]" if repeats > 1 else ""
    counter = f"[{done}/{total}] " if total > 1 else ""
    skipped = f", {len(result.skipped)} check(s) skipped" if result.skipped else ""
    return (f"{counter}{result.file}::{printable(result.name)}{run} {result.outcome.upper()} "
            f"({result.duration_s:.1f} s{skipped})")


def turn_figures(result: RunResult) -> list[str]:
    """``  turn 2 (say: Stop.): first audio 412 ms, stopped 230 ms after the speech began,
    passed``: one line a turn, for ``-v`` (a passing run showed no figure at all: issue
    79)."""
    lines = []
    for index, turn in enumerate(result.turns):
        seen = turn.seen
        figures = [f"first audio {seen.first_audio_ms:.0f} ms"
                   if seen.first_audio_ms is not None else "no first audio"]
        if seen.interrupted:
            figures.append(f"stopped {seen.stop_ms:.0f} ms after the speech began"
                           if seen.stop_ms is not None else "stopped")
        status = "FAILED" if turn.failed else "passed"
        lines.append(f"  turn {index + 1} ({printable(turn.turn.label)}): "
                     f"{', '.join(figures)}, {status}")
    return lines


def turn_progress(name: str, index: int, turn: Turn, first_audio_ms: float | None) -> str:
    """``  greeting · turn 1 (say: Hello.) answered, first audio 412 ms``: ``-v``'s line as each
    turn is answered, before the run's verdicts (the figure is the virtual speaker's, from the
    end of the turn's input; the verdicts use the client's latency record where there is one)."""
    heard = (f"first audio {first_audio_ms:.0f} ms" if first_audio_ms is not None
             else "no audio yet")
    return f"  {printable(name)} · turn {index + 1} ({printable(turn.label)}) answered, {heard}"


#: said under a failure whose replies ran past the end of the local server's script: each
#: response takes the script's next line, so a spoken turn the server's VAD heard as two (a
#: pause inside it) takes two, and later turns get the end of the script (issue 79)
SCRIPT_RAN_OUT = (
    "note: the local server's script ran out. Each response takes its next line, and a spoken "
    "turn with a pause in it can be heard as two turns, each answered: give the pause's turn a "
    "longer silence (session: {turn_detection: {type: server_vad, silence_duration_ms: 800}}), "
    "say it without the pause, or add a line to the script for each part")


def failure_text(result: RunResult) -> str:
    """Everything about one failed or broken run."""
    lines = [f"--- {printable(result.name)} ({result.file})"
             + (f" run {result.repeat}" if result.repeat > 1 else "") + " ---"]
    if result.error:
        lines.append(f"error: {printable(result.error)}")
    for index, turn in enumerate(result.turns):
        if turn.failed:
            lines.extend(_turn_lines(index, turn))
    if any(SCRIPT_END_REPLY in turn.seen.reply for turn in result.turns):
        lines.append(SCRIPT_RAN_OUT)
    if result.not_run:
        lines.append(f"{result.not_run} later turn(s) not run")
    if result.doctor_checked and result.doctor:
        lines.append("doctor: clean expected; the doctor found:")
        lines.extend(f"  {printable(finding)}" for finding in result.doctor)
    elif result.doctor:
        lines.append("the doctor, on this run's log:")
        lines.extend(f"  {printable(finding)}" for finding in result.doctor)
    for kind, path in result.files.items():
        lines.append(f"{kind}: {path}")
    return "\n".join(lines)


def _turn_lines(index: int, turn: TurnResult) -> list[str]:
    lines = [f"turn {index + 1} (line {turn.turn.line}, {printable(turn.turn.label)}):"]
    if turn.problem:
        lines.append(f"  FAILED: {printable(turn.problem)}")
    for verdict in turn.verdicts:
        if verdict.status == "failed":
            lines.append(f"  FAILED {verdict.check}: {printable(verdict.reason)}")
    lines.extend(observed_lines(turn))
    return lines


def observed_lines(turn: TurnResult) -> list[str]:
    """What was heard, said, called and timed in a turn."""
    seen = turn.seen
    out = []
    if turn.turn.kind != "type":
        guess = "" if turn.heard_reliable else (
            " (a guess: the local server hears only the scenario's say: lines, and this turn is "
            "a recording)")
        out.append(f"  heard: {_quote(turn.heard) if turn.heard else '(no transcript)'}{guess}")
    out.append(f"  reply: {_quote(seen.reply) if seen.reply else '(nothing)'}")
    for text in seen.superseded:
        out.append(f"  an answer to part of the turn (the caller went on): {_quote(text)}")
    if seen.calls:
        calls = ", ".join(f"{c.name}({c.arguments})" for c in seen.calls)
        out.append(f"  tool calls: {printable(calls)}")
    if seen.interrupted:
        stop = f", audio stopped {seen.stop_ms:.0f} ms after the onset" \
            if seen.stop_ms is not None else ""
        out.append(f"  interrupted: the answer was cut{stop}")
    if seen.first_audio_ms is not None:
        out.append(f"  first audio: {seen.first_audio_ms:.0f} ms{_stages(turn.latency)}")
    return out


def _stages(latency: dict[str, Any] | None) -> str:
    if not latency or not isinstance(latency.get("stages"), dict):
        return ""
    parts = [f"{name} {ms:.0f}" for name, ms in latency["stages"].items()
             if isinstance(ms, int | float)]
    return f" ({' · '.join(parts)} ms)" if parts else ""


def _quote(text: str) -> str:
    text = text if len(text) <= QUOTED else text[: QUOTED - 3] + "..."
    return printable(json.dumps(text, ensure_ascii=False))


def tally(results: Sequence[RunResult], seconds: float) -> str:
    counts = {outcome: sum(1 for r in results if r.outcome == outcome)
              for outcome in ("passed", "failed", "error")}
    skipped = sum(len(r.skipped) for r in results)
    parts = [f"{n} {name}" for name, n in counts.items() if n]
    if skipped:
        parts.append(f"{skipped} check(s) skipped")
    return f"{', '.join(parts) or 'nothing run'} in {seconds:.1f} s"


def repeat_lines(results: Sequence[RunResult]) -> list[str]:
    """``--repeat``: per scenario its pass count and each turn's first-audio percentiles."""
    by_scenario: dict[tuple[str, str], list[RunResult]] = {}
    for result in results:
        by_scenario.setdefault((result.file, result.name), []).append(result)
    lines = []
    for (file, name), runs in by_scenario.items():
        passed = sum(1 for r in runs if r.outcome == "passed")
        lines.append(f"{file}::{printable(name)}: passed {passed} of {len(runs)}")
        for index, figures in enumerate(_first_audio_by_turn(runs)):
            if figures:
                lines.append(f"  turn {index + 1}: first audio p50 "
                             f"{percentile(figures, 50):.0f} ms, p95 "
                             f"{percentile(figures, 95):.0f} ms, max {figures[-1]:.0f} ms "
                             f"({len(figures)} run(s))")
    return lines


def _first_audio_by_turn(runs: Sequence[RunResult]) -> list[list[float]]:
    width = max((len(r.turns) for r in runs), default=0)
    out: list[list[float]] = [[] for _ in range(width)]
    for run in runs:
        for index, turn in enumerate(run.turns):
            if turn.seen.first_audio_ms is not None:
                out[index].append(turn.seen.first_audio_ms)
    return [sorted(figures) for figures in out]


def to_json(results: Sequence[RunResult], seconds: float) -> dict[str, Any]:
    """``--json``'s document."""
    return {
        "summary": {outcome: sum(1 for r in results if r.outcome == outcome)
                    for outcome in ("passed", "failed", "error")} | {"seconds": round(seconds, 3)},
        "runs": [_run_json(r) for r in results],
    }


def _ms(value: float | None) -> float | None:
    """A figure in ms to a tenth, as every family reports it (one family's came rounded and
    another's not, and ``stop_ms`` never: issue 79)."""
    return None if value is None else round(float(value), 1)


def _run_json(result: RunResult) -> dict[str, Any]:
    return {
        "name": result.name, "file": result.file, "run": result.repeat,
        "outcome": result.outcome, "error": result.error,
        "seconds": round(result.duration_s, 3), "not_run": result.not_run,
        "doctor": result.doctor if result.doctor_checked else None,
        "files": result.files,
        "turns": [{
            "line": t.turn.line, "kind": t.turn.kind, "content": t.turn.content,
            "heard": t.heard, "heard_reliable": t.heard_reliable, "reply": t.seen.reply,
            "superseded": list(t.seen.superseded),
            "tool_calls": [{"name": c.name, "arguments": c.arguments} for c in t.seen.calls],
            "first_audio_ms": _ms(t.seen.first_audio_ms), "interrupted": t.seen.interrupted,
            "stop_ms": _ms(t.seen.stop_ms), "problem": t.problem,
            "latency_stages": (t.latency or {}).get("stages"),
            "checks": [{"check": v.check, "status": v.status, "reason": v.reason}
                       for v in t.verdicts],
        } for t in result.turns],
    }
