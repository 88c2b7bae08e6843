"""The runtime through its facade, against the real local server: push-to-talk, barge-in,
cancel, transcription, no sound card, a failing subscriber.

Each test runs a real conversation (aiortc or WebSocket on 127.0.0.1, the server's VAD and exact
ASR grammar, the tone voice) with a WAV as the mic, then checks what the event stream (the same
records the JSONL log stores) and the session core's transcript show.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.runtime.conversation import Conversation, norm
from tests.speech import TEST_PHRASES, speech_wav
from voicechat.eventlog.record import LogRecord
from voicechat.lines.frame import Ending
from voicechat.lines.realtime import RunEnd

LONG_REPLY = " ".join(["this answer keeps going for a good while"] * 4)  # ~6 s of tone audio

pytestmark = pytest.mark.slow


async def test_push_to_talk_turn_and_a_too_short_press(
    conversation: Callable[..., Any], one_question_wav: Path
) -> None:
    conv: Conversation = await conversation(mode="ptt", mic=str(one_question_wav))
    rt = conv.runtime
    assert rt.view.mic_label == "ptt closed"
    rt.talk_pressed()
    rt.talk_pressed()  # toggle style: closes at once, with far less than 900 ms captured
    assert any("too short" in e["message"] for e in conv.find("local.notice"))
    assert "input_audio_buffer.commit" not in conv.kinds("out")
    rt.talk_pressed()  # open for the real question
    assert rt.view.mic_label == "ptt open"
    await conv.until(lambda: rt.mic_ended)
    rt.talk_pressed()  # close: commit + response.create
    await conv.until(lambda: rt.completed_responses == 1 and not rt.view.playing)
    out = conv.kinds("out")
    assert out.count("input_audio_buffer.commit") == 1
    assert out.index("input_audio_buffer.commit") < out.index("response.create")
    assert "input_audio_buffer.speech_started" not in conv.kinds("in")  # turn_detection null
    update = conv.find("session.update", "out")[0]
    assert update["session"]["audio"]["input"]["turn_detection"] is None
    await conv.until(lambda: len([e for e in rt.view.entries if e.text]) >= 2)
    entries = [(e.role, norm(e.text)) for e in rt.view.entries]
    assert entries[0] == ("user", norm(TEST_PHRASES[0]))
    assert entries[1][0] == "assistant" and norm(TEST_PHRASES[0]) in entries[1][1]
    assert ("local.key") in conv.kinds("local")


@pytest.mark.script(LONG_REPLY, "Okay.")
async def test_barge_in_question_over_the_answer(
    conversation: Callable[..., Any], tmp_path: Path
) -> None:
    wav = speech_wav(tmp_path / "barge.wav", TEST_PHRASES[:2], gap_s=3.5, tail_s=1.5)
    conv: Conversation = await conversation(mic=str(wav), barge_in=True)
    rt = conv.runtime
    await conv.until(lambda: bool(conv.find("conversation.item.truncate", "out")))
    truncate = conv.find("conversation.item.truncate", "out")[0]
    first_item = truncate["item_id"]
    played = rt.playback.played_ms(first_item)
    assert 0 < truncate["audio_end_ms"] <= played + 100
    assert truncate["audio_end_ms"] < 5000  # well short of the ~6 s answer
    assert "output_audio_buffer.clear" in conv.kinds("out")
    assert "local.playback.flushed" in conv.kinds("local")
    assert "local.mic.muted" not in conv.kinds("local")  # barge-in on: mic never muted
    await conv.until(lambda: bool(conv.find("output_audio_buffer.cleared", "in")))
    # the second question is answered after the interruption
    await conv.until(lambda: any(
        e.role == "assistant" and norm(e.text) == "okay" for e in rt.view.entries))
    entries = {e.id: e for e in rt.view.entries}
    assert entries[first_item].truncated
    users = [norm(e.text) for e in rt.view.entries if e.role == "user"]
    assert users == [norm(p) for p in TEST_PHRASES[:2]]


@pytest.mark.script(LONG_REPLY)
async def test_cancel_stops_the_answer_over_websocket(
    conversation: Callable[..., Any], one_question_wav: Path
) -> None:
    conv: Conversation = await conversation(mic=str(one_question_wav), transport="websocket")
    rt = conv.runtime
    await conv.until(lambda: rt.playback.snapshot().played_ms >= 400)
    rt.cancel()
    out = conv.kinds("out")
    assert "conversation.item.truncate" in out
    assert "output_audio_buffer.clear" not in out  # WebRTC only
    truncate = conv.find("conversation.item.truncate", "out")[0]
    assert 0 < truncate["audio_end_ms"] <= rt.playback.played_ms(truncate["item_id"])
    assert rt.playback.queued_ms == 0  # playback flushed at once
    await conv.until(lambda: bool(conv.find("conversation.item.truncated", "in")))
    if "response.cancel" in out:  # the answer was still being generated
        await conv.until(lambda: bool(conv.find("response.done", "in")))
        assert conv.find("response.done", "in")[0]["response"]["status"] == "cancelled"
    entry = next(e for e in rt.view.entries if e.id == truncate["item_id"])
    assert entry.truncated
    await conv.until(lambda: rt.view.mic_label == "live")  # the mic reopens after the cut


async def test_transcribe_mode_gives_captions_and_no_replies(
    conversation: Callable[..., Any], one_question_wav: Path
) -> None:
    conv: Conversation = await conversation(mic=str(one_question_wav), transport="websocket",
                                            mode="transcribe")
    rt = conv.runtime
    await conv.until(lambda: bool(
        conv.find("conversation.item.input_audio_transcription.completed", "in")))
    done = conv.find("conversation.item.input_audio_transcription.completed", "in")[0]
    assert norm(done["transcript"]) == norm(TEST_PHRASES[0])
    assert conv.find("session.created", "in")[0]["session"]["type"] == "transcription"
    end = RunEnd(rt, turns=None)
    await conv.until(lambda: end.check() is not None)  # end of the mic file, nothing more to say
    assert end.check() == Ending("info", "end of the mic file and of the reply")
    assert "response.created" not in conv.kinds("in")
    assert "error" not in conv.kinds("in")


async def test_no_sound_card_still_runs_with_text(
    conversation: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from voicechat.audio import devices

    def no_portaudio() -> Any:
        raise devices.AudioUnavailable("PortAudio library not found: " + devices.FIX)

    monkeypatch.setattr(devices, "load_sounddevice", no_portaudio)
    conv: Conversation = await conversation(mic=None, speaker=None)
    rt = conv.runtime
    notices = [e["message"] for e in conv.find("local.notice")]
    assert any("no microphone" in n and "libportaudio2" in n and "--mic FILE" in n
               for n in notices)
    assert any("no speaker" in n for n in notices)
    assert rt.view.mic_label == "no device"
    rt.send_text("Can you hear me?")
    await conv.until(lambda: rt.completed_responses == 1)
    assert any(e.role == "assistant" and "can you hear me" in e.text.lower()
               for e in rt.view.entries)


async def test_a_failing_subscriber_does_not_stop_the_conversation(
    conversation: Callable[..., Any],
) -> None:
    conv: Conversation = await conversation(mic="none", transport="websocket")
    rt = conv.runtime

    def broken(record: LogRecord) -> None:
        raise BrokenPipeError("stdout went away")

    rt.subscribe(broken)
    rt.send_text("still there?")
    await conv.until(lambda: rt.completed_responses == 1)
    assert any(e.role == "assistant" and "still there" in e.text.lower()
               for e in rt.view.entries)
