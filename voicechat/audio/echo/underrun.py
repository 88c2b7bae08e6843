"""Hold the residual-echo guard for a while after each speaker underrun.

Why: an underrun makes the sound server re-buffer, which moves the echo by 10–15 ms. The device
timestamps the canceller aligns by do not show that move, and the canceller needs about two
seconds to follow it; in between the assistant's own voice can leak past it, reach the server's
VAD and interrupt the answer. Measured on a 2-core machine under load: two false barge-ins in
three long answers, each right after speaker underruns (tests/audio/test_aec_barge_in.py). While
the hold lasts the core treats the echo as leaking: speech over the assistant does not count as
a barge-in and the mic is muted during playback. The cost is a real interruption in those
seconds, which then waits for the answer to end.

Sans-IO: the owner passes the speaker's underrun count and the time.
"""

from __future__ import annotations

UNDERRUN_HOLD_S = 2.0
"""How long the guard holds after the last underrun: the canceller's measured re-convergence
after a delay jump is 1.5–2.25 s."""


class UnderrunHold:
    """Whether the guard is held, from the speaker's running underrun count."""

    def __init__(self, hold_s: float = UNDERRUN_HOLD_S) -> None:
        self._hold_s = hold_s
        self._seen: int | None = None
        self._until: float | None = None

    def update(self, underruns: int, now: float) -> bool:
        """``True`` while an underrun happened less than ``hold_s`` ago.

        The first count seen is history (a stream's start-up can underrun before anything
        plays); every rise after it (re)starts the hold."""
        if self._seen is None or underruns < self._seen:  # first look, or a new device
            self._seen = underruns
        elif underruns > self._seen:
            self._seen = underruns
            self._until = now + self._hold_s
        if self._until is not None and now >= self._until:
            self._until = None
        return self._until is not None
