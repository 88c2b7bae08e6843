"""The guard held after a speaker underrun (audio/echo/underrun.py), time passed in."""

from __future__ import annotations

from voicechat.audio.echo.underrun import UNDERRUN_HOLD_S, UnderrunHold


def test_the_first_count_is_history_and_each_rise_holds_for_the_hold_time() -> None:
    hold = UnderrunHold()
    assert hold.update(7, 0.0) is False  # start-up underruns before anything played
    assert hold.update(7, 1.0) is False
    assert hold.update(8, 1.0) is True
    assert hold.update(8, 1.0 + UNDERRUN_HOLD_S - 0.01) is True
    assert hold.update(8, 1.0 + UNDERRUN_HOLD_S) is False


def test_another_underrun_during_the_hold_extends_it() -> None:
    hold = UnderrunHold(hold_s=2.0)
    hold.update(0, 0.0)
    assert hold.update(1, 1.0) is True
    assert hold.update(3, 2.5) is True
    assert hold.update(3, 4.0) is True  # 1.5 s after the last one
    assert hold.update(3, 4.5) is False


def test_a_count_that_falls_is_a_new_device_not_an_underrun() -> None:
    hold = UnderrunHold()
    hold.update(5, 0.0)
    assert hold.update(0, 1.0) is False  # reopened: counts from zero again
    assert hold.update(1, 2.0) is True
