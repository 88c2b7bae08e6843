"""Barge-in: confirmed by evidence (never a timer), guarded, truncating to what was played.

First through the session (what gets sent), then the machine on its own (its states and verdicts).
"""

from __future__ import annotations

import base64

from tests.core.harness import (
    Harness,
    flushed,
    mic_actions,
    notices,
    response_done,
    response_starts,
    sends,
    sent_types,
)
from voicechat.core import (
    EchoLeaking,
    MicAudio,
    MicReason,
    PlaybackDrained,
    PlaybackProgress,
    PlaybackStarted,
    SetBargeIn,
)
from voicechat.core.actions import Action, MuteMic, UnmuteMic
from voicechat.core.barge_in import INTERRUPT, NOTHING, BargeIn, BargeInState


def playing_webrtc(h: Harness, played_ms: float = 1500) -> None:
    response_starts(h, "resp_1", "item_a1", "item_u0")
    h.ev("output_audio_buffer.started", response_id="resp_1")
    h.advance(played_ms / 1000)
    h.do(PlaybackProgress("item_a1", played_ms))


def test_vad_session_asks_the_server_not_to_interrupt() -> None:
    """The client applies the guards, so the server must not cancel or clear on its own."""
    h = Harness(barge_in=True)
    [update] = sends(h.start())
    detection = update["session"]["audio"]["input"]["turn_detection"]
    assert detection == {"type": "server_vad", "create_response": True, "interrupt_response": False}


def test_confirmed_by_mic_audio_while_the_response_is_active() -> None:
    h = Harness(barge_in=True, min_user_speech_ms=300)
    h.start()
    playing_webrtc(h, 1500)
    assert h.ev("input_audio_buffer.speech_started", audio_start_ms=9000, item_id="item_u2") == []
    # 300 ms of user speech plus the 200 ms the server VAD waits before reporting a stop
    assert h.do(MicAudio(300)) == []
    assert h.do(MicAudio(190)) == []
    out = h.do(MicAudio(10))
    assert flushed(out)
    events = sends(out)
    assert [e["type"] for e in events] == [
        "response.cancel",
        "output_audio_buffer.clear",
        "conversation.item.truncate",
    ]
    assert events[0]["response_id"] == "resp_1"
    assert {k: events[2][k] for k in ("item_id", "content_index", "audio_end_ms")} == {
        "item_id": "item_a1",
        "content_index": 0,
        "audio_end_ms": 1500,
    }
    assert h.view.entries[-1].truncated
    assert h.view.vad_segments[-1].barge_in
    assert h.view.playback_spans[-1].end_reason == "interrupted"
    assert h.do(MicAudio(500)) == []  # confirmed once only


def test_confirmed_at_speech_stopped_by_segment_length() -> None:
    h = Harness(barge_in=True, min_user_speech_ms=300)
    h.start()
    playing_webrtc(h)
    h.ev("input_audio_buffer.speech_started", audio_start_ms=9000, item_id="item_u2")
    out = h.ev("input_audio_buffer.speech_stopped", audio_end_ms=9400, item_id="item_u2")
    assert "response.cancel" in sent_types(out)


def test_user_guard_ignores_a_short_blip() -> None:
    h = Harness(barge_in=True, min_user_speech_ms=300)
    h.start()
    playing_webrtc(h)
    h.ev("input_audio_buffer.speech_started", audio_start_ms=9000, item_id="item_u2")
    h.do(MicAudio(100))
    out = h.ev("input_audio_buffer.speech_stopped", audio_end_ms=9200, item_id="item_u2")
    assert sent_types(out) == [] and not flushed(out)
    assert "below min_user_speech_ms" in notices(out, "info")[0]
    h.advance(5.0)  # no timer ever turns the blip into a cancel
    assert "response.cancel" not in sent_types(h.actions)


def test_assistant_guard_ignores_speech_right_after_playback_starts() -> None:
    h = Harness(barge_in=True, min_assistant_speech_ms=500)
    h.start()
    playing_webrtc(h, 200)
    out = h.ev("input_audio_buffer.speech_started", audio_start_ms=9000, item_id="item_u2")
    assert "self-interruption guard" in notices(out, "info")[0]
    out = h.do(MicAudio(2000))
    assert sent_types(out) == [] and not flushed(out)


