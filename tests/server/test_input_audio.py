"""Input audio rules with plain calls: VAD turns, commit, clear, append decoding, idle timeout."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pytest

from tests.helpers import Emitted as Recorder
from voicechat.protocol.errors import ProtocolError
from voicechat.server import sessions
from voicechat.server.conversation import Conversation
from voicechat.server.input_audio import InputAudio, SpeechStarted, Turn, decode_append


class FakeVad:
    def __init__(self) -> None:
        self.resets = 0
        self.closes = 0

    def reset(self) -> None:
        self.resets += 1

    def close(self) -> None:
        self.closes += 1


def make(
    td: dict[str, Any] | None = None, *, transcription: bool = False
) -> tuple[InputAudio, Conversation, Recorder, sessions.SessionState]:
    session = sessions.default_session("gpt-realtime", transcription=transcription)
    if td is not None:
        session = sessions.apply_update(session, {"audio": {"input": {"turn_detection": td}}})
    state = sessions.SessionState(session)
    out = Recorder()
    conv = Conversation(out)
    return InputAudio(state, conv, out), conv, out, state


def ms(n: int) -> np.ndarray:
    """``n`` ms of 16 kHz audio whose samples count up (to check which ones a turn holds)."""
    return (np.arange(n * 16) % 30000).astype(np.int16)


def test_vad_turn_emits_started_stopped_committed_and_item() -> None:
    audio, conv, out, _ = make()
    audio.append(ms(1000), 16000)
    started = audio.on_vad_event("speech_started", 200)
    assert started == SpeechStarted(interrupt=True)
    assert audio.on_vad_event("speech_started", 300) is None  # already speaking
    turn = audio.on_vad_event("speech_stopped", 700)
    assert isinstance(turn, Turn) and turn.respond
    assert turn.audio.size == 500 * 16 and turn.audio[0] == 200 * 16
    assert out.types() == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
    ]
    assert out.events[0]["audio_start_ms"] == 200 and out.events[1]["audio_end_ms"] == 700
    assert {e["item_id"] for e in out.events[:3]} == {turn.item_id}
    assert out.events[2]["previous_item_id"] is None
    assert conv.items[0]["id"] == turn.item_id and audio.commits == 1
    assert audio.on_vad_event("speech_stopped", 900) is None  # no speech in progress


def test_turn_detection_flags_decide_interrupt_and_response() -> None:
    audio, *_ = make({"type": "server_vad", "create_response": False, "interrupt_response": False})
    audio.append(ms(500), 16000)
    assert audio.on_vad_event("speech_started", 0) == SpeechStarted(interrupt=False)
    turn = audio.on_vad_event("speech_stopped", 400)
    assert isinstance(turn, Turn) and not turn.respond
    transcribing, *_ = make(transcription=True)
    transcribing.append(ms(500), 16000)
    assert transcribing.on_vad_event("speech_started", 0) == SpeechStarted(interrupt=False)
    turn = transcribing.on_vad_event("speech_stopped", 400)
    assert isinstance(turn, Turn) and not turn.respond  # transcription sessions never answer


def test_commit_needs_100_ms_and_takes_everything() -> None:
    audio, conv, out, _ = make(None)
    audio.append(ms(99), 16000)
    error = audio.commit()
    assert isinstance(error, ProtocolError) and "99" in error.message
    assert not out.events
    audio.append(ms(1), 16000)
    turn = audio.commit()
    assert isinstance(turn, Turn) and turn.audio.size == 100 * 16 and not turn.respond
    assert out.types()[0] == "input_audio_buffer.committed"
    again = audio.commit()
    assert isinstance(again, ProtocolError)  # the buffer is empty after a commit
    assert conv.items[0]["id"] == turn.item_id


def test_commit_during_speech_uses_the_speech_item_and_resets_the_vad() -> None:
    audio, *_ = make()
    vad = FakeVad()
    change = audio.vad_change()
    assert change is not None and audio.install_vad(change, vad, audio.stream_samples)
    audio.append(ms(300), 16000)
    audio.on_vad_event("speech_started", 100)
    assert audio.speech is not None
    speech_item = audio.speech[0]
    turn = audio.commit()
    assert isinstance(turn, Turn) and turn.item_id == speech_item
    assert audio.speech is None and vad.resets == 1


def test_clear_drops_audio_and_speech() -> None:
    audio, _, out, _ = make()
    audio.append(ms(300), 16000)
    audio.on_vad_event("speech_started", 100)
    audio.clear()
    assert out.types()[-1] == "input_audio_buffer.cleared"
    assert audio.speech is None
    assert isinstance(audio.commit(), ProtocolError)


def test_append_resamples_to_16k() -> None:
    audio, *_ = make()
    out = audio.append(np.zeros(2400, np.int16), 24000)  # 100 ms
    assert abs(out.size - 1600) <= 32
    assert audio.append(np.zeros(0, np.int16), 16000).size == 0


def test_vad_follows_the_session_and_ignores_a_stale_build() -> None:
    audio, _, _, state = make()
    first = audio.vad_change()
    assert first is not None and first.turn_detection is not None
    assert audio.vad_change() is None  # unchanged session: keep the VAD
    state.apply({"audio": {"input": {"turn_detection": {"type": "semantic_vad"}}}})
    second = audio.vad_change()
    assert second is not None
    assert not audio.install_vad(first, FakeVad(), 0)  # built for the old session
    assert audio.install_vad(second, FakeVad(), 0)
    state.apply({"audio": {"input": {"turn_detection": None}}})
    off = audio.vad_change()
    assert off is not None and off.turn_detection is None


def test_a_replaced_or_released_vad_gives_its_model_back() -> None:
    audio, _, _, state = make()
    first, second = FakeVad(), FakeVad()
    change = audio.vad_change()
    assert change is not None and audio.install_vad(change, first, 0)
    state.apply({"audio": {"input": {"turn_detection": {"type": "semantic_vad"}}}})
    change = audio.vad_change()
    assert change is not None and audio.install_vad(change, second, 0)
    assert (first.closes, second.closes) == (1, 0)
    audio.release_vad()
    audio.release_vad()
    assert (first.closes, second.closes) == (1, 1) and audio.vad is None


def test_vad_clock_starts_with_the_chunk_being_fed() -> None:
    audio, _, out, _ = make()
    audio.append(ms(1000), 16000)
    change = audio.vad_change()
    assert change is not None
    audio.append(ms(100), 16000)
    audio.install_vad(change, FakeVad(), audio.stream_samples - 100 * 16)
    audio.on_vad_event("speech_started", 50)
    assert out.events[-1]["audio_start_ms"] == 1050


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_decode_append_formats_and_errors() -> None:
    state = sessions.SessionState(sessions.default_session("m"))
    plain = decode_append({"audio": b64(np.arange(5, dtype="<i2").tobytes() + b"x")}, state)
    assert not isinstance(plain, ProtocolError)
    pcm, rate = plain
    assert rate == 24000 and pcm.tolist() == [0, 1, 2, 3, 4]  # an odd trailing byte is dropped
    missing = decode_append({}, state)
    assert isinstance(missing, ProtocolError) and missing.param == "audio"
    bad = decode_append({"audio": "%%% not base64"}, state)
    assert isinstance(bad, ProtocolError) and bad.param == "audio"
    state.apply({"audio": {"input": {"format": {"type": "audio/pcmu"}}}})
    decoded = decode_append({"audio": b64(b"\xff" * 80)}, state)
    assert not isinstance(decoded, ProtocolError)
    assert decoded[1] == 8000 and decoded[0].size == 80


@pytest.mark.parametrize(
    ("td", "expected"),
    [
        ({"type": "server_vad", "idle_timeout_ms": 5000}, 7.0),
        ({"type": "server_vad", "idle_timeout_ms": None}, None),
        ({"type": "semantic_vad"}, None),
    ],
)
def test_idle_delay_counts_from_the_end_of_playback(
    td: dict[str, Any], expected: float | None
) -> None:
    audio, *_ = make(td)
    assert audio.idle_delay_s(playback_s=2.0) == expected


def test_timeout_turn_commits_the_silence_and_asks_for_an_answer() -> None:
    audio, conv, out, _ = make({"type": "server_vad", "idle_timeout_ms": 1000})
    audio.append(ms(500), 16000)
    start = audio.stream_ms
    audio.append(ms(1000), 16000)
    turn = audio.timeout_turn(start)
    assert isinstance(turn, Turn) and turn.respond and turn.audio.size == 1000 * 16
    assert out.types()[:2] == [
        "input_audio_buffer.timeout_triggered",
        "input_audio_buffer.committed",
    ]
    assert out.events[0]["audio_start_ms"] == 500 and out.events[0]["audio_end_ms"] == 1500
    assert conv.items[-1]["id"] == turn.item_id
    audio.on_vad_event("speech_started", 0)
    assert audio.timeout_turn(audio.stream_ms) is None  # the user is speaking: no prompt
