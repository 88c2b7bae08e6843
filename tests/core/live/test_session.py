"""The GPT-Live core, one rule at a time: lifecycle, turns, playback, appends, delegations."""

from __future__ import annotations

import json

import pytest
from openai.types.live import ClientEvent
from pydantic import TypeAdapter

from tests.core.live.harness import LiveHarness, flushed, notices, sent
from voicechat.core.actions import RunTool
from voicechat.core.inputs import ToolFinished, TransportState
from voicechat.core.live import (
    Append,
    CancelDelegation,
    CloseSession,
    DelegationFinished,
    DelegationProgress,
    LivePolicy,
    MicStream,
    PlaybackFlushed,
    PlaybackProgress,
    RunDelegation,
    StopAssistant,
    ToggleMute,
    session_config,
)

CLIENT_EVENT = TypeAdapter(ClientEvent)


def mic_modes(actions: list[object]) -> list[str]:
    return [a.mode for a in actions if isinstance(a, MicStream)]


def check_sdk(actions: list[object]) -> None:
    """Every event the core sends is a valid SDK ``ClientEvent``."""
    for event in sent(actions):  # type: ignore[arg-type]
        CLIENT_EVENT.validate_python(json.loads(json.dumps(event)))


# --- lifecycle -----------------------------------------------------------------------------------


def test_websocket_start_sends_only_the_fields_that_were_set() -> None:
    h = LiveHarness(instructions="Be brief.", voice="cedar")
    actions = h.start()
    (start,) = sent(actions)
    assert start["type"] == "session.start"
    assert start["session"] == {"model": "gpt-live-1", "instructions": "Be brief.",
                                "audio": {"output": {"voice": "cedar"}}}
    assert mic_modes(actions) == ["hold"]
    check_sdk(actions)


def test_webrtc_sends_no_session_start_and_its_config_has_no_audio_format() -> None:
    h = LiveHarness(transport="webrtc", audio_format={"type": "audio/pcm", "rate": 24000})
    assert sent(h.start()) == []
    assert "audio" not in h.session.session_config()
    ws = session_config(LivePolicy(audio_format={"type": "audio/pcm", "rate": 16000}))
    assert ws["audio"] == {"format": {"type": "audio/pcm", "rate": 16000}}


def test_session_started_opens_the_mic_and_records_the_session() -> None:
    h = LiveHarness()
    h.start()
    assert mic_modes(h.started("live_42")) == ["live"]
    view = h.session.view()
    assert (view.state, view.session_id, view.expires_at) == ("active", "live_42", 7200)


def test_an_error_before_session_started_is_a_failed_start() -> None:
    h = LiveHarness()
    h.start()
    actions = h.ev("error", error={"type": "invalid_request_error", "code": "unknown_parameter",
                                   "message": "Unknown parameter: 'session.temperature'.",
                                   "param": "session.temperature"})
    assert h.session.state == "failed"
    assert mic_modes(actions) == ["hold"]
    assert "session.temperature" in notices(actions, "error")[0]


def test_commands_given_before_the_start_go_out_after_it() -> None:
    h = LiveHarness()
    h.start()
    assert sent(h.do(Append("instructions", "Greet the user."))) == []
    h.do(ToggleMute())
    actions = h.started()
    assert [e["type"] for e in sent(actions)] == ["session.input_audio.mute",
                                                  "session.instructions.append"]
    assert mic_modes(actions) == ["silence"]
    check_sdk(actions)


def test_close_is_confirmed_by_session_closed_with_its_usage() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    assert [e["type"] for e in sent(h.do(CloseSession()))] == ["session.close"]
    actions = h.ev("session.closed", reason="close_requested", usage={"seconds": 12.5},
                   session={"id": "live_1"})
    assert notices(actions, "warning") == []
    assert h.session.view().usage_seconds == 12.5
    assert mic_modes(actions) == ["hold"]


def test_a_close_requested_we_never_asked_for_is_not_a_success() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    actions = h.ev("session.closed", reason="close_requested", usage={"seconds": 3})
    assert "never asked for" in notices(actions, "warning")[0]


def test_a_transport_closing_without_session_closed_leaves_usage_unconfirmed() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    actions = h.do(TransportState("closed"))
    assert "unconfirmed" in notices(actions, "warning")[0]
    assert h.session.state == "closed"


def test_usage_is_cumulative_and_never_summed() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    h.ev("session.usage.updated", usage={"seconds": 12.0})
    h.ev("session.usage.updated", usage={"seconds": 25.0}, context_window={"usage_ratio": 0.1})
    view = h.session.view()
    assert (view.usage_seconds, view.context_ratio) == (25.0, 0.1)


# --- turns ---------------------------------------------------------------------------------------


