"""The bounded history the view's tuples come from."""

from __future__ import annotations

from voicechat.core.history import History


def test_history_reuses_its_tuple_until_changed_and_is_bounded() -> None:
    history: History[int] = History(3)
    first = history.frozen()
    assert history.frozen() is first
    for n in range(5):
        history.append(n)
    assert history.frozen() == (2, 3, 4) and history.frozen() is history.frozen()
    history[-1] = 9
    assert history.frozen() == (2, 3, 9)
