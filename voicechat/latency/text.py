"""The latency figures in words: one quiet line per answer, one per barge-in, the summary.

One wording for every face (the TUI's line under an answer, ``--no-ui``, replay, export, the
proxy and watch), so a figure reads the same wherever it is seen.
"""

from __future__ import annotations

from voicechat.latency.model import BargeIn, Summary, TurnLatency

#: Parts under this are left out of the line: noise next to the ones that matter.
_SHOWN_FROM_MS = 10.0


def seconds(ms: float) -> str:
    return f"{ms / 1000.0:.2f}"


def turn_line(turn: TurnLatency) -> str:
    """``0.82 s to first audio · VAD 0.50 · model 0.21 · network+buffer 0.07``: from the end of
    the user's speech (the VAD's wait included where known) to the first sound, and its parts
    in order (those under 10 ms left out)."""
    parts = [f"{stage.name} {seconds(stage.ms)}" for stage in turn.breakdown()
             if stage.ms >= _SHOWN_FROM_MS]
    head = f"{seconds(turn.heard_ms)} s to first audio"
    if turn.end_kind == "typed":
        head += " (typed)"
    elif turn.end_kind == "commit":
        head += " (push-to-talk)"
    if turn.clock == "audio":
        head += " (on the mic's audio clock)"
    return " · ".join([head, *parts])


def barge_line(barge: BargeIn) -> str:
    """``barge-in: speaker paused 0.21 s after you spoke · cancelled 0.42 s · server 0.55 s``."""
    pieces = []
    if barge.paused_ms is not None:
        pieces.append(f"speaker paused {seconds(barge.paused_ms)} s after you spoke")
    if barge.action_ms is not None:
        pieces.append(f"stopped {seconds(barge.action_ms)} s")
    if barge.cancelled_ms is not None:
        pieces.append(f"server cancelled {seconds(barge.cancelled_ms)} s")
    return "barge-in: " + (" · ".join(pieces) if pieces else "timed from the server's VAD")


def summary_line(summary: Summary) -> str:
    """``first audio: median 0.82 s, p95 1.40 s, slowest 1.90 s over 6 turns``."""
    return (f"first audio: median {seconds(summary.p50)} s, p95 {seconds(summary.p95)} s, "
            f"slowest {seconds(summary.max)} s over {summary.turns} "
            f"turn{'s' if summary.turns != 1 else ''}")
