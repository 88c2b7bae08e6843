"""Property tests of the Gemini Live core: random orders of server frames, user inputs, tool
results, closes and timers never crash it, and every ``toolCall`` id is answered or cancelled
exactly once (never both, never twice), whatever happens around it."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.gemini.harness import Core
from voicechat.core.actions import CancelTool, RunTool, Send
from voicechat.core.gemini import (
    Connected,
    ConnectFailed,
    ConnectionClosed,
    GeminiPolicy,
    Hangup,
    MicAudio,
    TypedText,
)
from voicechat.core.inputs import ToolFinished
from voicechat.protocol.gemini import names
from voicechat.protocol.gemini import server_messages as sm

IDS = ("c1", "c2", "c3")
text = st.sampled_from(["", "Hi ", "there.", " and more"])
frame = st.one_of(
    st.just(sm.setup_complete()),
    st.builds(sm.input_transcription, text),
    st.builds(sm.output_transcription, text),
    st.just(sm.model_audio("AAAA")),
    st.just(sm.generation_complete()),
    st.just(sm.turn_complete()),
    st.just(sm.interrupted()),
    st.lists(st.sampled_from(IDS), min_size=1, max_size=3, unique=True).map(
        lambda ids: sm.tool_call([(i, "tool", {}) for i in ids])),
    st.lists(st.sampled_from(IDS), min_size=1, max_size=3, unique=True).map(
        sm.tool_call_cancellation),
    st.floats(0, 10).map(sm.go_away),
    st.sampled_from(["h1", "h2"]).map(sm.resumption_update),
    st.just({"serverContent": {"modelTurn": "nope"}}),
    st.just({"somethingNew": {}}),
)
user = st.one_of(
    st.just(Connected()),
    st.builds(ConnectionClosed, st.sampled_from([None, 1000, 1006, 1007, 1008, 1011]),
              st.sampled_from(["", "Deadline expired before operation could complete."])),
    st.just(ConnectFailed("refused")),
    st.builds(TypedText, text),
    st.just(MicAudio("AAAA")),
    st.just(Hangup()),
    st.builds(ToolFinished, st.sampled_from(IDS), text, st.booleans()),
)
step = st.one_of(frame.map(lambda f: ("frame", f)), user.map(lambda u: ("input", u)),
                 st.floats(0, 40).map(lambda s: ("tick", s)))


def _answered_ids(sent: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for f in sent if names.TOOL_RESPONSE in f
            for r in f[names.TOOL_RESPONSE]["functionResponses"]]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, max_size=40))
def test_any_order_never_crashes_and_every_call_is_settled_once(steps: list[Any]) -> None:
    core = Core(GeminiPolicy(tool_timeout_s=30.0))
    core.session.start(0.0)
    for kind, value in steps:
        ready_before = core.session.link.ready
        if kind == "frame":
            got = core.frame(value)
        elif kind == "input":
            got = core.inp(value)
        else:
            got = core.tick(value)
        sent = [a.event for a in got if isinstance(a, Send)]
        if isinstance(value, Connected):
            assert [names.SETUP in f for f in sent] == [True]  # setup first, and alone
        elif not ready_before and not core.session.link.ready:
            assert sent == []  # nothing goes out on a connection that is not set up
    core.tick(1000.0)  # every tool's timeout has passed
    ran = [a.call_id for a in core.actions if isinstance(a, RunTool)]
    cancelled = [a.call_id for a in core.actions if isinstance(a, CancelTool)]
    view = core.session.view()
    answered = list(view.answered_tools)
    settled = answered + list(view.cancelled_tools)
    assert len(settled) == len(set(settled))  # never twice, never both
    assert set(ran) <= set(settled)  # every call that ran was answered or withdrawn
    assert set(cancelled) <= set(settled)
    assert not view.pending_tools
    # what went on the wire (or waits for the next setup) answers each id at most once
    sent_ids = _answered_ids(core.sent()) + _answered_ids(core.session._queued)
    assert len(sent_ids) == len(set(sent_ids)) and set(sent_ids) <= set(answered)


@settings(max_examples=200, deadline=None)
@given(st.lists(frame, max_size=30))
def test_lines_are_never_empty_and_the_user_line_of_a_turn_comes_first(
        frames: list[dict[str, Any]]) -> None:
    core = Core().ready()
    for f in frames:
        core.frame(f)
    lines = core.session.view().lines
    assert all(line.text.strip() for line in lines)
    for before, after in itertools.pairwise(lines):
        if before.number == after.number and before.speaker == "assistant":
            assert after.speaker == "user"  # only a late transcript follows the answer