def test_leaking_echo_never_barges_in_and_is_told_once_with_the_fix() -> None:
    """Residual echo: speech over the assistant is its own voice; no self-interruption loop."""
    h = Harness(barge_in=True, min_user_speech_ms=300)
    h.start()
    playing_webrtc(h)
    out = h.do(EchoLeaking(True))
    [warning] = notices(out, "warning")
    assert "headphones" in warning and "--no-barge-in" in warning
    # the echo must not reach the server's VAD either: muted for playback while it leaks
    assert mic_actions(out) == [MuteMic(MicReason.PLAYBACK)] and not h.view.mic_open
    for n in range(5):  # the echo keeps starting "speech"; none of it interrupts
        h.ev("input_audio_buffer.speech_started", audio_start_ms=9000 + n, item_id=f"u{n}")
        out = h.do(MicAudio(3000))
        out += h.ev("input_audio_buffer.speech_stopped", audio_end_ms=12000 + n, item_id=f"u{n}")
        assert sent_types(out) == [] and not flushed(out) and notices(out) == []
    out = h.do(EchoLeaking(False))
    assert notices(out) == [] and mic_actions(out) == [UnmuteMic()]  # barge-in by voice again
    assert notices(h.do(EchoLeaking(True))) == []  # said once per session, not per episode
    h.do(EchoLeaking(False))
    # echo cancelled again: a real interruption works as before
    h.ev("input_audio_buffer.speech_started", audio_start_ms=20000, item_id="item_u9")
    assert "response.cancel" in sent_types(h.do(MicAudio(500)))


def test_a_leak_drops_the_barge_in_pending_on_echo() -> None:
    h = Harness(barge_in=True, min_user_speech_ms=300)
    h.start()
    playing_webrtc(h)
    h.ev("input_audio_buffer.speech_started", audio_start_ms=9000, item_id="item_u2")
    h.do(MicAudio(300))
    h.do(EchoLeaking(True))
    out = h.do(MicAudio(1000))
    out += h.ev("input_audio_buffer.speech_stopped", audio_end_ms=10400, item_id="item_u2")
    assert sent_types(out) == [] and not flushed(out)


def test_no_cancel_when_generation_already_finished() -> None:
    """WebSocket: the answer is fully generated but still playing; truncate only."""
    h = Harness(barge_in=True, transport="websocket")
    h.start()
    response_starts(h, "resp_1", "item_a1", None)
    chunk = base64.b64encode(bytes(48 * 500)).decode()  # 500 ms of pcm16 at 24 kHz
    for _ in range(4):
        h.ev(
            "response.output_audio.delta",
            response_id="resp_1",
            item_id="item_a1",
            output_index=0,
            content_index=0,
            delta=chunk,
        )
    response_done(h, "resp_1", "item_a1", "a two second answer")
    h.do(PlaybackStarted("item_a1"))
    h.advance(1.2)
    h.do(PlaybackProgress("item_a1", 1234.6))
    h.ev("input_audio_buffer.speech_started", audio_start_ms=100, item_id="item_u2")
    out = h.do(MicAudio(600))
    assert flushed(out)
    events = sends(out)
    assert [e["type"] for e in events] == ["conversation.item.truncate"]
    assert events[0]["audio_end_ms"] == 1234


def test_truncate_never_exceeds_the_audio_received() -> None:
    h = Harness(barge_in=True, transport="websocket")
    h.start()
    response_starts(h, "resp_1", "item_a1", None)
    chunk = base64.b64encode(bytes(48 * 300)).decode()  # 300 ms
    h.ev(
        "response.output_audio.delta",
        response_id="resp_1",
        item_id="item_a1",
        output_index=0,
        content_index=0,
        delta=chunk,
    )
    h.do(PlaybackStarted("item_a1"))
    h.advance(1.0)
    h.do(PlaybackProgress("item_a1", 900))  # a runtime over-reporting must not leak through
    h.ev("input_audio_buffer.speech_started", audio_start_ms=100, item_id="item_u2")
    out = h.do(MicAudio(600))
    [truncate] = [e for e in sends(out) if e["type"] == "conversation.item.truncate"]
    assert truncate["audio_end_ms"] == 300


