"""What one session's state makes of recorded events, without a terminal."""

from __future__ import annotations

from tests.ui.observer.recorded import FIXTURES, events
from voicechat.eventlog.record import LogRecord
from voicechat.ui.observer.model import ObserverModel
from voicechat.ui.observer.session_state import MAX_TURNS, SessionState


def state_of(name: str) -> SessionState:
    state = SessionState("s", "s", "sideband", 0.0)
    for item in events("s", FIXTURES / name):
        state.add_record(item.record)
    return state


def test_cancelled_responses_keep_their_reason_and_cut_replies_their_position() -> None:
    state = state_of("beta_webrtc_bill_negotiation_long.jsonl")  # 12 responses, 8 cancelled
    statuses = [(r.status, r.reason) for r in state.responses.values()]
    assert len(statuses) == 12
    assert statuses.count(("cancelled", "turn_detected")) == 8
    assert ("completed", "") in statuses
    notes = [t.note for t in state.turns.values() if t.note.startswith("cut off")]
    assert {"cut off at 4000 ms", "cut off at 0 ms", "cut off at 20 ms"} <= set(notes)
    users = [t for t in state.turns.values() if t.role == "user" and t.text]
    assert len(users) == 12 and all(t.final for t in users)  # typed "Hello!" + 11 spoken
    assert len(state.segments) >= 11 and all(s.stopped_t is not None for s in state.segments)


def test_wire_text_is_made_printable_and_state_stays_bounded() -> None:
    state = SessionState("s", "s", "websocket", 0.0)
    for i in range(MAX_TURNS + 20):
        state.add_record(LogRecord(float(i), "", "in", {
            "type": "response.output_text.delta", "response_id": "r", "item_id": f"item_{i}",
            "delta": "\x1b[2Jred\x07"}))
    assert len(state.turns) == MAX_TURNS
    turn = next(iter(state.turns.values()))
    assert turn.text == "\\x1b[2Jred\\x07" and "\x1b" not in turn.text


def test_events_before_their_session_opened_are_kept_and_closing_is_recorded() -> None:
    from voicechat.observe.feed import ObservedEvent, SessionClosed, SessionOpened

    model = ObserverModel()
    record = LogRecord(0.0, "", "in", {"type": "input_audio_buffer.speech_started",
                                       "item_id": "item_1", "audio_start_ms": 100})
    assert model.apply(ObservedEvent("ws-1", record)) == "ws-1"
    model.apply(SessionOpened("ws-1", "ws-1 \x1b[31mGA", "websocket", 0.0))
    model.apply(SessionClosed("ws-1", "upstream", "1011 server error", 2.0))
    assert model.order == ["ws-1"] and len(model.sessions["ws-1"].segments) == 1
    assert model.selector_label("ws-1") == (
        "1. ws-1 \\x1b[31mGA  ✕ closed by upstream: 1011 server error")


def test_the_real_calls_are_transcript_lines_waiting_for_their_output() -> None:
    """Both real recordings end with a call the app never answered (realtime-tools.md F7)."""
    for name, text in (("beta_webrtc_bill_negotiation_long.jsonl",
                        'transferToSupervisor {"destination_agent_name":"marco_supervisor_biller'),
                       ("ga_webrtc_persona_hangs_up.json", "hang_up {}")):
        calls = [t for t in state_of(name).turns.values() if t.role == "call"]
        assert len(calls) == 1 and calls[0].text.startswith(text)
        assert not calls[0].final and not calls[0].result and calls[0].done_t is not None


def test_a_call_answered_only_as_the_servers_echo_still_gets_its_output() -> None:
    """The sideband (``voicechat watch``) sees server events only."""
    from tests.eventlog.tool_turns import function_turn, records

    state = SessionState("s", "s", "sideband", 0.0)
    for record in records([s for s in function_turn(answer_after=0.75) if s[1] == "in"]):
        state.add_record(record)
    (call,) = state.turns.values()
    assert call.final and call.result.endswith("(27 bytes, 0.80 s)")


def test_history_seeded_by_the_app_shows_its_call_without_a_made_up_time() -> None:
    """A reconnecting app seeds its old call and output into the new session: the call and
    its output show, but the model did not just make that call, so no time is said."""
    call = {"id": "item_H1", "type": "function_call", "name": "lookup", "call_id": "call_h",
            "status": "completed", "arguments": "{}"}
    output = {"type": "function_call_output", "call_id": "call_h", "output": "42"}
    state = SessionState("s", "s", "websocket", 0.0)
    for t, direction, event in (
            (0.0, "out", {"type": "conversation.item.create", "item": call}),
            (0.1, "in", {"type": "conversation.item.added", "item": call}),
            (0.2, "out", {"type": "conversation.item.create", "item": output})):
        state.add_record(LogRecord(t, "", direction, event))  # type: ignore[arg-type]
    (turn,) = state.turns.values()
    assert (turn.role, turn.text, turn.result, turn.final) == (
        "call", "lookup {}", '"42" (2 bytes)', True)


def test_gemini_frames_make_a_transcript_with_tool_calls() -> None:
    """A proxied Gemini Live session: frames as they came (no ``type``, no ids), in either
    spelling; each model turn ends at ``turnComplete``."""
    state = SessionState("ws-1", "ws-1 Google Gemini Live", "websocket", 0.0)
    frames: list[tuple[str, dict[str, object]]] = [
        ("local", {"type": "local.proxy.session", "detail": "/ws/x"}),
        ("out", {"setup": {"model": "models/gemini-live"}}),
        ("in", {"setupComplete": {}}),
        ("in", {"serverContent": {"inputTranscription": {"text": "What time "}}}),
        ("in", {"server_content": {"input_transcription": {"text": "is it?"}}}),
        ("in", {"toolCall": {"functionCalls": [{"id": "c1", "name": "get_time",
                                                "args": {"zone": "UTC"}}]}}),
        ("out", {"toolResponse": {"functionResponses": [{"id": "c1", "name": "get_time",
                                                         "response": {"time": "12:00"}}]}}),
        ("in", {"serverContent": {"outputTranscription": {"text": "It is "}}}),
        ("in", {"serverContent": {"modelTurn": {"parts": [{"text": "noon.\n"}]}}}),
        ("in", {"serverContent": {"turnComplete": True}}),
        ("in", {"serverContent": {"outputTranscription": {"text": "Anything"}}}),
        ("in", {"serverContent": {"interrupted": True}}),
    ]
    for i, (direction, frame) in enumerate(frames):
        state.add_record(LogRecord(t=i / 10, ts="", dir=direction,  # type: ignore[arg-type]
                                   event=dict(frame)))
    shown = [(t.role, t.text, t.final, t.note) for t in state.turns.values()]
    assert shown[0] == ("user", "What time is it?", True, "")
    assert shown[1][0] == "call" and "get_time" in shown[1][1] and "UTC" in shown[1][1]
    assert "12:00" in list(state.turns.values())[1].result
    assert shown[2] == ("assistant", "It is noon.", True, "")
    assert shown[3] == ("assistant", "Anything", True, "interrupted")