def test_fragments_become_turns_and_a_reply_closes_the_question() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    h.user("What is ", 0, 300)
    h.user("the time?", 300, 700)
    h.now = 1.0
    h.assistant("It is ", 1400, 1700)
    h.assistant("noon.", 1700, 2000)
    turns = h.session.view().turns
    assert [(t.speaker, t.text, t.closed) for t in turns] == [
        ("user", "What is the time?", True), ("assistant", "It is noon.", False)]


def test_a_backchannel_overlap_keeps_the_users_turn_open() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    h.user("I want to book ", 0, 800)
    h.assistant("Mm-hmm.", 900, 1100)  # within 500 ms of the user's last words
    h.user("a table for two.", 1100, 2000)
    turns = h.session.view().turns
    assert [(t.speaker, t.text) for t in turns] == [
        ("user", "I want to book a table for two."), ("assistant", "Mm-hmm.")]


def test_a_late_user_fragment_joins_the_turn_it_belongs_to() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    h.user("Hello ", 0, 400)
    h.assistant("Hi there!", 1200, 1600)
    h.user("you.", 400, 700)  # transcribed after the answer began, spoken before it
    turns = h.session.view().turns
    assert [(t.speaker, t.text) for t in turns] == [("user", "Hello you."),
                                                    ("assistant", "Hi there!")]


def test_silence_closes_an_open_turn_by_deadline() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    h.user("Anyone there?", 0, 900)
    assert h.session.next_deadline() == pytest.approx(2.0)
    h.advance(2.5)
    assert h.session.view().turns[0].closed


def test_a_gap_on_the_timeline_starts_a_new_turn_of_the_same_speaker() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    h.user("One.", 0, 500)
    h.user("Two.", 5000, 5400)
    assert [t.text for t in h.session.view().turns] == ["One.", "Two."]


def test_a_malformed_fragment_is_skipped_with_a_notice() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    actions = h.ev("session.input_transcript.delta", delta="x", start_ms=500, end_ms=100)
    assert "malformed" in notices(actions, "warning")[0]
    assert h.session.view().turns == ()


# --- playback and interruptions -------------------------------------------------------------------


def test_what_was_heard_comes_from_playback_reports() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    for _ in range(20):
        h.audio()
    h.assistant("First part. ", 0, 1000)
    h.assistant("Second part.", 1000, 2000)
    h.do(PlaybackProgress(1200, audible=True))
    view = h.session.view()
    assert view.assistant_speaking
    assert view.turns[0].heard_text == "First part. Second part."
    assert (view.received_ms, view.played_ms) == (2000, 1200)


def test_flushed_audio_is_never_counted_as_heard() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    for _ in range(20):
        h.audio()
    h.assistant("Kept. ", 0, 500)
    h.assistant("Dropped.", 1000, 1500)
    h.do(PlaybackProgress(600, audible=True))
    h.do(PlaybackFlushed(1400))
    h.do(PlaybackProgress(700, audible=False))
    view = h.session.view()
    assert view.turns[0].heard_text == "Kept. "
    assert h.session.audio.heard_spans == ((0, 600),)  # the report past the end is clamped
    assert view.played_ms + view.dropped_ms <= (view.received_ms or 0)


def test_the_model_stopping_for_the_user_flushes_playback_at_once() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    for _ in range(5):
        h.audio()
    h.assistant("Let me tell you about ", 0, 500)
    h.now = 0.5
    h.user("Wait!", 400, 700)
    h.now = 0.9
    actions = h.audio(silent=True)
    assert flushed(actions)
    assistant, user = h.session.view().turns
    assert (assistant.speaker, assistant.interrupted, user.interrupted) == (
        "assistant", True, False)


def test_a_natural_end_after_an_old_backchannel_flushes_nothing() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    h.audio()
    h.now = 0.2
    h.user("Mm.", 100, 200)
    for _ in range(30):
        h.now += 0.1
        h.audio()
    assert not flushed(h.audio(silent=True))


def test_stop_flushes_and_tells_the_model() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    actions = h.do(StopAssistant())
    assert flushed(actions)
    (event,) = sent(actions, "session.instructions.append")
    assert event["delegation_id"] is None
    check_sdk(actions)


def test_a_playback_report_past_what_arrived_is_clamped() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    h.audio()
    actions = h.do(PlaybackProgress(5000, audible=True))
    assert h.session.view().played_ms == 100
    assert notices(actions, "warning")


# --- appends -------------------------------------------------------------------------------------


def test_an_append_over_the_limit_is_not_sent() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    actions = h.do(Append("instructions", "word " * 500))
    assert sent(actions) == []
    assert "500" in notices(actions, "error")[0]


