"""What a scenario run gives back: per turn what was heard and each verdict; per run the
outcome, the doctor's findings and where its files are. Plain values, for every report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from voicechat.scenario.checks import ObservedTurn, Verdict
from voicechat.scenario.spec import Turn

Outcome = Literal["passed", "failed", "error"]


@dataclass(frozen=True)
class TurnResult:
    turn: Turn
    seen: ObservedTurn
    verdicts: tuple[Verdict, ...]
    heard: str = ""  # the user's turn as the server transcribed it
    latency: dict[str, Any] | None = None  # the turn timeline's record (Realtime)
    problem: str | None = None  # the turn could not be run to its end (no answer in time…)
    #: False when ``heard`` is a guess: a recording heard by the local server's recogniser,
    #: whose grammar is the scenario's ``say:`` lines, so any speech comes out as some of their
    #: words (a caller's 11 s recording was "heard" as the next turn's words; issue 79)
    heard_reliable: bool = True

    @property
    def failed(self) -> bool:
        return self.problem is not None or any(v.status == "failed" for v in self.verdicts)


@dataclass
class RunResult:
    """One run of one scenario."""

    name: str
    file: str
    outcome: Outcome = "passed"
    turns: list[TurnResult] = field(default_factory=list)
    #: the turns after a failure that stopped the run (not run)
    not_run: int = 0
    error: str | None = None  # the run could not start or broke: why, with the fix
    doctor: list[str] = field(default_factory=list)  # findings, one line each
    doctor_checked: bool = False
    duration_s: float = 0.0
    files: dict[str, str] = field(default_factory=dict)  # what --keep wrote: kind -> path
    repeat: int = 1  # which run of --repeat this is

    @property
    def skipped(self) -> list[tuple[int, Verdict]]:
        return [(i, v) for i, t in enumerate(self.turns) for v in t.verdicts
                if v.status == "skipped"]

    def settle(self) -> None:
        """The outcome from what was recorded (an error stays an error)."""
        if self.outcome == "error":
            return
        doctor_failed = self.doctor_checked and bool(self.doctor)
        self.outcome = ("failed" if doctor_failed or any(t.failed for t in self.turns)
                        else "passed")