def test_g711_audio_is_measured_at_8_bytes_per_ms() -> None:
    h = Harness(barge_in=True, transport="websocket")
    h.start()
    h.ev(
        "session.updated",
        session={"type": "realtime", "audio": {"output": {"format": {"type": "audio/pcmu"}}}},
    )
    response_starts(h, "resp_1", "item_a1", None)
    h.ev(
        "response.output_audio.delta",
        response_id="resp_1",
        item_id="item_a1",
        delta=base64.b64encode(bytes(8 * 250)).decode(),
    )
    h.do(PlaybackStarted("item_a1"))
    h.advance(1.0)
    h.do(PlaybackProgress("item_a1", 1000))
    h.ev("input_audio_buffer.speech_started", audio_start_ms=100, item_id="item_u2")
    out = h.do(MicAudio(600))
    [truncate] = [e for e in sends(out) if e["type"] == "conversation.item.truncate"]
    assert truncate["audio_end_ms"] == 250


def test_barge_in_off_never_interrupts() -> None:
    h = Harness(barge_in=False)
    h.start()
    playing_webrtc(h)
    h.ev("input_audio_buffer.speech_started", audio_start_ms=9000, item_id="item_u2")
    out = h.do(MicAudio(3000))
    out += h.ev("input_audio_buffer.speech_stopped", audio_end_ms=12000, item_id="item_u2")
    assert sent_types(out) == [] and not flushed(out)


def test_turning_barge_in_off_drops_a_pending_barge_in() -> None:
    h = Harness(barge_in=True)
    h.start()
    playing_webrtc(h)
    h.ev("input_audio_buffer.speech_started", audio_start_ms=9000, item_id="item_u2")
    h.do(SetBargeIn(False))
    out = h.do(MicAudio(3000))
    assert sent_types(out) == []


def test_speech_while_generating_before_playback_cancels_without_clear() -> None:
    h = Harness(barge_in=True)
    h.start()
    response_starts(h, "resp_1", "item_a1", None)
    h.ev("input_audio_buffer.speech_started", audio_start_ms=100, item_id="item_u2")
    out = h.do(MicAudio(600))
    events = sends(out)
    assert [e["type"] for e in events] == ["response.cancel", "conversation.item.truncate"]
    assert events[1]["audio_end_ms"] == 0  # nothing was heard


def test_drained_playback_with_no_response_cancels_nothing() -> None:
    h = Harness(barge_in=True, transport="websocket")
    h.start()
    h.do(PlaybackStarted("item_a1"))
    h.do(PlaybackDrained())
    out = h.ev("input_audio_buffer.speech_started", audio_start_ms=100, item_id="item_u2")
    out += h.do(MicAudio(1000))
    assert sent_types(out) == [] and not flushed(out)


def test_guards_follow_the_session_vad_settings() -> None:
    """Longer server silence means more mic audio before confirming; padding is not speech."""
    h = Harness(barge_in=True, min_user_speech_ms=300)
    h.start()
    h.ev(
        "session.updated",
        session={
            "type": "realtime",
            "audio": {
                "input": {
                    "turn_detection": {
                        "type": "server_vad",
                        "silence_duration_ms": 700,
                        "prefix_padding_ms": 300,
                    }
                }
            },
        },
    )
    playing_webrtc(h)
    h.ev("input_audio_buffer.speech_started", audio_start_ms=9000, item_id="item_u2")
    assert sent_types(h.do(MicAudio(900))) == []
    out = h.ev("input_audio_buffer.speech_stopped", audio_end_ms=9500, item_id="item_u2")
    assert sent_types(out) == []  # 500 ms segment, 300 of them padding: 200 ms of speech
    h.ev("input_audio_buffer.speech_started", audio_start_ms=9600, item_id="item_u3")
    assert sent_types(h.do(MicAudio(990))) == []
    assert "response.cancel" in sent_types(h.do(MicAudio(10)))


# --- the machine on its own ---------------------------------------------------------------------


def machine(**kw: float | bool) -> BargeIn:
    settings: dict[str, float | bool] = {
        "enabled": True,
        "vad": True,
        "min_assistant_speech_ms": 500,
        "min_user_speech_ms": 300,
    }
    settings.update(kw)
    return BargeIn(**settings)  # type: ignore[arg-type]


def speak(b: BargeIn, now: float = 10.0, *, since: float | None = 8.0, speaking: bool = True):
    return b.speech_started(
        now, "item_u1", 9000, assistant_speaking=speaking, playing_since=since
    )


