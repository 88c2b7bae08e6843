"""GPT-Live transcript fragments grouped into turns for the replay's transcript pane.

GPT-Live sends timed fragments for each side and no turn boundary; the grouping is the GPT-Live
core's own (:class:`voicechat.core.live.turns.Turns`), driven by the log's times, so a replay
shows the turns the client showed. Finished turns come out strictly in the order they began.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voicechat.core.live.policy import LivePolicy
from voicechat.core.live.turns import Turns

_SPEAKERS = {"session.input_transcript.delta": "user",
             "session.output_transcript.delta": "assistant"}
LABELS = {"user": "You", "assistant": "Assistant"}


class LiveTurns:
    """Feed it every replayed event; it hands back finished turns as ``(label, text)``."""

    def __init__(self) -> None:
        policy = LivePolicy()
        self._turns = Turns(policy.turn_gap_ms, policy.turn_separation_ms)
        self._written = 0

    def apply(self, event: Mapping[str, Any], t: float) -> list[tuple[str, str]]:
        kind = event.get("type")
        speaker = _SPEAKERS.get(str(kind))
        if speaker is not None:
            delta, start, end = event.get("delta"), event.get("start_ms"), event.get("end_ms")
            if isinstance(delta, str) and _ms(start) and _ms(end) and end >= start:
                self._turns.add("user" if speaker == "user" else "assistant", delta,
                                int(start), int(end), t)
        elif kind == "session.closed":
            self._turns.close_all()
        self._turns.expire(t)
        return self._finished()

    def open_text(self) -> str:
        """The turns still open, for the pane's live line."""
        return " | ".join(f"{LABELS[turn.speaker]}: {turn.text.strip()}"
                          for turn in self._turns.turns[self._written:] if turn.text.strip())

    def _finished(self) -> list[tuple[str, str]]:
        done: list[tuple[str, str]] = []
        turns = self._turns.turns
        while self._written < len(turns) and turns[self._written].closed is not None:
            turn = turns[self._written]
            mark = " [interrupted]" if turn.interrupted else ""
            done.append((LABELS[turn.speaker], turn.text.strip() + mark))
            self._written += 1
        return done


def _ms(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
