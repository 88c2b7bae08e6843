"""The engine's loop-lag figures: nearest-rank percentiles of the wake-ups' lateness."""

from __future__ import annotations

import math
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from voicechat.load import lag
from voicechat.load.lag import percentiles

LAGS = st.lists(st.floats(min_value=0, max_value=10_000, allow_nan=False), min_size=1,
                max_size=500)


@given(LAGS)
def test_each_figure_is_a_lag_seen_and_they_rise_in_order(lags: list[float]) -> None:
    figures = percentiles(lags)
    rounded = {round(lag, 2) for lag in lags}
    assert all(figures[k] in rounded for k in ("p50", "p95", "p99", "max"))
    assert figures["p50"] <= figures["p95"] <= figures["p99"] <= figures["max"]
    assert figures["max"] == round(max(lags), 2)


@given(LAGS, st.sampled_from([50, 95, 99]))
def test_a_percentile_has_that_share_of_the_lags_at_or_under_it(lags: list[float],
                                                                p: int) -> None:
    figure = percentiles(lags)[f"p{p}"]
    at_or_under = sum(1 for lag in lags if round(lag, 2) <= figure)
    assert at_or_under >= math.ceil(len(lags) * p / 100)


def test_no_wake_ups_give_zeros() -> None:
    assert percentiles([]) == {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}


def test_the_file_carries_the_collections_when_given(tmp_path: Path) -> None:
    import json
    import os

    lag.write(tmp_path / "lag", [1.0, 2.0], {"full_collections": 3, "longest_full_ms": 41.5,
                                             "frozen_objects": 9})
    written = json.loads((tmp_path / f"lag.{os.getpid()}").read_text())
    assert written["samples"] == 2 and written["max"] == 2.0
    assert written["gc"] == {"full_collections": 3, "longest_full_ms": 41.5, "frozen_objects": 9}
    lag.write(tmp_path / "bare", [])
    assert "gc" not in json.loads((tmp_path / f"bare.{os.getpid()}").read_text())
