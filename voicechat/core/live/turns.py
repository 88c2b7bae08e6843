"""The two transcript streams assembled into turns, in an order that never changes.

GPT-Live sends ``session.input_transcript.delta`` and ``session.output_transcript.delta``:
fragments with ``start_ms``/``end_ms`` on the session's timeline, no item ids, no "done", no
turn boundary (SDK: "these events do not define complete turns"). Both sides may talk at once.
The rules here (thresholds from :class:`~voicechat.core.live.policy.LivePolicy`):

* each speaker has at most one open turn; a fragment joins it unless it starts ``turn_gap_ms``
  or more after the turn's end on the timeline;
* a speaker's new turn closes the other speaker's open turn when it starts at least
  ``turn_separation_ms`` after that turn's end (a reply); an overlap (a backchannel, a barge-in
  still being transcribed) leaves it open;
* a fragment that arrives late (it starts before the turn that closed its speaker's last turn)
  joins that last turn: ASR lag must not make the user's words read after the answer;
* a turn also closes when no fragment came for ``turn_gap_ms`` of local time (a deadline), and
  when the session ends.

New turns are only ever appended: a turn's position in :attr:`Turns.turns` never changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Speaker = Literal["user", "assistant"]
CloseReason = Literal["gap", "speaker_change", "inactivity", "interrupted", "session_end",
                      "typed"]
MAX_TURNS = 1000


@dataclass
class Fragment:
    text: str
    start_ms: int
    end_ms: int


@dataclass
class Turn:
    """One speaker's words between two boundaries the core decided."""

    number: int
    speaker: Speaker
    start_ms: int
    end_ms: int
    fragments: list[Fragment] = field(default_factory=list)
    closed: CloseReason | None = None
    interrupted: bool = False
    last_arrival: float = 0.0
    closed_by: int | None = None  # the number of the turn whose start closed this one

    @property
    def text(self) -> str:
        return "".join(fragment.text for fragment in self.fragments)


def _other(speaker: Speaker) -> Speaker:
    return "assistant" if speaker == "user" else "user"


class Turns:
    """The transcript as turns; see the module docstring for the rules."""

    def __init__(self, gap_ms: int, separation_ms: int, limit: int = MAX_TURNS) -> None:
        self._gap_ms = gap_ms
        self._separation_ms = separation_ms
        self._limit = limit
        self._next = 0
        self.turns: list[Turn] = []
        self._open: dict[Speaker, Turn] = {}
        self._last: dict[Speaker, Turn] = {}
        self.version = 0  # bumped on every change, so a view can be cached

    def open_turn(self, speaker: Speaker) -> Turn | None:
        return self._open.get(speaker)

    def add(self, speaker: Speaker, text: str, start_ms: int, end_ms: int, now: float) -> Turn:
        """Place one fragment; the turn it joined or began."""
        self.version += 1
        turn = self._open.get(speaker)
        if turn is not None and start_ms - turn.end_ms >= self._gap_ms:
            self._close(turn, "gap")
            turn = None
        if turn is None:
            turn = self._late_target(speaker, start_ms) or self._begin(speaker, start_ms)
        turn.fragments.append(Fragment(text, start_ms, end_ms))
        turn.start_ms = min(turn.start_ms, start_ms)
        turn.end_ms = max(turn.end_ms, end_ms)
        turn.last_arrival = now
        return turn

    def typed(self, text: str, at_ms: int, now: float) -> Turn:
        """A line the user typed: a user turn of its own, whole and closed at once, placed at
        ``at_ms`` (the latest point of the timeline known, so the answer reads after it)."""
        open_user = self._open.get("user")
        if open_user is not None:
            self._close(open_user, "gap")
        turn = self._begin("user", at_ms)
        turn.fragments.append(Fragment(text, at_ms, at_ms))
        turn.last_arrival = now
        self._close(turn, "typed")
        return turn

    def latest_ms(self) -> int:
        """The furthest point of the session's timeline any fragment reached (0 before any)."""
        return max((turn.end_ms for turn in self.turns), default=0)

    def _late_target(self, speaker: Speaker, start_ms: int) -> Turn | None:
        last = self._last.get(speaker)
        if last is None or last.closed != "speaker_change" or last.closed_by is None:
            return None
        closer = next((t for t in self.turns if t.number == last.closed_by), None)
        if closer is None or start_ms >= closer.start_ms:
            return None
        return last

    def _begin(self, speaker: Speaker, start_ms: int) -> Turn:
        turn = Turn(self._next, speaker, start_ms, start_ms)
        self._next += 1
        other = self._open.get(_other(speaker))
        if other is not None and start_ms >= other.end_ms + self._separation_ms:
            self._close(other, "speaker_change", closed_by=turn.number)
        self.turns.append(turn)
        if len(self.turns) > self._limit:
            dropped = self.turns.pop(0)
            if self._open.get(dropped.speaker) is dropped:
                del self._open[dropped.speaker]
        self._open[speaker] = turn
        self._last[speaker] = turn
        return turn

    def _close(self, turn: Turn, reason: CloseReason, closed_by: int | None = None) -> None:
        turn.closed = reason
        turn.closed_by = closed_by
        if self._open.get(turn.speaker) is turn:
            del self._open[turn.speaker]
        self.version += 1

    def interrupt(self) -> Turn | None:
        """The assistant stopped because the user talked over it: close and mark its turn."""
        turn = self._open.get("assistant") or self._last.get("assistant")
        if turn is None or turn.interrupted:
            return None
        turn.interrupted = True
        if turn.closed is None:
            self._close(turn, "interrupted")
        self.version += 1
        return turn

    def deadline(self) -> float | None:
        """When the next open turn closes for inactivity (local seconds), if any is open."""
        ends = [turn.last_arrival + self._gap_ms / 1000.0 for turn in self._open.values()]
        return min(ends) if ends else None

    def expire(self, now: float) -> None:
        for turn in list(self._open.values()):
            if now >= turn.last_arrival + self._gap_ms / 1000.0:
                self._close(turn, "inactivity")

    def close_all(self) -> None:
        for turn in list(self._open.values()):
            self._close(turn, "session_end")

    def user_words_since_assistant(self) -> str:
        """The user's words since the assistant last spoke (a client delegation's request)."""
        words: list[str] = []
        for turn in reversed(self.turns):
            if turn.speaker == "assistant" and turn.closed != "interrupted" and words:
                break
            if turn.speaker == "user":
                words.append(turn.text)
        return "".join(reversed(words)).strip()
