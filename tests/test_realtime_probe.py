"""The stall probe and the retry rule of tests/realtime.py, which the real-time audio tests use.

The rule decides whether a failed audio test is retried, so it is tested like product code: a
failure on a machine that kept time is never retried, a stalled try is, and a machine that
stalled every time fails the test with that reason. The probe itself is shown a real stall
(SIGSTOP for 150 ms, what a hypervisor taking the CPU away looks like from inside).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from tests.realtime import STALL_MS, StallProbe, Stalls, in_real_time, in_real_time_async


class FixedProbe(StallProbe):
    """A probe that reports what the test says (the rule's tests must not depend on timing)."""

    def __init__(self, reports: list[Stalls]) -> None:
        super().__init__()
        self._reports = reports

    def __enter__(self) -> FixedProbe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stalls = self._reports.pop(0)


KEPT = Stalls(wakeups=100, stalls=0, worst_ms=3.0, stalled_ms=0.0)
STALLED = Stalls(wakeups=80, stalls=4, worst_ms=210.0, stalled_ms=700.0)


def test_the_probe_sees_the_machine_stop_running_it() -> None:
    probe = StallProbe()
    with probe:
        time.sleep(0.1)
        os.kill(probe.pid, signal.SIGSTOP)
        time.sleep(0.15)
        os.kill(probe.pid, signal.SIGCONT)
        time.sleep(0.1)
    stalls = probe.stalls
    assert stalls is not None
    assert not stalls.kept_time
    assert stalls.stalls >= 1 and stalls.worst_ms >= 140, stalls
    assert stalls.wakeups > 10, stalls
    assert f"worst {stalls.worst_ms:.0f} ms" in str(stalls)
    assert STALL_MS <= 100  # a stall must be shorter than the 150 ms the test makes


def test_a_failure_on_a_machine_that_kept_time_is_not_retried() -> None:
    tries: list[int] = []
    resets: list[int] = []
    reports = [KEPT, KEPT, KEPT]

    def attempt(n: int) -> None:
        tries.append(n)
        raise AssertionError("the canceller removed 3 dB")

    with pytest.raises(AssertionError, match="removed 3 dB"):
        in_real_time(attempt, reset=lambda: resets.append(1), probe=lambda: FixedProbe(reports))
    assert tries == [1] and resets == []


def test_a_failure_while_the_machine_stalled_is_tried_again_after_a_reset() -> None:
    tries: list[int] = []
    resets: list[int] = []
    reports = [STALLED, KEPT]

    def attempt(n: int) -> str:
        tries.append(n)
        if n == 1:
            raise AssertionError("fragments")
        return "passed"

    assert in_real_time(attempt, reset=lambda: resets.append(1),
                        probe=lambda: FixedProbe(reports)) == "passed"
    assert tries == [1, 2] and resets == [1]


def test_a_stalled_try_then_a_failure_that_kept_time_fails_with_that_failure() -> None:
    reports = [STALLED, KEPT]

    def attempt(n: int) -> None:
        raise AssertionError(f"wrong answer on try {n}")

    with pytest.raises(AssertionError, match="wrong answer on try 2"):
        in_real_time(attempt, reset=lambda: None, probe=lambda: FixedProbe(reports))


def test_a_machine_that_stalled_every_try_fails_the_test_and_says_why() -> None:
    reports = [STALLED] * 3

    def attempt(n: int) -> None:
        raise TimeoutError()  # a wait that never ended: judged like a failed check

    with pytest.raises(AssertionError) as failed:
        in_real_time(attempt, reset=lambda: None, tries=3, probe=lambda: FixedProbe(reports))
    text = str(failed.value)
    assert "did not keep real time in any of 3 tries" in text
    assert text.count("4 stalls of 50 ms or more") == 3 and "TimeoutError" in text
    assert reports == []


def test_other_errors_are_not_judged_and_pass_straight_through() -> None:
    reports = [STALLED] * 3
    tries: list[int] = []

    def attempt(n: int) -> None:
        tries.append(n)
        raise FileNotFoundError("paplay")

    with pytest.raises(FileNotFoundError):
        in_real_time(attempt, reset=lambda: None, probe=lambda: FixedProbe(reports))
    assert tries == [1]


def test_the_async_form_follows_the_same_rule() -> None:
    reports = [STALLED, KEPT]
    tries: list[int] = []

    async def attempt(n: int) -> int:
        tries.append(n)
        await asyncio.sleep(0)
        if n == 1:
            raise AssertionError("fragments")
        return n

    result = asyncio.run(in_real_time_async(attempt, reset=lambda: None,
                                            probe=lambda: FixedProbe(reports)))
    assert result == 2 and tries == [1, 2]
