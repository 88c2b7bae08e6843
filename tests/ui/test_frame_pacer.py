"""When the main screen draws: on records (at most one content frame per CONTENT_S), on a clock only
while the mic is live or the timeline moves, and not at all in an idle app."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

from tests.helpers import until
from tests.ui.conftest import SIZE, make_app
from tests.ui.fakes import ScriptedHandle, deltas, response_start, user_speech
from voicechat.core.inputs import ToggleMute
from voicechat.ui.frame_pacer import CONTENT_S, STEADY_S, FramePacer


@dataclass
class FakeTimer:
    due: float
    callback: Callable[[], None]
    period: float | None = None
    stopped: bool = False

    def stop(self) -> None:
        self.stopped = True


@dataclass
class Host:
    """A hand-driven clock and the timers set on it."""

    now: float = 100.0
    timers: list[FakeTimer] = field(default_factory=list)

    def set_timer(self, delay: float, callback: Callable[[], None]) -> FakeTimer:
        timer = FakeTimer(self.now + delay, callback)
        self.timers.append(timer)
        return timer

    def set_interval(self, interval: float, callback: Callable[[], None]) -> FakeTimer:
        timer = FakeTimer(self.now + interval, callback, interval)
        self.timers.append(timer)
        return timer

    def live(self) -> list[FakeTimer]:
        return [t for t in self.timers if not t.stopped]

    def run_until(self, end: float) -> None:
        while True:
            due = [t for t in self.live() if t.due <= end]
            if not due:
                break
            timer = min(due, key=lambda t: t.due)
            self.now = timer.due
            if timer.period is None:
                timer.stopped = True
            else:
                timer.due += timer.period
            timer.callback()
        self.now = end


def pacer_on(host: Host) -> tuple[FramePacer, list[tuple[float, bool]]]:
    frames: list[tuple[float, bool]] = []
    pacer = FramePacer(host, lambda content: frames.append((host.now, content)),
                       clock=lambda: host.now)
    return pacer, frames


def test_nothing_live_and_nothing_arriving_sets_no_timer() -> None:
    host = Host()
    pacer, frames = pacer_on(host)
    pacer.keep(meter=False, moving=False)
    host.run_until(host.now + 60)
    assert host.timers == [] and frames == [] and pacer.ticking is None


def test_a_flood_of_records_costs_at_most_one_content_frame_per_interval() -> None:
    host = Host()
    pacer, frames = pacer_on(host)
    start = host.now
    for i in range(50):  # 50 records a second for one second
        host.run_until(start + i / 50)
        pacer.request()
    host.run_until(start + 1.2)
    assert frames and all(content for _, content in frames)
    assert frames[0][0] - start < 0.01  # the first one after a quiet spell at once
    gaps = [b[0] - a[0] for a, b in pairwise(frames)]
    assert min(gaps) >= CONTENT_S - 1e-9
    most = 1 + math.ceil(1.0 / CONTENT_S)  # one at once, then one per interval, one trailing
    assert most - 2 <= len(frames) <= most
    host.run_until(host.now + 10)
    assert len(frames) <= most  # and nothing once they stop
    assert host.live() == []


def test_records_left_by_a_status_tick_are_drawn_when_the_clock_stops() -> None:
    host = Host()
    pacer, frames = pacer_on(host)
    pacer.keep(meter=True, moving=False, meter_moved=True)  # the meter's fast clock
    pacer.request()
    host.run_until(host.now + 0.02)  # before the first tick: nothing drawn yet
    pacer.keep(meter=False, moving=False)  # muted: the clock stops
    host.run_until(host.now + 1.0)
    assert any(content for _, content in frames)  # the record still reached the screen


def test_a_live_mic_reads_the_meter_fast_while_it_moves_then_slower() -> None:
    host = Host()
    pacer, frames = pacer_on(host)
    pacer.keep(meter=True, moving=False, meter_moved=True)
    assert pacer.ticking is not None and pacer.ticking < CONTENT_S
    host.run_until(host.now + 0.5)
    assert frames and not any(content for _, content in frames)  # the status bar only
    assert len(frames) >= 8
    pacer.keep(meter=True, moving=False)  # the bar stands still from now on
    host.run_until(host.now + STEADY_S + 0.1)
    pacer.keep(meter=True, moving=False)
    assert pacer.ticking == CONTENT_S
    pacer.request()  # a record while the meter ticks: the next tick draws the content
    count = len(frames)
    host.run_until(host.now + CONTENT_S)
    assert frames[count:] and frames[count][1]
    pacer.keep(meter=False, moving=False)  # muted: no clock
    assert pacer.ticking is None and host.live() == []


def test_a_moving_timeline_ticks_content_frames_and_stop_ends_everything() -> None:
    host = Host()
    pacer, frames = pacer_on(host)
    pacer.keep(meter=False, moving=True)
    host.run_until(host.now + 1.0)
    ticks = 1.0 / CONTENT_S  # one content frame per interval, for as long as it moves
    assert ticks - 1 <= len(frames) <= ticks + 1 and all(content for _, content in frames)
    pacer.request()
    pacer.stop()
    host.run_until(host.now + 5)
    assert host.live() == [] and len(frames) <= 11


async def test_an_idle_app_runs_no_timer_and_a_record_still_reaches_the_screen() -> None:
    handle = ScriptedHandle(level=0.3)
    app = make_app(handle)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        # The mount's frame saw no connection yet; the start's records bring the next content
        # frame up to CONTENT_S later, so wait for it rather than race it (on a fast machine
        # a single pause() returned before it came).
        await until(lambda: app.pacer.ticking is not None, "the live mic's meter clock",
                    sleep=pilot.pause)
        handle._apply(handle.session.handle(ToggleMute(), handle.clock))  # muted: not live
        await until(lambda: app.pacer.ticking is None, "the clock to stop once muted",
                    sleep=pilot.pause)
        # no app.sync(): the records themselves bring the frame
        handle.run([*user_speech("item_u1"), *response_start("resp_1", "item_a1", "item_u1")])
        handle.run(deltas("resp_1", "item_a1", ["hello ", "there"]))
        await until(lambda: "hello there" in app.transcript.live_text(),
                    "the deltas on screen without a sync", sleep=pilot.pause)
        assert any("delta" in row.kind for row in app.event_flow.rows)
        # the open playback span moves the timeline
        await until(lambda: app.pacer.ticking == CONTENT_S, "the timeline's content clock",
                    sleep=pilot.pause)
