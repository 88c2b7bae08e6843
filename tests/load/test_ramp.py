"""Without ``--spawn-rate`` the callers are ramped in, not started in step (issue 54)."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from voicechat.commands.load import RAMP_S, _locust_command, default_spawn_rate


@given(st.integers(1, 100_000), st.floats(1.0, 86_400.0))
def test_every_caller_starts_within_the_ramp(users: int, seconds: float) -> None:
    rate = default_spawn_rate(users, seconds)
    ramp = users / rate
    assert math.isclose(ramp, min(RAMP_S, seconds / 4), rel_tol=1e-9)
    assert ramp <= seconds / 4 + 1e-9  # three quarters of the run at full strength at least


def test_the_ramp_reaches_locust() -> None:
    command = _locust_command(users=100, spawn_rate=default_spawn_rate(100, 60.0), seconds=60.0,
                              workers=1, master=False, worker=False, master_host=None,
                              master_port=5557, master_bind_host="127.0.0.1",
                              expect_workers=None, csv_prefix=None, html_path=None)
    assert command[command.index("--spawn-rate") + 1] == "10"
