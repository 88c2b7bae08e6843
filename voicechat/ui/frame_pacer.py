"""When the main screen is brought up to date: when something arrived, and on a clock only while
something on it moves with time.

Its own part because it owns the app's only timers and the rule for each. A fixed 20 Hz poll
woke the loop twenty times a second in an app where nothing happened (bench/bench_tui.py: most
of the idle CPU). Now:

* every record from the handle (each event in, out or local: the runtime logs every change the
  screen shows) asks for a *content* frame, which brings the event pane, transcript, timeline and
  status bar up to date together: at once after a quiet spell, else :data:`CONTENT_S` after the
  previous one, so a flood of deltas still costs at most about seven frames a second;
* the level meter moves with the voice, so it is read at the meter rate only while the mic is
  live (the assistant hears you) and its bar moved in the last :data:`STEADY_S`; a live mic
  whose bar stands still (a quiet room) is read at the content rate, which still catches the
  first syllable within 150 ms; a mic that is not live is read by each content frame. Each
  wake-up of the loop costs a few hundred microseconds on these machines whatever the callback
  does (the bench's idle phase with and without its heartbeat), so their number is the cost;
* the VAD timeline moves with time while a segment is open or still inside its window, so then
  content frames come at the content rate even with no record;
* with none of these, no timer runs: an idle app with nothing live does nothing.

User actions (keys) still bring the screen up to date at once (``VoiceChatApp.sync``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

CONTENT_S = 0.15
"""Content frames (event pane, transcript, timeline) at most this often. Each frame composites
the changed lines, and while an answer streams the transcript scrolls, so every frame repaints
the whole pane: the frame rate is the cost (bench/bench_tui.py, 50 deltas/s: 10.3-13.8 % of a
core at 100 ms, 8.7-9.4 % at 150 ms, same minutes). About seven updates a second still reads as
live text (rich's ``Live`` refreshes four times a second by default), a timeline cell is 250 ms
wide, and the meter keeps its own faster clock while the voice moves it."""

STEADY_S = 1.0
"""A live meter whose bar has not moved for this long is read at the content rate."""


class _Timer(Protocol):
    def stop(self) -> None: ...


class TimerHost(Protocol):
    """What the pacer needs of a Textual message pump (the app): its one-shot and repeating
    timers, which run their callbacks on the loop thread."""

    def set_timer(self, delay: float, callback: Callable[[], None]) -> _Timer: ...

    def set_interval(self, interval: float, callback: Callable[[], None]) -> _Timer: ...


class FramePacer:
    """Schedules ``frame(content)`` calls by the rules of the module docstring.

    ``frame`` brings the screen up to date (``content=False``: the status bar only); after each
    one the owner says what is live with :meth:`keep`."""

    def __init__(self, host: TimerHost, frame: Callable[[bool], None], *,
                 meter_hz: float = 20.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._host = host
        self._frame = frame
        self._meter_s = 1.0 / meter_hz
        self._clock = clock
        self._last_content = float("-inf")
        self._pending = False  # records arrived since the last content frame
        self._moving = False  # the timeline moves with time
        self._meter_moved_at = float("-inf")
        self._once: _Timer | None = None  # the next content frame, when no ticker runs
        self._ticker: _Timer | None = None
        self._period: float | None = None  # the ticker's period
        self._stopped = False

    @property
    def ticking(self) -> float | None:
        """The clock's period while something live needs one (seconds), else None."""
        return self._period

    def request(self) -> None:
        """Something arrived: a content frame soon (see the module docstring). Called for every
        record, so the common case (a frame already due) is one check."""
        self._pending = True
        if self._ticker is not None or self._once is not None or self._stopped:
            return  # the next tick or the frame already scheduled takes it
        self._schedule_pending()

    def _schedule_pending(self) -> None:
        # never zero (a Textual timer divides by it); a millisecond also gathers a burst
        delay = max(0.001, self._last_content + CONTENT_S - self._clock())
        self._once = self._host.set_timer(delay, self._scheduled)

    def content_done(self) -> None:
        """A content frame was drawn outside the pacer (a key's immediate sync)."""
        self._pending = False
        self._last_content = self._clock()

    def keep(self, *, meter: bool, moving: bool, meter_moved: bool = False) -> None:
        """After each frame: is the mic live (``meter``), did its bar just move, does the
        timeline move with time?"""
        self._moving = moving
        now = self._clock()
        if meter_moved:
            self._meter_moved_at = now
        fast = meter and now - self._meter_moved_at < STEADY_S
        period = self._meter_s if fast else (CONTENT_S if meter or moving else None)
        if period == self._period or self._stopped:
            return
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        self._period = period
        if period is not None:
            if self._once is not None:  # the ticker takes the pending frame
                self._once.stop()
                self._once = None
            self._ticker = self._host.set_interval(period, self.tick)
        elif self._pending and self._once is None:
            self._schedule_pending()  # records a status-only tick left waiting

    def tick(self) -> None:
        """One tick of the clock: a content frame when one is wanted and due, else the status
        bar's (the meter)."""
        slack = self._meter_s / 2  # ticks every 50 ms: a content frame on every other one
        due = self._clock() - self._last_content >= CONTENT_S - slack
        if (self._pending or self._moving) and due:
            self._content()
        else:
            self._frame(False)

    def stop(self) -> None:
        """No more frames (the app is quitting)."""
        self._stopped = True
        for timer in (self._once, self._ticker):
            if timer is not None:
                timer.stop()
        self._once = self._ticker = None
        self._period = None

    def _scheduled(self) -> None:
        self._once = None
        if not self._stopped:
            self._content()

    def _content(self) -> None:
        self._pending = False
        self._last_content = self._clock()
        self._frame(True)
