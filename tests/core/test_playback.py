"""The playback machine on its own: two sources, one playing item, spans that say how they ended."""

from __future__ import annotations

import pytest

from voicechat.core.playback import Playback, PlaybackState, Stop


def test_idle_until_a_source_starts_then_one_span() -> None:
    playback = Playback()
    assert playback.state is PlaybackState.IDLE and playback.playing_since is None
    assert playback.start(1.0, "server", "item_a1", "resp_1") is True
    assert playback.state is PlaybackState.PLAYING and playback.sources == {"server"}
    assert (playback.item_id, playback.response_id, playback.playing_since) == (
        "item_a1",
        "resp_1",
        1.0,
    )
    [span] = playback.spans
    assert (span.response_id, span.item_id, span.started_at, span.ended_at) == (
        "resp_1",
        "item_a1",
        1.0,
        None,
    )


def test_a_second_source_joins_without_a_new_span() -> None:
    playback = Playback()
    playback.start(1.0, "server", None, "resp_1")
    assert playback.start(1.2, "local", "item_a1", None) is False
    assert playback.item_id == "item_a1"  # a later start may name the item
    assert playback.response_id == "resp_1" and playback.playing_since == 1.0
    assert playback.start(1.3, "local", None, None) is False
    assert playback.item_id == "item_a1"  # a start naming nothing keeps it
    assert len(playback.spans) == 1


@pytest.mark.parametrize("first", ["server", "local"])
def test_ends_only_when_both_sources_have_stopped(first: str) -> None:
    second = "local" if first == "server" else "server"
    playback = Playback()
    playback.start(1.0, "server", "item_a1", "resp_1")
    playback.start(1.1, "local", "item_a1", None)
    assert playback.stop(2.0, first, "stopped") is Stop.CONTINUES  # type: ignore[arg-type]
    assert playback.playing and playback.spans[-1].ended_at is None
    assert playback.stop(2.5, second, "drained") is Stop.ENDED  # type: ignore[arg-type]
    assert playback.state is PlaybackState.IDLE and playback.playing_since is None
    assert (playback.spans[-1].ended_at, playback.spans[-1].end_reason) == (2.5, "drained")


def test_a_stray_or_repeated_stop_changes_nothing() -> None:
    playback = Playback()
    assert playback.stop(0.5, "server", "stopped") is Stop.IDLE
    playback.start(1.0, "local", "item_a1", None)
    assert playback.stop(1.5, "server", "cleared") is Stop.CONTINUES  # server never started
    assert playback.stop(2.0, "local", "drained") is Stop.ENDED
    assert playback.stop(3.0, "local", "drained") is Stop.IDLE
    assert playback.spans[-1].ended_at == 2.0


def test_progress_names_the_item_only_while_playing() -> None:
    playback = Playback()
    playback.heard("item_a0")
    assert playback.item_id is None
    playback.start(1.0, "local", None, None)
    playback.heard("item_a1")
    assert playback.item_id == "item_a1"


@pytest.mark.parametrize("reason", ["interrupted", "fallback", "closed"])
def test_a_forced_end_forgets_every_source(reason: str) -> None:
    playback = Playback()
    playback.start(1.0, "server", "item_a1", "resp_1")
    playback.start(1.1, "local", "item_a1", None)
    assert playback.end(2.0, reason) is True
    assert playback.sources == frozenset() and not playback.playing
    assert playback.spans[-1].end_reason == reason
    assert playback.end(3.0, reason) is False  # already idle: the span keeps its first end
    assert playback.spans[-1].ended_at == 2.0
    assert playback.start(4.0, "server", "item_a2", "resp_2") is True  # a new span
    assert len(playback.spans) == 2


def test_spans_are_bounded_and_their_tuple_reused() -> None:
    playback = Playback(limit=2)
    for n in range(3):
        playback.start(float(n), "local", f"item_{n}", None)
        playback.stop(n + 0.5, "local", "drained")
    assert [s.item_id for s in playback.spans] == ["item_1", "item_2"]
    assert playback.spans is playback.spans


def test_an_answer_that_ran_dry_and_came_back_counts_what_was_heard_before() -> None:
    """A fresh-clone run's answer ran dry 0.65 s in (an underrun under load) and came back;
    the caller who spoke 1.03 s into it was "speech ignored: the assistant had played only
    378 ms" and the answer played on to its end (issue 79). The same item coming back
    counts its earlier spans; another item starts from zero."""
    playback = Playback()
    playback.start(8.532, "local", "item_a", "resp_1")
    assert playback.stop(9.183, "local", "drained") is Stop.ENDED
    playback.start(9.379, "local", "item_a", "resp_1")
    since = playback.playing_since
    assert since is not None and (9.757 - since) == pytest.approx(1.029)
    playback.stop(9.9, "local", "drained")
    playback.start(10.1, "local", "item_a", "resp_1")  # a second gap: all of it counts
    since = playback.playing_since
    assert since is not None and (10.2 - since) == pytest.approx(0.651 + 0.521 + 0.1)
    playback.stop(10.3, "local", "drained")
    playback.start(11.0, "local", "item_b", "resp_2")
    assert playback.playing_since == 11.0
    playback.end(11.5, "interrupted")
    playback.start(12.0, "local", None, None)  # an unnamed item never carries
    assert playback.playing_since == 12.0
