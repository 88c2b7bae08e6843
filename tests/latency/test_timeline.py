"""The turn timeline on streams with known times: each figure is what the events say."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from voicechat.latency import BargeIn, TurnLatency, TurnTimeline, summarize
from voicechat.latency.text import barge_line, turn_line
from voicechat.latency.timeline import DELTAS, READS_IN
from voicechat.protocol.session_audio import DEFAULT_SILENCE_DURATION_MS

Event = tuple[float | None, str, dict[str, Any]]


def run(events: list[Event]) -> list[TurnLatency | BargeIn]:
    timeline = TurnTimeline()
    out: list[TurnLatency | BargeIn] = []
    for t, direction, event in events:
        out.extend(timeline.feed(t, direction, event))
    out.extend(timeline.finish())
    return out


def session(silence: int = 500) -> Event:
    return (0.0, "in", {"type": "session.created", "session": {"audio": {"input": {
        "turn_detection": {"type": "server_vad", "silence_duration_ms": silence}}}}})


def spoken_turn(t0: float, rid: str, *, transport: str = "websocket") -> list[Event]:
    audio: dict[str, Any] = ({"type": "response.output_audio.delta", "response_id": rid,
                              "delta": {"bytes": 4800}}
                             if transport == "websocket" else
                             {"type": "output_audio_buffer.started", "response_id": rid})
    return [
        (t0, "in", {"type": "input_audio_buffer.speech_started", "audio_start_ms": 1000}),
        (t0 + 1.0, "in", {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": 2000}),
        (t0 + 1.02, "in", {"type": "input_audio_buffer.committed", "item_id": "u1"}),
        (t0 + 1.05, "in", {"type": "response.created", "response": {"id": rid}}),
        (t0 + 1.20, "in", {"type": "response.output_audio_transcript.delta",
                           "response_id": rid, "delta": "Hi"}),
        (t0 + 1.31, "in", audio),
        (t0 + 3.0, "in", {"type": "response.done", "response": {"id": rid,
                                                                  "status": "completed"}}),
    ]


def test_a_spoken_turn_is_timed_from_speech_stopped_to_the_first_audio_delta() -> None:
    [turn] = run([session(), *spoken_turn(1.0, "r1")])
    assert isinstance(turn, TurnLatency)
    assert turn.end_kind == "speech_stopped"
    assert math.isclose(turn.first_audio_ms, 310.0, abs_tol=0.01)
    assert [(s.name, round(s.ms)) for s in turn.stages] == [
        ("commit", 20), ("response", 30), ("model", 260)]
    assert turn.vad_wait_ms == 500
    assert math.isclose(turn.first_text_ms or 0, 200.0, abs_tol=0.01)
    assert math.isclose(turn.heard_ms, 810.0, abs_tol=0.01)
    assert turn_line(turn).startswith("0.81 s to first audio · VAD 0.50 · commit 0.02")


def test_the_answer_item_is_the_responses_first_message_as_its_output_item_done_names_it(
) -> None:
    """Over WebRTC the first audio carries no item id: the answer's transcript entry is the
    first message item the response completes (a tool call's item before it is not it)."""
    events = spoken_turn(1.0, "r1", transport="webrtc")
    done = events.pop()
    for t, item in ((2.5, {"type": "function_call", "id": "fc1", "call_id": "c1",
                           "name": "lookup"}),
                    (2.6, {"type": "message", "id": "a1", "role": "assistant"}),
                    (2.7, {"type": "message", "id": "a2", "role": "assistant"})):
        events.append((t, "in", {"type": "response.output_item.done", "response_id": "r1",
                                 "item": item}))
    [turn] = run([session(), *events, done])
    assert isinstance(turn, TurnLatency) and turn.item_id == "a1"


def test_webrtc_first_audio_is_output_audio_buffer_started_and_played_is_local() -> None:
    events = [session(200), (0.5, "local", {"type": "local.transport.state",
                                            "state": "connected"}),
              *spoken_turn(1.0, "r1", transport="webrtc"),
              (3.4, "local", {"type": "local.playback.started", "item_id": "a1"})]
    [turn] = run(events)
    assert isinstance(turn, TurnLatency)
    assert turn.transport == "webrtc"
    assert math.isclose(turn.first_audio_ms, 310.0, abs_tol=0.01)
    assert turn.played_ms is not None and math.isclose(turn.played_ms, 1400.0, abs_tol=0.01)
    assert "network+buffer 1.09" in turn_line(turn)


def test_a_typed_turn_starts_at_its_response_create_and_a_greeting_starts_none() -> None:
    events: list[Event] = [
        (0.1, "out", {"type": "response.create"}),  # the app's greeting: no user turn
        (0.3, "in", {"type": "response.created", "response": {"id": "g"}}),
        (0.5, "in", {"type": "response.output_audio.delta", "response_id": "g"}),
        (0.9, "in", {"type": "response.done", "response": {"id": "g"}}),
        (5.0, "out", {"type": "conversation.item.create", "item": {
            "type": "message", "role": "user",
            "content": [{"type": "input_text", "text": "hi"}]}}),
        (5.01, "out", {"type": "response.create"}),
        (5.2, "in", {"type": "response.created", "response": {"id": "r1"}}),
        (5.61, "in", {"type": "response.output_audio.delta", "response_id": "r1"}),
        (6.0, "in", {"type": "response.done", "response": {"id": "r1"}}),
    ]
    [turn] = run(events)
    assert isinstance(turn, TurnLatency)
    assert turn.end_kind == "typed" and turn.response_id == "r1"
    assert math.isclose(turn.first_audio_ms, 600.0, abs_tol=0.01)
    assert turn.vad_wait_ms is None


def test_a_tool_call_is_a_stage_of_the_turn_it_delays() -> None:
    events: list[Event] = [
        session(),
        (1.0, "in", {"type": "input_audio_buffer.speech_stopped"}),
        (1.1, "in", {"type": "response.created", "response": {"id": "r1"}}),
        (1.5, "in", {"type": "response.output_item.done", "response_id": "r1", "item": {
            "type": "function_call", "call_id": "c1", "name": "weather"}}),
        (1.6, "in", {"type": "response.done", "response": {"id": "r1"}}),
        (2.5, "out", {"type": "conversation.item.create", "item": {
            "type": "function_call_output", "call_id": "c1", "output": "{}"}}),
        (2.51, "out", {"type": "response.create"}),
        (2.7, "in", {"type": "response.created", "response": {"id": "r2"}}),
        (3.0, "in", {"type": "response.output_audio.delta", "response_id": "r2"}),
        (3.5, "in", {"type": "response.done", "response": {"id": "r2"}}),
    ]
    [turn] = run(events)
    assert isinstance(turn, TurnLatency)
    assert turn.response_id == "r2"
    stages = {s.name: round(s.ms) for s in turn.stages}
    assert stages == {"response": 100, "tool weather": 1000, "model": 900}
    assert sum(s.ms for s in turn.stages) == turn.first_audio_ms
    assert turn.tools[0].name == "weather"


def test_a_local_barge_in_is_timed_from_the_onset_the_detector_counted() -> None:
    events = [session(), (0.2, "local", {"type": "local.transport.state"}),
              *spoken_turn(1.0, "r1")[:6],
              (2.6, "local", {"type": "local.playback.started", "item_id": "a1"}),
              (3.0, "local", {"type": "local.bargein.paused", "speech_ms": 120}),
              (3.3, "local", {"type": "local.bargein.confirmed"}),
              (3.31, "out", {"type": "response.cancel"}),
              (3.4, "in", {"type": "response.done", "response": {"id": "r1",
                                                                  "status": "cancelled"}})]
    results = run(events)
    [barge] = [r for r in results if isinstance(r, BargeIn)]
    assert barge.onset_from == "local" and barge.response_id == "r1"
    assert barge.paused_ms is not None and round(barge.paused_ms) == 120
    assert barge.action_ms is not None and round(barge.action_ms) == 430
    assert barge.cancelled_ms is not None and round(barge.cancelled_ms) == 520
    assert barge_line(barge).startswith("barge-in: speaker paused 0.12 s after you spoke")
    assert len([r for r in results if isinstance(r, TurnLatency)]) == 1


def test_a_resumed_pause_is_no_barge_in() -> None:
    events = [session(), *spoken_turn(1.0, "r1")[:6],
              (2.6, "local", {"type": "local.bargein.paused", "speech_ms": 60}),
              (2.9, "local", {"type": "local.bargein.resumed", "reason": "echo-like"}),
              (4.0, "in", {"type": "response.done", "response": {"id": "r1"}})]
    assert not [r for r in run(events) if isinstance(r, BargeIn)]


def test_without_times_the_mic_audio_appended_is_the_clock() -> None:
    append = {"type": "input_audio_buffer.append", "audio": {"bytes": 4800}}  # 100 ms
    events: list[Event] = [(None, "out", append)] * 10 + [
        (None, "in", {"type": "input_audio_buffer.speech_stopped"})]
    events += [(None, "out", append)] * 4 + [
        (None, "in", {"type": "response.output_audio.delta", "response_id": "r"}),
        (None, "in", {"type": "response.done", "response": {"id": "r"}})]
    [turn] = run(events)
    assert isinstance(turn, TurnLatency)
    assert turn.clock == "audio" and math.isclose(turn.first_audio_ms, 400.0)
    assert "audio clock" in turn_line(turn)


def test_semantic_vad_names_its_wait_instead_of_inventing_one() -> None:
    events = [(0.0, "in", {"type": "session.updated", "session": {"audio": {"input": {
        "turn_detection": {"type": "semantic_vad", "eagerness": "low"}}}}}),
              *spoken_turn(1.0, "r1")]
    [turn] = run(events)
    assert isinstance(turn, TurnLatency)
    assert turn.vad_wait_ms is None and "up to 8 s" in (turn.vad_note or "")


def test_percentiles_are_values_that_occurred() -> None:
    summary = summarize([900.0, 300.0, 500.0, 700.0])
    assert summary is not None
    assert (summary.p50, summary.p95, summary.max, summary.turns) == (500.0, 900.0, 900.0, 4)
    assert summarize([]) is None


_types = st.sampled_from([
    "input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
    "input_audio_buffer.committed", "input_audio_buffer.commit", "response.create",
    "response.created", "response.output_audio.delta", "output_audio_buffer.started",
    "response.output_text.delta", "response.output_item.done", "response.done",
    "conversation.item.create", "local.playback.started", "local.bargein.paused",
    "local.bargein.resumed", "response.cancel", "session.updated", "input_audio_buffer.append"])
_values = st.one_of(st.none(), st.integers(-5, 5), st.text(max_size=3),
                    st.floats(allow_nan=True), st.lists(st.integers(), max_size=2))
_events = st.lists(st.tuples(
    st.one_of(st.none(), st.floats(0, 100)),
    st.sampled_from(["in", "out", "local"]),
    st.fixed_dictionaries({"type": _types}, optional={
        "response_id": st.one_of(st.sampled_from(["r1", "r2", None]), _values,
                                 st.fixed_dictionaries({"id": st.just("r1")})),
        "response": st.fixed_dictionaries({}, optional={
            "id": st.sampled_from(["r1", "r2"]), "status": st.sampled_from(
                ["completed", "cancelled"]), "conversation_id": st.none()}),
        "item": st.fixed_dictionaries({}, optional={
            "type": st.sampled_from(["function_call", "function_call_output", "message"]),
            "call_id": st.sampled_from(["c1", "c2"]), "name": _values,
            "role": st.just("user"), "content": st.just([{"type": "input_text"}])}),
        "speech_ms": _values, "audio": _values, "session": _values})), max_size=40)


@settings(max_examples=300, deadline=None)
@given(_events)
def test_any_stream_gives_sane_figures_and_never_raises(events: list[Event]) -> None:
    ordered = sorted(events, key=lambda e: -1.0 if e[0] is None else e[0])
    for result in run(ordered):
        if isinstance(result, TurnLatency):
            assert result.first_audio_ms >= 0
            assert all(stage.ms >= 0 for stage in result.stages)
            assert math.isclose(sum(s.ms for s in result.stages), result.first_audio_ms,
                                abs_tol=1e-6) or any(s.name.startswith("tool")
                                                     for s in result.stages)
            turn_line(result)
        else:
            barge_line(result)


def test_an_answer_queued_behind_the_previous_one_says_so() -> None:
    """Over WebRTC the server sends one answer's audio after the other: a question typed while
    the first answer still sounds waits for it, and that wait is not the model's."""
    typed: list[Event] = [
        (2.0, "out", {"type": "conversation.item.create", "item": {
            "role": "user", "content": [{"type": "input_text", "text": "and?"}]}}),
        (2.01, "out", {"type": "response.create"})]
    events = [session(), *spoken_turn(0.0, "r1", transport="webrtc")[:6], *typed,
              (2.05, "in", {"type": "response.created", "response": {"id": "r2"}}),
              (2.2, "in", {"type": "response.done", "response": {"id": "r2"}}),
              (3.5, "in", {"type": "output_audio_buffer.stopped", "response_id": "r1"}),
              (3.51, "in", {"type": "output_audio_buffer.started", "response_id": "r2"}),
              (4.5, "in", {"type": "output_audio_buffer.stopped", "response_id": "r2"})]
    turns = [r for r in run(events) if isinstance(r, TurnLatency)]
    assert [t.response_id for t in turns] == ["r1", "r2"]
    stages = {s.name: round(s.ms) for s in turns[1].stages}
    assert stages == {"response": 40, "previous answer": 1450, "model": 10}


def _typed_turn(t: float, rid: str, text: str) -> list[Event]:
    """A typed line sent at ``t``: its item, its response.create, the response made at once."""
    return [(t, "out", {"type": "conversation.item.create", "item": {
                "role": "user", "content": [{"type": "input_text", "text": text}]}}),
            (t + 0.001, "out", {"type": "response.create"}),
            (t + 0.004, "in", {"type": "response.created", "response": {"id": rid}}),
            (t + 0.07, "in", {"type": "response.done", "response": {"id": rid}})]


def test_lines_sent_at_each_done_are_each_timed_behind_every_answer_before_them() -> None:
    """Issue 55, item 6: three piped lines over WebRTC, each sent at the previous
    ``response.done`` while the answers before it still wait to sound. The second turn was
    dropped (the third ended before its audio started) and the third was measured from the
    first answer's stop, so the second answer's playback was called the model's."""
    events = [session(), *_typed_turn(0.0, "r1", "one"),
              (0.03, "in", {"type": "output_audio_buffer.started", "response_id": "r1"}),
              *_typed_turn(0.08, "r2", "two"), *_typed_turn(0.16, "r3", "three"),
              (1.0, "in", {"type": "output_audio_buffer.stopped", "response_id": "r1"}),
              (1.01, "in", {"type": "output_audio_buffer.started", "response_id": "r2"}),
              (1.9, "in", {"type": "output_audio_buffer.stopped", "response_id": "r2"}),
              (1.91, "in", {"type": "output_audio_buffer.started", "response_id": "r3"}),
              (2.8, "in", {"type": "output_audio_buffer.stopped", "response_id": "r3"})]
    turns = [r for r in run(events) if isinstance(r, TurnLatency)]
    assert [t.response_id for t in turns] == ["r1", "r2", "r3"]
    assert [round(t.first_audio_ms) for t in turns] == [29, 929, 1749]
    assert [{s.name: round(s.ms) for s in t.stages} for t in turns[1:]] == [
        {"response": 3, "previous answer": 916, "model": 10},
        {"response": 3, "previous answer": 1736, "model": 10}]


def test_a_turn_whose_answer_will_never_sound_is_superseded_not_kept() -> None:
    """A response cancelled before its audio, or answered in text only, owes no audio: the
    next turn does not wait for it, and it is not reported."""
    cancelled: list[Event] = [
        *_typed_turn(0.0, "r1", "one")[:3],
        (0.05, "in", {"type": "response.done", "response": {"id": "r1",
                                                            "status": "cancelled"}})]
    text_only: list[Event] = [
        *_typed_turn(0.0, "r1", "one")[:3],
        (0.05, "in", {"type": "response.done", "response": {"id": "r1", "output": [
            {"type": "message", "content": [{"type": "output_text", "text": "hi"}]}]}})]
    for first in (cancelled, text_only):
        events = [*first, *_typed_turn(0.5, "r2", "two"),
                  (0.6, "in", {"type": "output_audio_buffer.started", "response_id": "r2"})]
        turns = [r for r in run(events) if isinstance(r, TurnLatency)]
        assert [(t.response_id, [s.name for s in t.stages]) for t in turns] == [
            ("r2", ["response", "model"])]


def test_a_websocket_answer_queued_in_the_speaker_is_reported_without_its_playback() -> None:
    events: list[Event] = [
        (0.0, "local", {"type": "local.transport.state", "state": "connected"}),
        *[e for e in spoken_turn(0.0, "r1")[1:6]],
        (1.4, "local", {"type": "local.playback.started"}),
        (1.5, "out", {"type": "conversation.item.create", "item": {
            "role": "user", "content": [{"type": "input_text", "text": "more"}]}}),
        (1.51, "out", {"type": "response.create"}),
        (1.6, "in", {"type": "response.created", "response": {"id": "r2"}}),
        (1.7, "in", {"type": "response.output_audio.delta", "response_id": "r2"}),
        (1.8, "in", {"type": "response.done", "response": {"id": "r2"}}),
    ]
    timeline = TurnTimeline()
    out: list[TurnLatency | BargeIn] = []
    for t, direction, event in events:
        out.extend(timeline.feed(t, direction, event))
    # no drained, no later event: the second turn is out at its response.done all the same
    assert [r.response_id for r in out if isinstance(r, TurnLatency)] == ["r1", "r2"]


def test_a_response_id_of_the_wrong_shape_beside_an_out_of_band_response_is_passed_over(
) -> None:
    """Found by the property test above: with an out-of-band response open, a server event
    whose ``response_id`` is an object (a log may hold anything) raised ``unhashable type``
    on the session core's path."""
    timeline = TurnTimeline()
    timeline.server_event(1.0, "response.created",
                          {"type": "response.created",
                           "response": {"id": "r1", "conversation_id": None}})
    odd = {"type": "output_audio_buffer.started", "response_id": {"id": "r1"}}
    assert timeline.server_event(1.1, "output_audio_buffer.started", odd) == ()
    assert list(timeline.feed(1.2, "in", odd)) == []


def test_a_logs_figures_past_a_day_are_not_taken_as_spans() -> None:
    """A broken log's 1e308 ms of VAD silence or of speech counted before a pause made
    figures the report's rounding overflowed on (``round(inf)``: the doctor's malformed-log
    property test). The silence falls back to the default; the speech counts nothing."""
    events: list[Event] = [(0.0, "in", {"type": "session.created", "session": {"audio": {
        "input": {"turn_detection": {"type": "server_vad", "silence_duration_ms": 1e308}}}}}),
        *spoken_turn(1.0, "r1")]
    [turn] = run(events)
    assert isinstance(turn, TurnLatency) and turn.vad_wait_ms == DEFAULT_SILENCE_DURATION_MS
    assert turn.to_json()["heard_ms"] == DEFAULT_SILENCE_DURATION_MS + 310.0
    barge = [(5.0, "in", {"type": "response.created", "response": {"id": "r2"}}),
             (5.5, "local", {"type": "local.bargein.paused", "speech_ms": 1e308}),
             (5.6, "out", {"type": "response.cancel"}),
             (5.7, "in", {"type": "response.done",
                          "response": {"id": "r2", "status": "cancelled"}})]
    [interruption] = [r for r in run(barge) if isinstance(r, BargeIn)]
    assert interruption.to_json()["paused_ms"] == 0.0


_SERVER = ["input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
           "input_audio_buffer.committed", "response.created", "response.output_audio.delta",
           "output_audio_buffer.started", "output_audio_buffer.stopped",
           "response.output_audio_transcript.delta", "response.output_item.done",
           "response.done", "session.updated"]
_rid = st.sampled_from(["r1", "r2"])
#: Streams as a session sees them (each type in its direction, ids from a small set, times
#: in order): the well-formed events whose order the filters must follow, often enough.
_plausible = st.lists(st.one_of(
    st.tuples(st.floats(0, 60), st.just("in"), st.fixed_dictionaries(
        {"type": st.sampled_from(_SERVER), "response_id": _rid}, optional={
            "response": st.fixed_dictionaries({"id": _rid}, optional={
                "status": st.sampled_from(["completed", "cancelled"]),
                "conversation_id": st.none()}),
            "item": st.fixed_dictionaries({"type": st.sampled_from(
                ["function_call", "message"]), "call_id": st.just("c1")})})),
    st.tuples(st.floats(0, 60), st.just("out"), st.fixed_dictionaries({"type": st.sampled_from(
        ["input_audio_buffer.commit", "response.create", "response.cancel"])})),
    st.tuples(st.floats(0, 60), st.just("out"), st.just(
        {"type": "conversation.item.create", "item": {"type": "message", "role": "user",
                                                     "content": [{"type": "input_text"}]}})),
    st.tuples(st.floats(0, 60), st.just("local"), st.fixed_dictionaries({"type": st.sampled_from(
        ["local.playback.started", "local.playback.drained", "local.bargein.paused",
         "local.bargein.resumed"])}))), max_size=40)


def _fresh_wants(timeline: TurnTimeline) -> tuple[bool, bool, frozenset[str]]:
    """What the timeline's filters must be, computed from its state from scratch."""
    turn = timeline._turn
    owed = timeline._owed  # earlier turns whose answer is still to sound: each wants deltas
    deltas = timeline._audio_pending or bool(owed) or (turn is not None and (
        turn.first_audio is None or turn.first_text is None or turn.done is not None))
    onset = timeline._active is not None or timeline._sounding is not None
    waiting = any(t.done is not None for t in [*owed, *([turn] if turn else [])])
    return (deltas, waiting,
            frozenset(kind for kind in READS_IN
                      if (deltas or kind not in DELTAS)
                      and (onset or kind != "input_audio_buffer.speech_started")))


#: A done turn that never played (WebSocket: no output_audio_buffer.stopped ends the wait),
#: expired by a later event that changes nothing else.
_EXPIRED: list[Event] = [
    (1.0, "in", {"type": "input_audio_buffer.speech_stopped"}),
    (1.1, "in", {"type": "response.created", "response": {"id": "r1"}}),
    (1.3, "in", {"type": "response.output_audio.delta", "response_id": "r1"}),
    (1.35, "in", {"type": "response.output_audio_transcript.delta", "response_id": "r1"}),
    (2.0, "in", {"type": "response.done", "response": {"id": "r1"}}),
    (5.0, "in", {"type": "input_audio_buffer.committed"})]


@settings(max_examples=300, deadline=None)
@given(st.one_of(_events, _plausible))
@example(_EXPIRED)
def test_the_filters_follow_the_state_after_every_event(events: list[Event]) -> None:
    """Each handler that changes the state brings ``wants`` up to date itself (no recompute
    per event, for the session core's speed): after any event of any stream they are what
    the state says, whichever way the event came in."""
    ordered = sorted(events, key=lambda e: -1.0 if e[0] is None else e[0])
    timeline = TurnTimeline(plays_locally=True)
    for t, direction, event in ordered:
        timeline.feed(t, direction, event)
        assert (timeline.deltas_matter, timeline._waiting, frozenset(timeline.wants)) == \
            _fresh_wants(timeline)
    timeline.finish()
    assert (timeline.deltas_matter, timeline._waiting, frozenset(timeline.wants)) == \
        _fresh_wants(timeline)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_events, _plausible))
def test_the_session_cores_filtered_path_loses_nothing(events: list[Event]) -> None:
    """The session core hands over only the server events in ``wants``, straight to their
    handlers; a log is fed every event: both give the same figures."""
    ordered = sorted((((0.0 if t is None else t), d, e) for t, d, e in events
                      if isinstance(e.get("type"), str)),  # (timed: the core's clock)
                     key=lambda e: e[0])
    every, filtered = TurnTimeline(plays_locally=True), TurnTimeline(plays_locally=True)
    got_every: list[TurnLatency | BargeIn] = []
    got_filtered: list[TurnLatency | BargeIn] = []
    for t, direction, event in ordered:
        got_every.extend(every.feed(t, direction, event))
        kind = event["type"]
        if direction != "in":
            got_filtered.extend(filtered.feed(t, direction, event))
        elif kind in filtered.wants:  # as Session.receive does
            filtered.wants[kind](t, event)
            got_filtered.extend(filtered.take())
    got_every.extend(every.finish())
    got_filtered.extend(filtered.finish())
    assert got_filtered == got_every
