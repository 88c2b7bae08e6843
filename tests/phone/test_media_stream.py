"""Twilio's side of a Media Stream, sans-IO (issue 75): its messages with Twilio's quirks, the
agent's audio on a playback clock, marks echoed when their audio has played, ``clear``."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voicechat.phone.twilio.media_stream import (
    FRAME_BYTES,
    Cleared,
    MediaStream,
    Received,
    Refused,
)
from voicechat.phone.twilio.twiml import Stream
from voicechat.phone.twilio.webhook import Call

CALL = Call("CA" + "1" * 32, "AC" + "2" * 32)


def stream() -> MediaStream:
    return MediaStream(CALL, Stream("ws://127.0.0.1:5050/ms", None, (("lang", "en"),)),
                       stream_sid="MZ" + "3" * 32)


def media(s: MediaStream, audio: bytes) -> str:
    return json.dumps({"event": "media", "streamSid": s.stream_sid,
                       "media": {"payload": base64.b64encode(audio).decode()}})


def mark(s: MediaStream, name: str) -> str:
    return json.dumps({"event": "mark", "streamSid": s.stream_sid, "mark": {"name": name}})


def test_the_opening_is_twilio_s_with_its_quirks() -> None:
    connected, start = stream().opening(0.0)
    assert connected == {"event": "connected", "protocol": "Call", "version": "1.0.0"}
    assert start["event"] == "start" and start["sequenceNumber"] == "1"
    assert start["streamSid"] == start["start"]["streamSid"] == "MZ" + "3" * 32
    assert start["start"]["callSid"] == CALL.call_sid
    assert start["start"]["accountSid"] == CALL.account_sid
    assert start["start"]["tracks"] == ["inbound"]
    assert start["start"]["customParameters"] == {"lang": "en"}
    # numbers here, strings in the media messages: agents are written against both
    assert start["start"]["mediaFormat"] == {"encoding": "audio/x-mulaw", "sampleRate": 8000,
                                             "channels": 1}


def test_the_caller_goes_out_in_whole_20_ms_frames_numbered_as_strings() -> None:
    s = stream()
    s.opening(0.0)
    first = s.caller_audio(b"\x01" * 400)
    assert [(m["sequenceNumber"], m["media"]["chunk"], m["media"]["timestamp"])
            for m in first] == [("2", "1", "0"), ("3", "2", "20")]
    assert all(m["media"]["track"] == "inbound" for m in first)
    assert base64.b64decode(first[0]["media"]["payload"]) == b"\x01" * FRAME_BYTES
    (third,) = s.caller_audio(b"\x02" * 80)  # the 80 left over make a frame now
    assert third["media"]["timestamp"] == "40"
    assert base64.b64decode(third["media"]["payload"]) == b"\x01" * 80 + b"\x02" * 80
    key = s.dtmf("#")
    assert key["dtmf"] == {"track": "inbound_track", "digit": "#"}
    assert key["sequenceNumber"] == "5" and s.stop()["sequenceNumber"] == "6"
    with pytest.raises(ValueError, match="0-9"):
        s.dtmf("A")


def test_the_agent_s_audio_plays_on_the_clock_and_its_mark_comes_after_it() -> None:
    """Text-to-speech arrives ten times faster than it plays: a mark is echoed when the audio
    before it has played, never on receipt."""
    s = stream()
    s.opening(0.0)
    assert s.receive(media(s, b"\x10" * 8000), 0.0) == [Received(1000.0, 0.0)]
    assert s.receive(mark(s, "greeting"), 0.0) == []
    assert s.next_mark_at() == 1.0  # when its 1,000 ms before it have played
    audio, marks = s.played(0.5)
    assert audio == b"\x10" * 4000 and marks == []
    assert s.next_mark_at() == 1.0
    assert s.queued_ms == 500.0
    audio, marks = s.played(1.2)
    assert audio == b"\x10" * 4000
    assert [m["mark"]["name"] for m in marks] == ["greeting"]
    assert marks[0]["streamSid"] == s.stream_sid and marks[0]["sequenceNumber"].isdigit()
    assert s.played(3.0) == (b"", [])
    assert s.next_mark_at() is None


def test_clear_drops_the_queue_and_echoes_every_pending_mark_at_once() -> None:
    s = stream()
    s.opening(0.0)
    s.receive(media(s, b"\x10" * 16000), 0.0)
    s.receive(mark(s, "a"), 0.0)
    s.receive(media(s, b"\x11" * 8000), 0.0)
    s.receive(mark(s, "b"), 0.0)
    assert s.played(0.25)[0] == b"\x10" * 2000
    assert s.receive(json.dumps({"event": "clear", "streamSid": s.stream_sid}), 0.25) == [
        Cleared(2750.0)]
    audio, marks = s.played(0.25)
    assert audio == b"" and [m["mark"]["name"] for m in marks] == ["a", "b"]
    assert s.queued_ms == 0.0
    # new audio after the clear starts when it comes
    s.receive(media(s, b"\x12" * 800), 5.0)
    assert s.played(5.1)[0] == b"\x12" * 800


@pytest.mark.parametrize(("message", "kind", "words"), [
    (b"\x00\x01", "binary", "binary frame"),
    ("not json", "json", "not JSON"),
    ("[1, 2]", "json", "not an object"),
    ('{"event": "play", "streamSid": "MZ' + "3" * 32 + '"}', "event:play", "media, mark and clear"),
    ('{"event": "media", "streamSid": "MZ' + "3" * 32 + '", "media": {}}', "payload",
     "needs media.payload"),
    ('{"event": "media", "streamSid": "MZ' + "3" * 32 + '", "media": {"payload": "%%"}}',
     "payload", "not base64"),
    ('{"event": "mark", "streamSid": "MZ' + "3" * 32 + '", "mark": {}}', "mark", "mark.name"),
])
def test_what_twilio_refuses_is_named_once(message: str | bytes, kind: str, words: str) -> None:
    s = stream()
    s.opening(0.0)
    (refused,) = s.receive(message, 0.0)
    assert isinstance(refused, Refused) and refused.kind == kind and words in refused.why
    assert s.receive(message, 0.1) == []  # once per kind
    assert s.queued_ms == 0.0


def test_a_wav_file_as_payload_is_refused_and_a_wrong_stream_sid_is_said_but_taken() -> None:
    s = stream()
    s.opening(0.0)
    (refused,) = s.receive(media(s, b"RIFF\x24\x00\x00\x00WAVEfmt "), 0.0)
    assert isinstance(refused, Refused) and "no WAV or other header" in refused.why
    foreign = json.dumps({"event": "media", "streamSid": "MZother",
                          "media": {"payload": base64.b64encode(b"\x20" * 160).decode()}})
    said, taken = s.receive(foreign, 0.0)
    assert isinstance(said, Refused) and "taken anyway" in said.why
    assert taken == Received(20.0, 0.0)


def assert_mark_time_is_current(s: MediaStream) -> None:
    """What :meth:`MediaStream.next_mark_at` kept is what working it out afresh gives."""
    kept = s.next_mark_at()
    s._mark_at_known = False  # the cache's own flag: a fresh answer
    assert s.next_mark_at() == kept


AGENT_MESSAGES = st.one_of(
    st.tuples(st.just("media"), st.binary(min_size=1, max_size=4000)),
    st.tuples(st.just("mark"), st.text(min_size=1, max_size=5)),
    st.tuples(st.just("clear"), st.none()),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(AGENT_MESSAGES, st.floats(0.0, 0.5)), max_size=30))
def test_played_audio_is_the_sent_audio_in_order_and_marks_keep_their_order(
        steps: list[tuple[tuple[str, object], float]]) -> None:
    s = stream()
    s.opening(0.0)
    now, heard, echoed, sent_marks, kept = 0.0, bytearray(), [], [], bytearray()
    for (kind, value), wait in steps:
        now += wait
        if kind == "media":
            assert isinstance(value, bytes)
            if value.startswith((b"RIFF", b"ID3", b"OggS", b"fLaC")):
                continue
            s.receive(media(s, value), now)
            kept += value
        elif kind == "mark":
            assert isinstance(value, str)
            s.receive(mark(s, value), now)
            sent_marks.append(value)
        else:
            s.receive(json.dumps({"event": "clear", "streamSid": s.stream_sid}), now)
            audio, marks = s.played(now)
            heard += audio
            echoed += [m["mark"]["name"] for m in marks]
            kept = bytearray(heard)  # what played stays; the rest is gone
            assert_mark_time_is_current(s)
            continue
        audio, marks = s.played(now)
        heard += audio
        echoed += [m["mark"]["name"] for m in marks]
        assert_mark_time_is_current(s)
    due = s.next_mark_at()
    if due is not None:  # the first mark still queued falls due then, and not before
        before = len(echoed)
        for at in (due - 0.001, due + 0.0005):
            audio, marks = s.played(max(now, at))
            heard += audio
            echoed += [m["mark"]["name"] for m in marks]
            assert len(echoed) > before if at > due else len(echoed) == before or at < now
    audio, marks = s.played(now + 100.0)
    heard += audio
    echoed += [m["mark"]["name"] for m in marks]
    assert bytes(heard) == bytes(kept)
    assert echoed == sent_marks
    assert s.next_mark_at() is None
