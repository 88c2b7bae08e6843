"""The session's side of the local barge-in detector: pause, resume, confirm, and the records.

:mod:`voicechat.core.local_barge_in` judges frames; this part turns its verdicts into actions
(``PausePlayback``, ``ResumePlayback``) and ``local.bargein.*`` records with their evidence, and
takes the pause back whenever the conditions it was made under go away (the assistant stopped,
barge-in switched off, echo found leaking). A confirmation is returned to the session, which
interrupts the assistant the usual way (flush, cancel, clear, truncate to what was played: the
pause did not advance playback, so the truncate is what the user heard).
"""

from __future__ import annotations

from typing import Any

from voicechat.core.actions import LocalRecord, PausePlayback, ResumePlayback
from voicechat.core.effects import Effects
from voicechat.core.local_barge_in import (
    Decision,
    LocalBargeIn,
    LocalPhase,
    LocalTuning,
    LocalVerdict,
    TalkFrame,
)


class SpeakerPause:
    """The local detector in a session (``on`` once the runtime runs one)."""

    def __init__(self, effects: Effects, tuning: LocalTuning | None = None) -> None:
        self._out = effects
        self._detector = LocalBargeIn(tuning)
        self.on = False

    @property
    def interrupting(self) -> bool:
        """The speaker is paused because the user seems to be talking ("you're interrupting")."""
        return self._detector.phase is LocalPhase.PAUSED

    def set_on(self, on: bool) -> None:
        if not on:
            self.take_back("the local detector stopped")
        self.on = on

    def set_strict(self, strict: bool) -> None:
        """Echo leaks: confirm only on speech heard with the speaker paused."""
        self._detector.strict = strict

    def frame(self, now: float, frame: TalkFrame, *, live: bool) -> bool:
        """One measured mic frame; ``live``: the assistant's audio plays and a barge-in may
        interrupt it. Returns ``True`` when the barge-in is confirmed."""
        if not self.on:
            return False
        if not live:
            self.take_back("the assistant is no longer interruptible")
            return False
        verdict = self._detector.frame(now, frame)
        if verdict is None:
            return False
        if verdict.decision is Decision.PAUSE:
            self._out.act(PausePlayback())
        elif verdict.decision is Decision.RESUME:
            self._out.act(ResumePlayback())
        self._record(verdict)
        return verdict.decision is Decision.CONFIRM

    def server_heard(self, now: float, *, live: bool) -> None:
        """The server's ``speech_started`` while the assistant plays: pause for the frames to
        judge, if the detector has not already (see :meth:`LocalBargeIn.server_heard`)."""
        if not self.on or not live:
            return
        verdict = self._detector.server_heard(now)
        if verdict is not None:
            self._out.act(PausePlayback())
            self._record(verdict)

    def take_back(self, reason: str) -> None:
        """Undo a pause whose grounds went away (the audio plays on), and forget the episode."""
        if self.interrupting:
            self._out.act(ResumePlayback())
            self._record(LocalVerdict(Decision.RESUME, {"reason": reason}))
        self._detector.reset()

    def ended(self) -> None:
        """The assistant was cut off or finished: a flush has dropped the paused audio."""
        self._detector.stopped()

    def _record(self, verdict: LocalVerdict) -> None:
        event: dict[str, Any] = {"type": f"local.bargein.{verdict.decision.value}"}
        event.update(verdict.evidence)
        self._out.act(LocalRecord(event))