def test_states_follow_the_switch_and_the_mode() -> None:
    assert machine(enabled=False).state is BargeInState.OFF
    assert machine(vad=False).state is BargeInState.OFF  # push-to-talk: the key interrupts
    b = machine()
    assert b.state is BargeInState.IDLE
    assert speak(b) == NOTHING and b.state is BargeInState.PENDING
    b.set_enabled(False)
    assert b.state is BargeInState.OFF
    b.set_enabled(True)
    assert b.state is BargeInState.IDLE  # the pending one did not survive the switch


def test_off_or_silent_assistant_never_pends() -> None:
    for b in (machine(enabled=False), machine(vad=False)):
        assert speak(b) == NOTHING and b.mic_audio(5000) == NOTHING
    b = machine()
    assert speak(b, speaking=False) == NOTHING and b.state is BargeInState.IDLE


def test_residual_echo_guard_in_the_machine() -> None:
    b = machine()
    assert speak(b) == NOTHING and b.state is BargeInState.PENDING
    b.set_echo_leaking(True)
    assert b.state is BargeInState.IDLE  # the pending speech was most likely echo
    assert speak(b) == NOTHING and b.state is BargeInState.IDLE
    assert b.mic_audio(5000) == NOTHING and b.speech_stopped(5000, None) == NOTHING
    b.set_echo_leaking(False)
    assert speak(b) == NOTHING and b.state is BargeInState.PENDING
    assert b.mic_audio(500) == INTERRUPT


def test_assistant_guard_uses_the_time_passed_in() -> None:
    b = machine(min_assistant_speech_ms=500)
    verdict = speak(b, now=10.2, since=10.0)
    assert not verdict.interrupt and verdict.ignored is not None
    assert "played only 200 ms" in verdict.ignored and b.state is BargeInState.IDLE
    assert speak(b, now=10.5, since=10.0) == NOTHING and b.state is BargeInState.PENDING
    b.drop()
    assert speak(b, since=None) == NOTHING  # generating, nothing played yet: no guard


def test_mic_audio_confirms_after_user_speech_plus_vad_silence() -> None:
    b = machine(min_user_speech_ms=300)
    speak(b)
    assert b.mic_audio(499) == NOTHING
    assert b.mic_audio(1) == INTERRUPT  # 300 + the 200 ms server_vad default
    assert b.state is BargeInState.IDLE and b.mic_audio(1000) == NOTHING  # once only


def test_vad_timings_from_the_server_move_the_thresholds() -> None:
    b = machine(min_user_speech_ms=300)
    b.follow_vad(700, 300)
    b.follow_vad(None, -5)  # not given or nonsense: unchanged
    assert (b.silence_ms, b.padding_ms) == (700, 300)
    speak(b)
    assert b.mic_audio(999) == NOTHING and b.mic_audio(1) == INTERRUPT
    speak(b)
    verdict = b.speech_stopped(500, 9500)  # 500 ms segment, 300 of it padding
    assert verdict.ignored == (
        "speech ignored: 200 ms of speech is below min_user_speech_ms (self-interruption guard)"
    )
    speak(b)
    assert b.speech_stopped(600, 9600) == INTERRUPT


def test_speech_stopped_measures_from_the_pending_start_when_needed() -> None:
    b = machine(min_user_speech_ms=300)
    assert b.speech_stopped(1000, 10000) == NOTHING  # nothing pending
    speak(b)  # started at audio 9000 ms
    assert b.speech_stopped(None, 9400) == INTERRUPT
    speak(b)
    verdict = b.speech_stopped(None, None)
    assert verdict.ignored is not None and "unmeasured speech" in verdict.ignored


def test_no_user_minimum_interrupts_at_once() -> None:
    b = machine(min_user_speech_ms=0)
    assert speak(b) == INTERRUPT and b.state is BargeInState.IDLE


def _say(h: Harness, text: str) -> None:
    for word in text.split(" "):
        h.ev("response.output_audio_transcript.delta", response_id="resp_1", item_id="item_a1",
             output_index=0, content_index=0, delta=word + " ")


