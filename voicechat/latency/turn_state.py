"""The turn timeline's state: one user turn, its tool calls, and one interruption.

Plain slotted classes, not dataclasses: a dataclass is generated code, ~5 ms each to import on
this project's VM, paid by every ``voicechat doctor`` run. Mutable, and owned by one
:class:`~voicechat.latency.timeline.TurnTimeline`; :mod:`voicechat.latency.report` reads a
finished turn into its figures.
"""

from __future__ import annotations

from typing import Any

from voicechat.latency.model import Clock, EndKind


class ToolCall:
    """A tool call inside a turn: from its item's completion to its output being sent."""

    __slots__ = ("end", "name", "start")

    def __init__(self, name: str, start: float) -> None:
        self.name = name
        self.start = start
        self.end: float | None = None

    def __repr__(self) -> str:
        return f"ToolCall({self.name!r}, {self.start!r}, end={self.end!r})"


class TurnState:
    """One user turn from its end until its answer is reported."""

    __slots__ = ("audio_response", "behind", "calling", "clock", "committed", "created",
                 "done", "end", "first_audio", "first_text", "items", "kind", "played",
                 "prior_stop", "queued_locally", "responses", "tools", "unanswered")

    def __init__(self, end: float, kind: EndKind, clock: Clock, *, behind: bool = False
                 ) -> None:
        self.end = end
        self.kind = kind
        self.clock = clock
        self.committed: float | None = None
        self.created: float | None = None
        self.responses: set[str] = set()
        self.first_text: float | None = None
        self.first_audio: float | None = None
        self.audio_response: str | None = None
        self.done: float | None = None
        self.played: float | None = None
        self.tools: dict[str, ToolCall] = {}
        #: The first assistant message item of each response (the answer's transcript entry).
        self.items: dict[str, str] = {}
        #: An earlier answer was still sounding (or still to sound) when this turn ended, and
        #: when the last one before this turn's stopped: the server sends one answer's audio
        #: after the other (WebRTC), so this one waited for all of them.
        self.behind = behind
        self.calling: set[str] = set()  # responses that called a tool
        self.prior_stop: float | None = None
        #: The first audio came while the local speaker still played an earlier answer: it
        #: plays after that, with no ``local.playback.started`` of its own to time it by.
        self.queued_locally = False
        #: Its response ended with no audio and none to come (cancelled, failed, or an
        #: answer in text only): a later turn supersedes it rather than waiting for it.
        self.unanswered = False

    def __repr__(self) -> str:  # (the doctor's tests compare states fed two ways)
        return "TurnState(" + ", ".join(f"{name}={getattr(self, name)!r}"
                                    for name in self.__slots__) + ")"

    def owns(self, response_id: Any) -> bool:
        """Whether an event of ``response_id`` belongs to this turn. A log that shows no
        ``response.created`` for it (cut, or filtered) cannot say: the event counts, as does
        one without a response id."""
        if type(response_id) is str and response_id in self.responses:
            return True  # (most calls: the answer's own events)
        if isinstance(response_id, str) and response_id and self.responses:
            return response_id in self.responses
        return True


class Interruption:
    """An interruption of an answer, from its onset until its barge-in is reported."""

    __slots__ = ("action", "onset", "onset_from", "paused", "response_id", "wait_for_done")

    def __init__(self, response_id: str | None, onset: float, onset_from: str) -> None:
        self.response_id = response_id
        self.onset = onset
        self.onset_from = onset_from
        self.paused: float | None = None
        self.action: float | None = None
        self.wait_for_done = False

    def __repr__(self) -> str:
        return "Interruption(" + ", ".join(f"{name}={getattr(self, name)!r}"
                                            for name in self.__slots__) + ")"
