"""Tell a machine that stopped keeping time from a wrong answer, in tests that run in real time.

Why: the tests that play and record through the PulseAudio daemon depend on the whole machine
running on time. The CI machines are shared virtual machines; in one CI run (main at 05762c4)
two of these tests failed while the rest of the suite passed: the echo stage test's twelve
seconds of audio took eighteen to play, with 147 jumps of the sound server's clock, and a
question played into the mic came through in fragments. The same failures came back here with
a process stalling both cores for 200-300 ms at real-time priority every 0.5-0.6 s (what a
hypervisor taking the CPUs away looks like from inside); under two ordinary busy loops the
tests pass. A test cannot tell such a machine from a broken canceller by its own figures.

So a small probe process sleeps 5 ms at a time and notes how late it wakes up. On a machine
that keeps time it is never 50 ms late (29.6 ms at worst over a whole audio test here, 4 ms
beside two busy loops); while the CPUs are taken away, every stall shows. :func:`in_real_time`
runs a test's body under the probe, and:

* the body passes: the test passes;
* the body fails (a failed check, or a wait that timed out) and the probe saw no stall: the
  test fails at once with that failure (a wrong answer on a machine that kept time is ours,
  and is never retried);
* the body fails and the probe saw the machine stall: the body runs again after ``reset``
  (a fresh sound server), up to ``tries`` times; if every try stalled, the test fails and says
  that the machine did not keep real time, with each try's stalls and failure.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

#: What a failed try raises: a failed check, or a wait for an event that never came in time.
JUDGED = (AssertionError, TimeoutError)

#: A wake-up this late means the machine stopped running us: more than the speaker's whole
#: buffer (20-40 ms at low latency), so the sound server underruns and its clock jumps.
STALL_MS = 50.0

PROBE = r"""
import json, signal, sys, time
late = []
def report(*_):
    over = [x for x in late if x > STALL]
    print(json.dumps({"wakeups": len(late), "stalls": len(over),
                      "worst_ms": round(max(late, default=0.0) * 1000, 1),
                      "stalled_ms": round(sum(over) * 1000, 1)}), flush=True)
    raise SystemExit(0)
STALL = float(sys.argv[1]) / 1000
signal.signal(signal.SIGTERM, report)
print("ready", flush=True)
while True:
    t = time.monotonic()
    time.sleep(0.005)
    late.append(time.monotonic() - t - 0.005)
"""


@dataclass(frozen=True)
class Stalls:
    """What the probe saw: its wake-ups, how many came ``STALL_MS`` late or more, the worst."""

    wakeups: int
    stalls: int
    worst_ms: float
    stalled_ms: float

    @property
    def kept_time(self) -> bool:
        return self.stalls == 0

    def __str__(self) -> str:
        return (f"{self.stalls} stalls of {STALL_MS:.0f} ms or more in {self.wakeups} wake-ups "
                f"({self.stalled_ms:.0f} ms in all, worst {self.worst_ms:.0f} ms)")


class StallProbe:
    """The probe process, for the span of a ``with`` block; ``stalls`` once it has ended."""

    def __init__(self) -> None:
        self.stalls: Stalls | None = None
        self._proc: subprocess.Popen[str] | None = None

    @property
    def pid(self) -> int:
        assert self._proc is not None, "the probe has not started"
        return self._proc.pid

    def __enter__(self) -> StallProbe:
        self._proc = subprocess.Popen([sys.executable, "-c", PROBE, str(STALL_MS)],
                                      stdout=subprocess.PIPE, text=True)
        assert self._proc.stdout is not None
        assert self._proc.stdout.readline().strip() == "ready", "the stall probe did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        proc = self._proc
        assert proc is not None
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        self.stalls = Stalls(**json.loads(out))


def _first_line(failure: Exception) -> str:
    text = str(failure).strip() or type(failure).__name__
    return text.splitlines()[0][:300]


def _verdict(tries: int, seen: list[tuple[Stalls, Exception]]) -> AssertionError:
    lines = [f"try {n}: {stalls}; it failed with: {_first_line(failure)}"
             for n, (stalls, failure) in enumerate(seen, start=1)]
    return AssertionError(
        f"the machine did not keep real time in any of {tries} tries, so this real-time audio "
        "test could not be judged (run it on a machine that is not starved for CPU):\n"
        + "\n".join(lines))


def _after_failure(
    n: int, tries: int, probe: StallProbe, failure: Exception,
    seen: list[tuple[Stalls, Exception]],
) -> None:
    """Raise ``failure`` if the machine kept time, else note the try; give up after the last."""
    stalls = probe.stalls
    assert stalls is not None
    if stalls.kept_time:
        raise failure
    seen.append((stalls, failure))
    if n == tries:
        raise _verdict(tries, seen) from failure
    print(f"\ntry {n} of {tries} failed while the machine stalled ({stalls}): trying again")


def in_real_time(
    attempt: Callable[[int], T], *, reset: Callable[[], None], tries: int = 3,
    probe: Callable[[], StallProbe] = StallProbe,
) -> T:
    """``attempt(n)`` for n = 1, 2, ... until it passes or fails on a machine that kept time.

    For a plain (not async) test: the body runs inside :func:`in_real_time_async` on a loop of
    its own, which it simply blocks, so both forms follow the one rule."""

    async def body(n: int) -> T:
        return attempt(n)

    return asyncio.run(in_real_time_async(body, reset=reset, tries=tries, probe=probe))


async def in_real_time_async(
    attempt: Callable[[int], Awaitable[T]], *, reset: Callable[[], None], tries: int = 3,
    probe: Callable[[], StallProbe] = StallProbe,
) -> T:
    """``await attempt(n)`` for n = 1, 2, ... until it passes or fails on a machine that kept
    time (the rule in the module doc)."""
    seen: list[tuple[Stalls, Exception]] = []
    for n in range(1, tries + 1):
        if n > 1:
            reset()
        watch = probe()
        try:
            with watch:
                return await attempt(n)
        except JUDGED as failure:
            _after_failure(n, tries, watch, failure, seen)
    raise AssertionError("unreachable")
