"""The Gemini Live core's rules, one at a time: setup, turns from transcripts, tools,
interruption, goAway and resumption, close codes."""

from __future__ import annotations

from tests.core.gemini.harness import Core
from voicechat.core.actions import CancelTool, FlushPlayback, Notice, RunTool, Send
from voicechat.core.gemini import (
    Connected,
    ConnectFailed,
    ConnectionClosed,
    GeminiPolicy,
    Hangup,
    MicAudio,
    Reconnect,
    TurnEnded,
    TypedImage,
    TypedText,
)
from voicechat.core.inputs import ToolFinished
from voicechat.protocol.gemini import names, server_messages
from voicechat.protocol.gemini import server_messages as sm
from voicechat.protocol.gemini.validation import validate_client_message

TOOL = {"name": "get_time", "description": "The time.", "parameters": {"type": "object"}}


def test_setup_first_with_the_users_settings_and_every_default_on() -> None:
    core = Core(GeminiPolicy(model="gemini-live", voice="Kore", instructions="Be brief.",
                             tools=(TOOL,)))
    assert core.session.start(0.0) == []
    (send,) = core.inp(Connected())
    assert isinstance(send, Send)
    setup = send.event[names.SETUP]
    assert validate_client_message(send.event, setup_done=False) is None
    assert setup["model"] == "models/gemini-live"
    assert setup["generationConfig"]["speechConfig"]["voiceConfig"]["prebuiltVoiceConfig"] == {
        "voiceName": "Kore"}
    assert setup["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert setup["tools"] == [{"functionDeclarations": [TOOL]}]
    assert setup["inputAudioTranscription"] == {} and setup["outputAudioTranscription"] == {}
    assert setup["contextWindowCompression"] == {"slidingWindow": {}}
    assert setup["sessionResumption"] == {}


def test_typed_text_waits_for_setup_complete_and_mic_audio_is_dropped_meanwhile() -> None:
    core = Core()
    core.session.start(0.0)
    core.inp(Connected())
    assert core.inp(MicAudio("AAAA")) == []
    assert core.inp(TypedText("Hello")) == [TurnEnded("user", "Hello", 0, typed=True)]
    (typed,) = core.frame(sm.setup_complete())
    assert isinstance(typed, Send) and names.CLIENT_CONTENT in typed.event
    (audio,) = core.inp(MicAudio("AAAA"))
    assert isinstance(audio, Send)
    assert audio.event[names.REALTIME_INPUT][names.AUDIO]["mimeType"] == "audio/pcm;rate=16000"


def test_fragments_make_one_user_line_and_one_assistant_line_per_turn() -> None:
    core = Core().ready()
    for piece in ("Turn on ", "the lights."):
        core.frame(sm.input_transcription(piece))
    assert core.lines() == []
    core.frame(sm.output_transcription("You said: "))
    assert core.lines() == [("user", "Turn on the lights.")]  # said when the answer begins
    core.frame(sm.model_audio("AAAA"))
    core.frame(sm.output_transcription("turn on the lights."))
    core.frame(sm.generation_complete())
    core.frame(sm.turn_complete())
    assert core.lines() == [("user", "Turn on the lights."),
                            ("assistant", "You said: turn on the lights.")]
    assert core.session.view().turns_completed == 1


def test_interrupted_flushes_playback_and_closes_the_turn_at_once() -> None:
    core = Core().ready()
    core.inp(TypedText("Count."))
    core.frame(sm.output_transcription("One two"))
    got = core.frame(sm.interrupted())
    assert got[0] == FlushPlayback()
    assert got[1] == TurnEnded("assistant", "One two", 0, interrupted=True)
    core.frame(sm.input_transcription("Stop."))
    core.frame(sm.turn_complete())
    core.frame(sm.output_transcription("Yes?"))
    core.frame(sm.turn_complete())
    assert core.lines()[-2:] == [("user", "Stop."), ("assistant", "Yes?")]


def test_a_tool_call_runs_and_is_answered_once() -> None:
    core = Core().ready()
    got = core.frame(sm.tool_call([("c1", "get_time", {"zone": "UTC"})]))
    assert got == [RunTool("c1", "get_time", {"zone": "UTC"})]
    (send,) = core.inp(ToolFinished("c1", "12:00"))
    assert send == Send({names.TOOL_RESPONSE: {"functionResponses": [
        {"id": "c1", "name": "get_time", "response": {"output": "12:00"}}]}})
    assert core.inp(ToolFinished("c1", "again")) == []
    assert validate_client_message(send.event, setup_done=True) is None


def test_a_withdrawn_call_is_stopped_and_its_late_result_dropped() -> None:
    core = Core().ready()
    core.frame(sm.tool_call([("c1", "slow", {})]))
    assert core.frame(sm.tool_call_cancellation(["c1"])) == [
        CancelTool("c1", "the model withdrew the call")]
    assert core.inp(ToolFinished("c1", "late")) == []
    assert core.sent(names.TOOL_RESPONSE) == []


def test_a_call_in_an_interrupted_turn_is_answered_without_running() -> None:
    core = Core().ready()
    core.frame(sm.interrupted())
    got = core.frame(sm.tool_call([("c1", "get_time", {})]))
    assert not any(isinstance(a, RunTool) for a in got)
    (answer,) = core.sent(names.TOOL_RESPONSE)
    assert "error" in answer[names.TOOL_RESPONSE]["functionResponses"][0]["response"]


def test_a_tool_that_times_out_is_answered_and_cancelled() -> None:
    core = Core(GeminiPolicy(tool_timeout_s=5.0)).ready()
    core.frame(sm.tool_call([("c1", "slow", {})]))
    assert core.session.next_deadline() == 5.0
    got = core.tick(5.0)
    assert isinstance(got[0], CancelTool)
    assert core.sent(names.TOOL_RESPONSE)
    assert core.inp(ToolFinished("c1", "late")) == []


def test_go_away_when_idle_reconnects_with_the_last_handle_at_once() -> None:
    core = Core().ready()
    core.frame(sm.resumption_update("h1"))
    assert core.frame(sm.go_away(5.0)) == [Reconnect("h1", "the connection's time is up "
                                                           "(goAway)")]
    assert core.inp(ConnectionClosed(1011, "Deadline expired before operation could "
                                           "complete.")) == []  # the old socket
    (setup,) = core.inp(Connected())
    assert isinstance(setup, Send)
    assert setup.event[names.SETUP]["sessionResumption"] == {"handle": "h1"}


def test_go_away_mid_turn_waits_for_the_turn_to_end() -> None:
    core = Core().ready()
    core.frame(sm.resumption_update("h1"))
    core.frame(sm.output_transcription("Long answer"))
    assert core.frame(sm.go_away(5.0)) == []
    got = core.frame(sm.turn_complete())
    assert got[-1] == Reconnect("h1", "the connection's time is up (goAway)")


def test_go_away_mid_turn_reconnects_before_the_time_is_up() -> None:
    core = Core().ready()
    core.frame(sm.output_transcription("Long answer"))
    core.frame(sm.go_away(5.0))
    assert core.session.next_deadline() == 4.0
    assert isinstance(core.tick(4.0)[-1], Reconnect)


def test_typed_text_during_a_reconnect_goes_out_after_the_new_setup() -> None:
    core = Core().ready()
    core.frame(sm.resumption_update("h1"))
    core.frame(sm.go_away(5.0))
    core.inp(TypedText("Still there?"))
    core.inp(Connected())
    (sent,) = core.frame(sm.setup_complete())
    assert isinstance(sent, Send) and names.CLIENT_CONTENT in sent.event
    assert core.session.view().connections == 2


def test_an_unexpected_1011_is_resumed_with_a_notice_that_says_why() -> None:
    core = Core().ready()
    core.frame(sm.resumption_update("h1"))
    got = core.inp(ConnectionClosed(1011, "Internal error"))
    assert isinstance(got[0], Notice) and "1011" in got[0].message and "Fix:" in got[0].message
    assert got[-1] == Reconnect("h1", "the connection closed")


def test_1007_and_1008_end_the_conversation_with_the_fix() -> None:
    for code, word in ((1007, "mimeType"), (1008, "Live model")):
        core = Core().ready()
        got = core.inp(ConnectionClosed(code, "bad"))
        (notice,) = got
        assert isinstance(notice, Notice) and notice.level == "error"
        assert f"close code {code}" in notice.message and word in notice.message
        assert core.session.view().state == "failed"
        assert core.inp(TypedText("hello?")) == []


def test_a_refused_resume_starts_a_fresh_session_once() -> None:
    core = Core().ready()
    core.frame(sm.resumption_update("h1"))
    core.frame(sm.go_away(1.0))
    core.inp(Connected())
    got = core.inp(ConnectionClosed(1007, "handle"))
    assert isinstance(got[0], Notice) and got[-1] == Reconnect(None, "the session handle was "
                                                                      "refused")


def test_reconnect_failures_back_off_then_give_up() -> None:
    core = Core().ready()
    core.inp(ConnectionClosed(1006))
    for _ in range(2):
        core.inp(ConnectFailed("refused"))
        assert core.session.next_deadline() is not None
        assert isinstance(core.tick(10.0)[-1], Reconnect)
    got = core.inp(ConnectFailed("refused"))
    assert got[-1] == Notice("error", got[-1].message) and "gave up" in got[-1].message


def test_hangup_closes_and_the_close_is_expected() -> None:
    core = Core().ready()
    assert [type(a).__name__ for a in core.inp(Hangup())] == ["CloseConnection"]
    assert core.inp(ConnectionClosed(1000)) == []
    assert core.session.view().state == "closed"


def test_a_close_mid_answer_still_says_what_was_heard() -> None:
    core = Core().ready()
    core.frame(server_messages.input_transcription("Hello"))
    core.frame(server_messages.output_transcription("Hi th"))
    core.inp(ConnectionClosed(1011, "Deadline expired before operation could complete."))
    assert core.lines() == [("user", "Hello"), ("assistant", "Hi th")]


def test_go_away_while_the_user_speaks_waits_for_a_pause() -> None:
    core = Core().ready()
    core.frame(sm.resumption_update("h1"))
    core.inp(MicAudio("AAAA", speech=True))
    assert core.frame(sm.go_away(10.0)) == []
    core.now += 0.5
    assert not any(isinstance(a, Reconnect) for a in core.inp(MicAudio("AAAA")))
    core.now += 0.5
    assert core.inp(MicAudio("AAAA"))[-1] == Reconnect("h1", "the connection's time is up "
                                                             "(goAway)")


def test_go_away_after_a_typed_turn_waits_for_its_answer() -> None:
    core = Core().ready()
    core.frame(sm.resumption_update("h1"))
    core.inp(TypedText("Hello"))
    assert core.frame(sm.go_away(10.0)) == []  # the answer is owed on this connection
    core.frame(sm.output_transcription("Hi."))
    assert isinstance(core.frame(sm.turn_complete())[-1], Reconnect)


def test_a_picture_is_one_typed_turn_with_inline_data() -> None:
    core = Core().ready()
    got = core.inp(TypedImage("image/png", "iVBORw0K", "What is this?"))
    assert got[0] == TurnEnded("user", "[picture] What is this?", 0, typed=True)
    assert isinstance(got[1], Send)
    assert validate_client_message(got[1].event, setup_done=True) is None
    (turn,) = got[1].event[names.CLIENT_CONTENT]["turns"]
    assert turn["parts"] == [{"inlineData": {"mimeType": "image/png", "data": "iVBORw0K"}},
                             {"text": "What is this?"}]


def test_the_open_turn_shows_its_words_so_far() -> None:
    core = Core().ready()
    core.frame(sm.input_transcription("Hel"))
    assert core.session.view().partial == (("user", "Hel"),)
    core.frame(sm.output_transcription("Hi th"))
    assert core.session.view().partial == (("assistant", "Hi th"),)  # the user's line was said
    core.frame(sm.turn_complete())
    assert core.session.view().partial == ()


def test_a_reconnect_without_a_handle_says_the_context_is_lost() -> None:
    core = Core().ready()
    got = core.frame(sm.go_away(5.0))
    assert isinstance(got[0], Notice) and "starts fresh" in got[0].message
    assert got[-1] == Reconnect(None, "the connection's time is up (goAway)")


def test_earlier_turns_are_seeded_once_after_the_first_setup() -> None:
    core = Core(GeminiPolicy(history=(("user", "Hi"), ("model", "Hello!"))))
    core.session.start(0.0)
    core.inp(Connected())
    (seed,) = core.frame(sm.setup_complete())
    assert isinstance(seed, Send)
    assert seed.event[names.CLIENT_CONTENT] == {"turns": [
        {"role": "user", "parts": [{"text": "Hi"}]},
        {"role": "model", "parts": [{"text": "Hello!"}]}], "turnComplete": False}
    core.frame(sm.resumption_update("h1"))
    core.frame(sm.go_away(5.0))
    core.inp(Connected())
    assert core.frame(sm.setup_complete()) == []  # the resumed session has it already