def test_the_cut_entry_says_what_was_heard_websocket() -> None:
    """Issue 36: the transcript kept the whole answer plus "cut off"; the user heard (and the
    model keeps) only what played. Over WebSocket the audio received is known: 1 s of 4 s."""
    h = Harness(barge_in=True, transport="websocket")
    h.start()
    response_starts(h, "resp_1", "item_a1", None)
    _say(h, "one two three four five six seven eight")
    h.ev("response.output_audio.delta", response_id="resp_1", item_id="item_a1",
         output_index=0, content_index=0, delta=base64.b64encode(bytes(48 * 4000)).decode())
    h.do(PlaybackStarted("item_a1"))
    h.advance(1.0)
    h.do(PlaybackProgress("item_a1", 1000))
    h.ev("input_audio_buffer.speech_started", audio_start_ms=100, item_id="item_u2")
    h.do(MicAudio(600))
    entry = h.view.entries[-1]
    assert entry.truncated and entry.text.strip() == "one two three four five six seven eight"
    assert entry.heard is not None and entry.heard.split() == ["one", "two"]


def test_the_cut_entry_says_what_was_heard_webrtc_estimated_from_the_text() -> None:
    h = Harness(barge_in=True, min_user_speech_ms=300)
    h.start()
    response_starts(h, "resp_1", "item_a1", "item_u0")
    h.ev("output_audio_buffer.started", response_id="resp_1")
    text = "this answer is long enough to take about four seconds to say aloud"
    _say(h, text)  # 66 characters: about 4.7 s at 14 characters a second
    h.advance(1.5)
    h.do(PlaybackProgress("item_a1", 1500))
    h.ev("input_audio_buffer.speech_started", audio_start_ms=9000, item_id="item_u2")
    h.do(MicAudio(500))
    entry = h.view.entries[-1]
    assert entry.truncated and entry.heard is not None
    assert text.startswith(entry.heard) and 0 < len(entry.heard.split()) < len(text.split())


def spoke_over_the_answer(end_ms: int) -> tuple[Harness, list[Action]]:
    """A session whose caller spoke from 9000 ms to ``end_ms`` over a playing answer, the
    turn committed while that answer was still active; what the speech's end did."""
    h = Harness(barge_in=True, min_user_speech_ms=300)
    h.start()
    playing_webrtc(h)
    h.ev("input_audio_buffer.speech_started", audio_start_ms=9000, item_id="item_u2")
    out = h.ev("input_audio_buffer.speech_stopped", audio_end_ms=end_ms, item_id="item_u2")
    h.ev("input_audio_buffer.committed", item_id="item_u2", previous_item_id="item_a1")
    return h, out


def test_a_turn_committed_under_the_answer_it_cut_is_answered() -> None:
    """The caller spoke on over an answer: the server committed the turn while that answer was
    still active, so its VAD made no response for it (the local server skips one while
    another runs), and the client's barge-in then cancelled the answer. Nobody answered the
    words the caller said: the test run waited 30 s and failed (issue 77's chance failures).
    Once the cut answer is done, the client asks for the answer itself."""
    h, out = spoke_over_the_answer(9400)
    assert "response.cancel" in sent_types(out)
    out = response_done(h, "resp_1", "item_a1", "It is sunny", status="cancelled",
                        reason="client_cancelled")
    assert sent_types(out).count("response.create") == 1


def test_no_answer_is_asked_for_when_the_caller_speaks_again_before_the_cut_ends() -> None:
    """The server's VAD split one long utterance: its first part was committed under the
    answer, the second began before the cut answer's ``response.done``. The server answers the
    second part's commit itself; asked for here too, that answer began under the caller's
    voice and was cut at once (a fresh-clone run's examples over WebSocket failed on the
    doctor's ``client-cancelled-response``, issue 77)."""
    h, out = spoke_over_the_answer(9400)
    assert "response.cancel" in sent_types(out)
    h.ev("input_audio_buffer.speech_started", audio_start_ms=9450, item_id="item_u3")
    out = response_done(h, "resp_1", "item_a1", "It is sunny", status="cancelled",
                        reason="client_cancelled")
    assert "response.create" not in sent_types(out)


def test_no_second_answer_when_the_server_answers_the_turn_itself() -> None:
    """A server that answers the turn itself (its own response after the commit) is not
    asked again; and speech the guards took for a blip asks for nothing."""
    h, _ = spoke_over_the_answer(9400)
    h.ev("response.created", response={"id": "resp_2", "status": "in_progress", "output": []})
    response_done(h, "resp_1", "item_a1", "It is sunny", status="cancelled")
    assert "response.create" not in sent_types(h.actions)

    blip, out = spoke_over_the_answer(9100)
    assert "response.cancel" not in sent_types(out)
    response_done(blip, "resp_1", "item_a1", "It is sunny and warm")
    assert "response.create" not in sent_types(blip.actions)
