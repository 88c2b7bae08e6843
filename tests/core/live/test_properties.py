"""Property tests for the GPT-Live core: random interleavings of events, inputs and time.

The session runs with ``strict=True`` so a handler bug raises instead of becoming a Notice.
After every step it checks, from the rules rather than from the code:

* nothing escapes, whatever arrives (valid events, wrong shapes, unknown types);
* every event sent is a valid ``openai.types.live.ClientEvent`` (the official SDK's union);
* over WebSocket ``session.start`` is the first event sent and nothing else goes out before
  ``session.started``; nothing goes out after the session ended;
* turns never reorder: the turns of an earlier view are a prefix of a later view's (new turns
  are appended), and a turn's text only grows at its end;
* played-time bookkeeping: ``played_ms`` never decreases; over WebSocket, and over WebRTC
  once the runtime reported the track's frames (``OutputArrived``),
  ``played + dropped <= received``; the played spans are ordered, disjoint and add up to
  ``played_ms``;
* each backend function call gets at most one ``function_call_output``.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai.types.live import ClientEvent
from pydantic import TypeAdapter

from tests.core.live.harness import SILENCE_100MS, SPEECH_100MS, LiveHarness
from voicechat.core.actions import Send
from voicechat.core.inputs import ToolFinished, TransportState
from voicechat.core.live import (
    Append,
    CloseSession,
    DelegationFinished,
    DelegationProgress,
    OutputArrived,
    PlaybackFlushed,
    PlaybackProgress,
    StopAssistant,
    ToggleMute,
)

CLIENT_EVENT = TypeAdapter(ClientEvent)
TASKS = ["item_d0", "item_d1", "item_r0"]
CALLS = ["call_0", "call_1", "call_2"]
RESPS = ["resp_0", "resp_1"]

junk = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5000) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=6,
)
ms = st.integers(0, 20_000)


def ev(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, **fields}


def fragment(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda text, start, length: ev(kind, delta=text, start_ms=start,
                                                    end_ms=start + length),
                     st.sampled_from(["a ", "b", " c.", "", "ü "]), ms, st.integers(0, 900))


server_events = st.one_of(
    st.builds(lambda sid: ev("session.started", session={"id": sid, "expires_at": 9}),
              st.sampled_from(["live_1", "live_2"])),
    fragment("session.input_transcript.delta"),
    fragment("session.output_transcript.delta"),
    st.builds(lambda silent: ev("session.output_audio.delta",
                                delta=SILENCE_100MS if silent else SPEECH_100MS), st.booleans()),
    st.builds(lambda tid, target: ev("session.delegation.created", offset_ms=5, delegation={
        "id": tid, "type": "delegation", "target": target}),
        st.sampled_from(TASKS), st.sampled_from(["client", "responses", "decisions"])),
    st.builds(lambda tid, rid, call: ev("response.event", delegation_id=tid, event={
        "type": "response.output_item.done", "response_id": rid,
        "item": {"type": "function_call", "call_id": call, "name": "f", "arguments": "{}"}}),
        st.sampled_from(TASKS), st.sampled_from(RESPS), st.sampled_from(CALLS)),
    st.builds(lambda tid, rid, kind: ev("response.event", delegation_id=tid, event={
        "type": kind, "response": {"id": rid}}),
        st.sampled_from(TASKS), st.sampled_from(RESPS),
        st.sampled_from(["response.created", "response.completed", "response.failed"])),
    st.builds(lambda kind, cid: ev(kind, start_ms=1, end_ms=1, client_event_id=cid),
              st.sampled_from(["session.instructions.appended", "session.thinking.appended",
                               "session.commentary.appended"]),
              st.sampled_from(["evt_vc_1", "evt_vc_2", "evt_vc_3", None])),
    st.builds(lambda cid: ev("error", error={"type": "invalid_request_error", "code": "x",
                                             "message": "no", "client_event_id": cid}),
              st.sampled_from(["evt_vc_2", "evt_vc_3", None])),
    st.builds(lambda s: ev("session.usage.updated", usage={"seconds": s}), st.floats(0, 99)),
    st.builds(lambda r: ev("session.closed", reason=r, usage={"seconds": 1}),
              st.sampled_from(["close_requested", "expired", "content"])),
    st.builds(lambda kind, body: {"type": kind, **body},
              st.sampled_from(["session.output_transcript.delta", "response.event",
                               "session.delegation.created", "session.started",
                               "session.output_audio.delta", "error", "info", "made.up"]),
              st.dictionaries(st.sampled_from(["delta", "start_ms", "end_ms", "event",
                                               "delegation", "session", "error"]), junk,
                              max_size=3)),
)

inputs = st.one_of(
    st.builds(PlaybackProgress, st.floats(0, 30_000), st.booleans()),
    st.builds(PlaybackFlushed, st.floats(0, 5000)),
    st.builds(OutputArrived, st.sampled_from([20.0, 100.0]), st.booleans()),
    st.just(ToggleMute()),
    st.just(StopAssistant()),
    st.just(CloseSession()),
    st.builds(Append, st.sampled_from(["instructions", "thinking", "commentary"]),
              st.sampled_from(["hi", "", "x " * 1200]),
              st.sampled_from([None, *TASKS])),
    st.builds(DelegationProgress, st.sampled_from(TASKS), st.text(max_size=4)),
    st.builds(DelegationFinished, st.sampled_from(TASKS), st.text(max_size=4), st.booleans()),
    st.builds(ToolFinished, st.sampled_from(CALLS), st.text(max_size=4)),
    st.builds(TransportState, st.sampled_from(["closed", "failed", "connected"])),
)

steps = st.lists(
    st.one_of(
        st.tuples(st.just("event"), server_events),
        st.tuples(st.just("input"), inputs),
        st.tuples(st.just("time"), st.floats(0, 40)),
    ),
    max_size=40,
)


class Model:
    """What the rules say must hold, checked after every step."""

    def __init__(self, h: LiveHarness) -> None:
        self.h = h
        self.seen = 0
        self.started = False
        self.turns: list[tuple[int, str]] = []
        self.played = 0.0
        self.outputs: dict[str, int] = {}

    def check(self, webrtc: bool) -> None:
        session = self.h.session
        new = self.h.actions[self.seen:]
        self.seen = len(self.h.actions)
        for action in new:
            if not isinstance(action, Send):
                continue
            event = action.event
            CLIENT_EVENT.validate_python(json.loads(json.dumps(event)))
            if not self.started:
                assert event["type"] == "session.start", event
            if event["type"] == "response.item.create":
                call = event["item"]["call_id"]
                self.outputs[call] = self.outputs.get(call, 0) + 1
                assert self.outputs[call] == 1
        if session.state in ("active", "closing", "closed"):
            self.started = self.started or session.state != "closed" or bool(session.session_id)
        view = session.view()
        numbers = [(t.number, t.text) for t in view.turns]
        assert [n for n, _ in numbers] == sorted(n for n, _ in numbers)
        for (old_n, old_text), (new_n, new_text) in zip(self.turns, numbers, strict=False):
            assert old_n == new_n
            assert new_text.startswith(old_text)
        assert len(numbers) >= len(self.turns)
        self.turns = numbers
        audio = session.audio
        assert audio.played_ms >= self.played
        self.played = audio.played_ms
        if not webrtc:
            assert audio.received_ms is not None
        if audio.received_ms is not None:  # WebRTC: once the runtime reported arrivals
            assert audio.played_ms + audio.dropped_ms <= audio.received_ms + 1e-6
        spans = audio.heard_spans
        for (s1, e1), (s2, _e2) in itertools.pairwise(spans):
            assert s1 < e1 <= s2
        assert abs(audio.spans_total_ms - audio.played_ms) < 1e-6


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=steps, webrtc=st.booleans())
def test_arbitrary_sequences_keep_every_rule(steps: list[tuple[str, Any]], webrtc: bool) -> None:
    h = LiveHarness(transport="webrtc" if webrtc else "websocket", delegation_timeout_ms=3000)
    model = Model(h)
    h.start()
    model.check(webrtc)
    for kind, value in steps:
        if kind == "event":
            # a session.started starts a starting session even when its body is malformed
            started = value.get("type") == "session.started" and h.session.state == "starting"
            h.ev(value["type"], **{k: v for k, v in value.items() if k != "type"})
            model.started = model.started or (started and h.session.state != "starting")
        elif kind == "input":
            h.do(value)
        else:
            h.advance(value)
        model.check(webrtc)
        if h.session.state in ("closed", "failed"):
            model.started = True  # what was queued is dropped; later sends are checked below
            before = len(h.actions)
            h.do(Append("thinking", "after the end"))
            assert not any(isinstance(a, Send) for a in h.actions[before:])
