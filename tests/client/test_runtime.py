"""The runtime against the real local server: push-to-talk, barge-in, cancel, connection loss.

Each test runs a real conversation (aiortc or WebSocket on 127.0.0.1, the server's VAD and exact
ASR grammar, the tone voice) with a WAV as the mic, then checks what the event stream (the same
records the JSONL log stores) and the session core's transcript show.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.speech import TEST_PHRASES, speech_wav
from voicechat.commands.headless import Ending, RunEnd
from voicechat.config import Settings
from voicechat.eventlog.record import LogRecord
from voicechat.runtime import Runtime
from voicechat.server.app import LocalServer, ServerConfig

LONG_REPLY = " ".join(["this answer keeps going for a good while"] * 4)  # ~6 s of tone audio

pytestmark = pytest.mark.slow


def norm(text: str) -> str:
    return text.lower().strip().rstrip(".?!")


@pytest.fixture
async def server(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[LocalServer]:
    responder = "echo"
    marker = request.node.get_closest_marker("script")
    if marker is not None:
        script = tmp_path / "script.txt"
        script.write_text("\n".join(marker.args) + "\n", encoding="utf-8")
        responder = f"script:{script}"
    config = ServerConfig(voice="tone", responder=responder, asr_phrases=TEST_PHRASES)
    async with LocalServer(config) as srv:
        yield srv


class Conversation:
    """A runtime plus every record it emitted."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.records: list[LogRecord] = []
        runtime.subscribe(self.records.append)

    def kinds(self, direction: str | None = None) -> list[str]:
        return [r.event["type"] for r in self.records if direction in (None, r.dir)]

    def find(self, kind: str, direction: str | None = None) -> list[dict[str, Any]]:
        return [r.event for r in self.records
                if r.event["type"] == kind and direction in (None, r.dir)]

    async def until(self, predicate: Callable[[], bool], timeout: float = 40.0) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not predicate():
            if loop.time() > end:
                raise AssertionError(f"timed out; last events: {self.kinds()[-25:]}")
            await asyncio.sleep(0.05)


@pytest.fixture
async def conversation(server: LocalServer) -> AsyncIterator[Callable[..., Any]]:
    started: list[Runtime] = []

    async def start(**kwargs: Any) -> Conversation:
        kwargs.setdefault("speaker", "none")
        settings = Settings(server="local", local_voice="tone", **kwargs)
        runtime = Runtime(settings, local_server=server)
        conv = Conversation(runtime)
        await runtime.start()
        started.append(runtime)
        return conv

    yield start
    for runtime in started:
        await runtime.stop()


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


async def test_connection_drop_reconnects_with_the_transcript(
    conversation: Callable[..., Any], server: LocalServer, tmp_path: Path
) -> None:
    wav = speech_wav(tmp_path / "drop.wav", TEST_PHRASES[:2], gap_s=7.0, tail_s=1.5)
    conv: Conversation = await conversation(mic=str(wav))
    rt = conv.runtime
    await conv.until(lambda: rt.completed_responses == 1 and rt.view.mic_label == "live")
    before = [(e.role, e.text) for e in rt.view.entries if e.text]
    assert len(before) == 2
    call_id = rt.transport.call_id  # type: ignore[union-attr]
    await server.calls[call_id].pc.close()  # kill the server's side of the peer connection
    await conv.until(lambda: rt.reconnects == 1 and rt.connection.state == "connected")
    states = [e["state"] for e in conv.find("local.transport.state")]
    lost = states.index("reconnecting")
    assert states[lost - 1] in ("closed", "failed")
    assert states[lost + 1 :][-1] == "connected"
    seeded = conv.find("conversation.item.create", "out")
    assert [(e["item"]["role"], e["item"]["content"][0]["text"]) for e in seeded] == before
    await conv.until(lambda: rt.completed_responses == 2, timeout=60)
    await conv.until(lambda: len([e for e in rt.view.entries if e.text]) >= 4)
    texts = [(e.role, norm(e.text)) for e in rt.view.entries if e.text]
    assert texts[:2] == [(r, norm(t)) for r, t in before]
    assert texts[2] == ("user", norm(TEST_PHRASES[1]))
    assert texts[3][0] == "assistant" and norm(TEST_PHRASES[1]) in texts[3][1]
    assert any("reconnected" in e["message"] for e in conv.find("local.notice"))


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


async def test_websocket_closed_by_session_expiry_reconnects(tmp_path: Path) -> None:
    config = ServerConfig(voice="tone", session_max_s=4.0)
    async with LocalServer(config) as srv:
        settings = Settings(server="local", transport="websocket", mic="none", speaker="none",
                            local_voice="tone")
        conv = Conversation(Runtime(settings, local_server=srv))
        rt = conv.runtime
        await rt.start()
        try:
            rt.send_text("Remember the word banana.")
            await conv.until(lambda: rt.completed_responses == 1)
            await conv.until(lambda: rt.reconnects == 1 and rt.connection.state == "connected")
            errors = [e["error"]["code"] for e in conv.find("error", "in")]
            assert errors == ["session_expired"]
            seeded = conv.find("conversation.item.create", "out")[1:]  # [0] is the typed text
            assert [e["item"]["role"] for e in seeded] == ["user", "assistant"]
            assert seeded[0]["item"]["content"][0]["text"] == "Remember the word banana."
            rt.send_text("What was the word?")
            await conv.until(lambda: rt.completed_responses == 2)
            await conv.until(lambda: len(rt.view.entries) >= 4)
            texts = [(e.role, e.text) for e in rt.view.entries]
            assert texts[0] == ("user", "Remember the word banana.")
            assert texts[2] == ("user", "What was the word?")
        finally:
            await rt.stop()


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