def test_an_append_is_acknowledged_or_refused_by_its_event_id() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    (first,) = sent(h.do(Append("thinking", "The user is in Paris.")))
    (second,) = sent(h.do(Append("commentary", "Say hello.")))
    check_sdk(h.actions)
    h.ev("session.thinking.appended", start_ms=10, end_ms=10,
         client_event_id=first["event_id"])
    actions = h.ev("error", error={"type": "invalid_request_error", "code": "x",
                                   "message": "no", "client_event_id": second["event_id"]})
    assert "refused the commentary append" in notices(actions, "error")[0]
    assert h.session.appends.pending == {}


# --- delegations ---------------------------------------------------------------------------------


def client_task(h: LiveHarness, task_id: str = "item_d1") -> list[object]:
    return h.ev("session.delegation.created", offset_ms=1200,
                delegation={"id": task_id, "type": "delegation", "target": "client"})


def test_a_client_delegation_is_run_and_answered_by_commentary() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    h.user("What's the weather in Paris?", 0, 1000)
    (run,) = [a for a in client_task(h) if isinstance(a, RunDelegation)]
    assert run.request == "What's the weather in Paris?"
    progress = h.do(DelegationProgress("item_d1", "looking it up"))
    assert sent(progress)[0]["type"] == "session.thinking.append"
    done = h.do(DelegationFinished("item_d1", "Sunny, 21 °C."))
    (answer,) = sent(done)
    assert answer == {"type": "session.commentary.append", "event_id": answer["event_id"],
                      "content": "Sunny, 21 °C.", "delegation_id": "item_d1"}
    check_sdk(h.actions)
    assert h.session.view().tasks[0].state == "answered"


def test_a_client_delegation_never_answered_gets_a_fallback_and_is_cancelled() -> None:
    h = LiveHarness(delegation_timeout_ms=5000)
    h.start()
    h.started()
    client_task(h)
    actions = h.advance(6)
    assert any(isinstance(a, CancelDelegation) for a in actions)
    (fallback,) = sent(actions, "session.commentary.append")
    assert fallback["delegation_id"] == "item_d1"
    late = h.do(DelegationFinished("item_d1", "too late"))
    assert sent(late) == [] and notices(late)


def test_an_answer_for_a_delegation_of_another_session_is_dropped() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    actions = h.do(DelegationFinished("item_old", "result"))
    assert sent(actions) == []
    assert "unknown delegation" in notices(actions, "warning")[0]


def test_a_long_client_answer_is_cut_to_fit_one_append() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    client_task(h)
    (answer,) = sent(h.do(DelegationFinished("item_d1", "data " * 1000)))
    assert answer["content"].endswith("[cut to fit the 500-token append limit]")
    check_sdk(h.actions)


def backend(h: LiveHarness, event: dict[str, object]) -> list[object]:
    return h.ev("response.event", delegation_id="item_r1", event=event)


def test_responses_delegation_calls_get_one_output_each_then_one_create() -> None:
    h = LiveHarness(delegation={"type": "responses", "responses": {"model": "gpt-5.5"}})
    h.start()
    h.started()
    h.ev("session.delegation.created", offset_ms=10, delegation={
        "id": "item_r1", "type": "delegation", "target": "responses", "response_id": "resp_1"})
    backend(h, {"type": "response.created", "response": {"id": "resp_1"}})
    runs: list[RunTool] = []
    for call in ("call_a", "call_b"):
        actions = backend(h, {"type": "response.output_item.done", "response_id": "resp_1",
                              "item": {"type": "function_call", "call_id": call,
                                       "name": "lookup", "arguments": "{\"q\": 1}"}})
        runs += [a for a in actions if isinstance(a, RunTool)]
    assert [r.call_id for r in runs] == ["call_a", "call_b"]
    assert runs[0].arguments == {"q": 1}
    backend(h, {"type": "response.completed", "response": {"id": "resp_1", "output": []}})
    first = h.do(ToolFinished("call_a", "A"))
    assert [e["type"] for e in sent(first)] == ["response.item.create"]
    second = h.do(ToolFinished("call_b", "B"))
    assert [e["type"] for e in sent(second)] == ["response.item.create", "response.create"]
    assert sent(h.do(ToolFinished("call_b", "again"))) == []
    check_sdk(h.actions)


def test_a_failed_backend_response_gets_outputs_but_no_create() -> None:
    h = LiveHarness(delegation={"type": "responses", "responses": {"model": "gpt-5.5"}})
    h.start()
    h.started()
    backend(h, {"type": "response.output_item.done", "response_id": "resp_1",
                "item": {"type": "function_call", "call_id": "c1", "name": "f",
                         "arguments": "not json"}})
    backend(h, {"type": "response.failed", "response": {"id": "resp_1"}})
    types = [e["type"] for e in sent(h.actions)]
    assert types.count("response.item.create") == 1
    assert "response.create" not in types
