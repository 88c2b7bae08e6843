"""SVG snapshots of the observer (see tests/ui/test_snapshots.py for why so few): two recorded
sessions, the first closed by the app with a rule's problem, then the second with a live one.
Regenerate with ``--snapshot-update`` after an intended change, and look at the SVGs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.observer.recorded import scene

SIZE = (120, 40)


@pytest.mark.parametrize("second", [False, True], ids=["closed-session", "live-problem"])
def test_observer_two_sessions_and_a_problem(second: bool, snap_compare: Any) -> None:
    app, run_before = scene(second)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
