"""A fake clock that drives a sans-IO session core the way the runtime does.

Both cores (the Realtime ``Session`` and the GPT-Live ``LiveSession``) take time as an argument
and say when they next need to be woken (``next_deadline``). Their test harnesses kept the same
clock, ``advance`` loop and action log twice; one copy here means a change to how tests let time
pass (say, firing deadlines that fall exactly on ``end``) cannot drift between the two cores.

The base is generic over the core's action and input types, so each harness keeps its own
precise types (``list[Action]`` versus ``list[LiveAction]``) and its own event builders.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

ActionT = TypeVar("ActionT")
InputT = TypeVar("InputT")
InputT_contra = TypeVar("InputT_contra", contravariant=True)


class ClockedCore(Protocol[ActionT, InputT_contra]):
    """What the clock needs of a core: start, inputs, and its timer."""

    def start(self, now: float) -> list[ActionT]: ...

    def handle(self, inp: InputT_contra, now: float) -> list[ActionT]: ...

    def next_deadline(self) -> float | None: ...

    def handle_timer(self, now: float) -> list[ActionT]: ...


class ClockedHarness(Generic[ActionT, InputT]):
    """A core, the test's clock (``now``, starting at 0), and every action the core returned.

    Subclasses add the builders for their core's server events; each should pass what it
    returns through ``_keep`` so ``actions`` stays the whole conversation's log.
    """

    def __init__(self, session: ClockedCore[ActionT, InputT]) -> None:
        self.session = session
        self.now = 0.0
        self.actions: list[ActionT] = []

    def start(self) -> list[ActionT]:
        return self._keep(self.session.start(self.now))

    def do(self, inp: InputT) -> list[ActionT]:
        return self._keep(self.session.handle(inp, self.now))

    def advance(self, seconds: float) -> list[ActionT]:
        """Let ``seconds`` pass, firing every deadline that falls inside.

        The runtime's loop does the same: it asks ``next_deadline()`` and calls
        ``handle_timer`` at that time, repeatedly, so one ``advance`` can fire a chain of
        deadlines that each set the next.
        """
        end = self.now + seconds
        out: list[ActionT] = []
        while True:
            deadline = self.session.next_deadline()
            if deadline is None or deadline > end:
                break
            self.now = max(self.now, deadline)
            out += self.session.handle_timer(self.now)
        self.now = end
        return self._keep(out)

    def _keep(self, actions: list[ActionT]) -> list[ActionT]:
        self.actions += actions
        return actions
