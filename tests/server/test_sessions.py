"""``session.update`` rules of :class:`SessionState`, with plain calls."""

from __future__ import annotations

from voicechat.protocol.errors import ProtocolError
from voicechat.server import sessions


def state(transcription: bool = False) -> sessions.SessionState:
    return sessions.SessionState(sessions.default_session("m", transcription=transcription))


def test_update_applies_and_replaces_the_session() -> None:
    s = state()
    before = s.current
    update = {"instructions": "be brief", "audio": {"output": {"voice": "verse"}}}
    assert s.check_update(update, audio_sent=False) is None
    after = s.apply(update)
    assert after is s.current and after is not before
    assert s.output["voice"] == "verse" and after["instructions"] == "be brief"
    assert before["instructions"] == sessions.DEFAULT_INSTRUCTIONS  # the old object is untouched


def test_update_refusals() -> None:
    s = state()
    missing = s.check_update("nope", audio_sent=False)
    assert isinstance(missing, ProtocolError) and missing.param == "session"
    switch = s.check_update({"type": "transcription"}, audio_sent=False)
    assert isinstance(switch, ProtocolError)
    back = state(transcription=True).check_update({"type": "realtime"}, audio_sent=False)
    assert isinstance(back, ProtocolError) and back != switch


def test_voice_is_fixed_once_audio_went_out_but_may_be_resent() -> None:
    s = state()
    change = {"audio": {"output": {"voice": "verse"}}}
    same = {"audio": {"output": {"voice": "alloy"}}, "instructions": "x"}
    assert s.check_update(change, audio_sent=False) is None
    refused = s.check_update(change, audio_sent=True)
    assert isinstance(refused, ProtocolError)
    assert s.check_update(same, audio_sent=True) is None


def test_views_of_the_session() -> None:
    s = state(transcription=True)
    assert s.is_transcription and s.output == {}
    assert s.turn_detection is not None and s.turn_detection["type"] == "server_vad"
    assert s.input["transcription"]["model"] == "gpt-4o-transcribe"
    s.apply({"audio": {"input": {"turn_detection": None}}})
    assert s.turn_detection is None
