"""Property tests for the yield watch (hypothesis): any mix of output chunks, transcript
fragments and time. From the rules: a yield is only ever reported while the output is silent
(at a speech-to-silence edge, or during a quiet that began after speech), each quiet yields at
most once, a late yield needs user words that overlap the answer on the session timeline, and
the timer's deadline is never in the past of the quiet it waits on."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from voicechat.core.live.yielding import MIN_QUIET_S, YIELD_LOOKBACK_S, YieldWatch

steps = st.lists(st.one_of(
    st.tuples(st.just("chunk"), st.booleans(), st.sampled_from([20.0, 100.0]),
              st.sampled_from([0.0, 60.0])),
    st.tuples(st.just("user"), st.integers(0, 20_000), st.integers(1, 3000)),
    st.tuples(st.just("assistant"), st.integers(0, 20_000), st.integers(1, 3000)),
    st.tuples(st.just("time"), st.floats(0.0, 2.0)),
), max_size=80)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_yields_only_in_a_quiet_and_once_per_quiet(script: list[tuple[Any, ...]]) -> None:
    watch = YieldWatch(500)
    now = 0.0
    speech = False  # the stream's last non-empty chunk carried speech
    quiet_since: float | None = None  # the current quiet began after speech, then
    yielded_in_quiet = False
    for step in script:
        kind = step[0]
        fired = False
        if kind == "chunk":
            _, silent, ms, queued = step
            ended = speech and silent
            fired = watch.chunk(ended, silent, ms, now, queued)
            if fired:
                assert ended and queued > 0  # words, then quiet: at the edge, audio queued
            if ended:
                quiet_since, yielded_in_quiet = now, fired
            elif not silent:
                quiet_since = None
            speech = not silent
        elif kind == "user":
            _, start, length = step
            fired = watch.user_words(start, start + length, now)
            if fired:
                assert quiet_since is not None
                assert MIN_QUIET_S <= now - quiet_since <= YIELD_LOOKBACK_S
        elif kind == "assistant":
            _, start, length = step
            watch.assistant_words(start, start + length)
        else:
            now += step[1]
            deadline = watch.deadline()
            if deadline is not None:
                assert quiet_since is not None and deadline == quiet_since + MIN_QUIET_S
            fired = watch.expire(now)
            if fired:
                assert quiet_since is not None and now - quiet_since >= MIN_QUIET_S
        if fired:
            assert not speech or kind == "chunk"
            assert kind == "chunk" or not yielded_in_quiet  # one yield per quiet
            yielded_in_quiet = True
