"""What the line face of both full-duplex families shares (GPT-Live: :mod:`voicechat.lines.live`;
Gemini Live: :mod:`voicechat.lines.gemini`).

Neither family has ``response.done``, and in both the mic goes on streaming silence after a
``--mic FILE`` ends, so a run ends the same way: when the family's session ended, when
``--turns N`` of its answer turns are done once it is idle (nothing audible at our speaker,
nothing running), or when the mic file ended and nothing was said or played for
:data:`QUIET_AFTER_MIC_END_S`. :class:`DuplexRunEnd` is that watch; a family says what ended
its session, what counts as a turn and as activity, and what idle means. Neither has a
response's usage to say in the event flow: its usage is the session's, said at the end
(:class:`DuplexLines`).
"""

from __future__ import annotations

import asyncio
import time
from abc import abstractmethod
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from voicechat.eventlog.record import LogRecord
from voicechat.lines.family import LineRuntime
from voicechat.lines.frame import Ending, EndWatch

QUIET_AFTER_MIC_END_S = 4.0
CHECK_EVERY_S = 0.1


class DuplexLineRuntime(LineRuntime, Protocol):
    """What the watch reads of a full-duplex runtime besides the face's own."""

    @property
    def speaking(self) -> bool:
        """The model is audible at our speaker."""

    @property
    def mic_ended(self) -> bool:
        """A mic source played out."""


RuntimeT = TypeVar("RuntimeT", bound=DuplexLineRuntime)


class DuplexRunEnd(EndWatch, Generic[RuntimeT]):
    """Decides when a headless full-duplex run is finished (see the module)."""

    #: how the ending's notices name a turn ``--turns`` counts: ``model``, ``assistant``
    counted: ClassVar[str]

    def __init__(self, runtime: RuntimeT, turns: int | None) -> None:
        super().__init__(runtime, turns)
        self._runtime = runtime
        self._turns = turns
        self._last_activity = time.monotonic()
        runtime.subscribe(self._seen)

    @abstractmethod
    def _seen(self, record: LogRecord) -> None:
        """Each record: activity (something said) restarts the quiet after a mic file."""

    @abstractmethod
    def _session_ending(self) -> Ending | None:
        """The ending if the session itself is over (closed, failed), else ``None``."""

    def check(self) -> Ending | None:
        ending = self._session_ending()
        if ending is not None:
            return ending
        if not self.idle():
            self._last_activity = time.monotonic()
            return None
        runtime, turns, done = self._runtime, self._turns, self.turns_done()
        if turns is not None and done >= turns:
            return Ending("info", f"{done} {self.counted} turn(s) completed")
        if (runtime.mic_ended and runtime.mic is not None and runtime.mic.kind == "file"
                and time.monotonic() - self._last_activity > QUIET_AFTER_MIC_END_S):
            if turns is not None and done < turns:
                return Ending("error", f"the mic file ended after {done} of {turns} "
                                       f"{self.counted} turn(s)", 1)
            return Ending("info", "end of the mic file and of the reply")
        return None

    async def _pause(self) -> None:
        await asyncio.sleep(CHECK_EVERY_S)


class DuplexLines(Generic[RuntimeT]):
    """The part of a full-duplex family's :class:`~voicechat.lines.family.LineFamily` that
    does not depend on the family; it makes ``runtime`` and the rest."""

    runtime: RuntimeT
    start_fix = False  # the TUI's problem advice is worded for Realtime's endpoints and keys

    def usage_after(self, response_id: Any) -> str | None:
        return None  # no responses: usage is the session's, said at the end
