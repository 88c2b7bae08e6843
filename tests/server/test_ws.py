"""The conversation engine over WebSocket: audio formats, turns, cancel, items, bad input."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from pathlib import Path

import aiohttp
import numpy as np
import pytest

from tests.helpers import local_server, until
from tests.server.conftest import ws_peer
from tests.speech import TEST_PHRASES, speech_pcm
from voicechat.rtc import dsp
from voicechat.server.app import LocalServer

PTT = {"type": "realtime", "audio": {"input": {"turn_detection": None}}}
LONG_REPLY = " ".join(["This reply keeps the assistant talking for quite a while."] * 6)


def with_silence(
    pcm: np.ndarray, rate: int, lead_s: float = 0.3, tail_s: float = 1.0
) -> np.ndarray:
    return np.concatenate(
        [np.zeros(int(lead_s * rate), np.int16), pcm, np.zeros(int(tail_s * rate), np.int16)]
    )


def user_text(text: str) -> dict[str, object]:
    return {
        "type": "conversation.item.create",
        "item": {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        },
    }


def audio_bytes(events: list[dict[str, object]]) -> bytes:
    return b"".join(base64.b64decode(str(e["delta"])) for e in events)


async def test_push_to_talk_turn_with_transcription() -> None:
    async with local_server(asr_phrases=TEST_PHRASES) as srv, ws_peer(srv) as peer:
        await peer.send(
            {
                "type": "session.update",
                "session": {
                    "type": "realtime",
                    "audio": {
                        "input": {"turn_detection": None, "transcription": {"model": "whisper-1"}}
                    },
                },
            }
        )
        updated = await peer.log.wait_for("session.updated")
        assert updated["session"]["audio"]["input"]["turn_detection"] is None
        await peer.send({"type": "input_audio_buffer.clear"})
        await peer.log.wait_for("input_audio_buffer.cleared")
        await peer.append_pcm(with_silence(speech_pcm(TEST_PHRASES[3], 24000), 24000))
        await peer.send({"type": "input_audio_buffer.commit"})
        committed = await peer.log.wait_for("input_audio_buffer.committed")
        added = await peer.log.wait_for("conversation.item.added")
        assert added["item"]["id"] == committed["item_id"]
        assert added["item"]["content"][0]["type"] == "input_audio"
        await peer.send({"type": "response.create"})
        done = await peer.log.wait_for("response.done")
        transcript = await peer.log.wait_for(
            "conversation.item.input_audio_transcription.completed"
        )
        assert transcript["transcript"] == TEST_PHRASES[3]
        assert not peer.log.of("input_audio_buffer.speech_started")  # no VAD in push-to-talk
        assert done["response"]["status"] == "completed"
        spoken = done["response"]["output"][0]["content"][0]
        assert spoken == {"type": "output_audio", "transcript": "You said: " + TEST_PHRASES[3]}
        pcm = audio_bytes(peer.log.of("response.output_audio.delta"))
        assert len(pcm) > 2 * 24000 // 2  # more than half a second of pcm16 at 24 kHz
        order = peer.log.types()
        assert order.index("response.output_audio.done") < order.index("response.done")


async def test_commit_needs_100ms(server: LocalServer) -> None:
    async with ws_peer(server) as peer:
        await peer.send({"type": "session.update", "session": PTT})
        await peer.log.wait_for("session.updated")
        await peer.send({"type": "input_audio_buffer.commit", "event_id": "evt_empty"})
        err = await peer.log.wait_for("error")
        assert err["error"]["code"] == "input_audio_buffer_commit_empty"
        assert err["error"]["event_id"] == "evt_empty"
        assert "buffer only has 0.00ms of audio" in err["error"]["message"]
        await peer.append_pcm(np.zeros(24 * 50, np.int16))
        await peer.send({"type": "input_audio_buffer.commit"})
        err = await peer.log.wait_for("error", after=peer.log.index(err) + 1)
        assert "buffer only has 50.00ms of audio" in err["error"]["message"]
        await peer.append_pcm(np.zeros(24 * 60, np.int16))
        await peer.send({"type": "input_audio_buffer.commit"})
        await peer.log.wait_for("input_audio_buffer.committed")


async def test_g711_formats_both_ways() -> None:
    async with local_server() as srv, ws_peer(srv) as peer:
        await peer.send(
            {
                "type": "session.update",
                "session": {
                    "type": "realtime",
                    "audio": {
                        "input": {
                            "format": {"type": "audio/pcmu"},
                            "transcription": {"model": "whisper-1"},
                        },
                        "output": {"format": {"type": "audio/pcma"}},
                    },
                },
            }
        )
        await peer.log.wait_for("session.updated")
        speech8k = speech_pcm(TEST_PHRASES[4], 8000)
        ulaw = dsp.ulaw_encode(with_silence(speech8k, 8000))
        for i in range(0, len(ulaw), 800):
            await peer.send(
                {
                    "type": "input_audio_buffer.append",
                    "audio": base64.b64encode(ulaw[i : i + 800]).decode(),
                }
            )
        # server VAD hears the µ-law speech and the committed item is as long as the speech
        started = await peer.log.wait_for("input_audio_buffer.speech_started")
        stopped = await peer.log.wait_for("input_audio_buffer.speech_stopped")
        heard_s = (stopped["audio_end_ms"] - started["audio_start_ms"]) / 1000
        assert abs(heard_s - speech8k.size / 8000) < 0.6
        usage = (await peer.log.wait_for("conversation.item.input_audio_transcription.completed"))[
            "usage"
        ]
        assert usage["type"] == "duration" and abs(usage["seconds"] - heard_s) < 0.05
        done = await peer.log.wait_for("response.done")
        alaw = audio_bytes(peer.log.of("response.output_audio.delta"))
        # A-law is one byte per 8 kHz sample: the decoded length matches the spoken duration
        text = done["response"]["output"][0]["content"][0]["transcript"]
        from voicechat.server.voice.tts import make_voice

        expected = make_voice("tone").synthesize(text).size / 24000
        assert abs(len(alaw) / 8000 - expected) < 0.05
        decoded = dsp.alaw_decode(alaw)
        assert int(np.abs(decoded.astype(np.int32)).max()) > 1000  # real signal, not silence


async def test_cancel_active_response(tmp_path: Path) -> None:
    script = tmp_path / "s.txt"
    script.write_text(LONG_REPLY + "\n")
    async with local_server(responder=f"script:{script}") as srv, ws_peer(srv) as peer:
        await peer.send(user_text("go on"))
        await peer.send({"type": "response.create", "response": {"output_modalities": ["text"]}})
        await peer.log.wait_for("response.output_text.delta")
        await peer.send({"type": "response.cancel"})
        done = await peer.log.wait_for("response.done")
        response = done["response"]
        assert response["status"] == "cancelled"
        assert response["status_details"] == {"type": "cancelled", "reason": "client_cancelled"}
        assert response["output"][0]["status"] == "incomplete"
        partial = response["output"][0]["content"][0]["text"]
        assert partial and LONG_REPLY.startswith(partial) and partial != LONG_REPLY
        types = peer.log.types()
        assert types.index("response.output_text.done") < types.index("response.done")


async def test_truncate_bounds_and_item_operations(server: LocalServer) -> None:
    async with ws_peer(server) as peer:
        await peer.send(user_text("one two three"))
        user = await peer.log.wait_for("conversation.item.added")
        await peer.send({"type": "response.create"})
        done = await peer.log.wait_for("response.done")
        item_id = done["response"]["output"][0]["id"]
        audio_ms = len(audio_bytes(peer.log.of("response.output_audio.delta"))) // 48

        n = len(peer.log.events)
        await peer.send(
            {
                "type": "conversation.item.truncate",
                "item_id": item_id,
                "content_index": 0,
                "audio_end_ms": audio_ms + 500,
                "event_id": "e1",
            }
        )
        err = await peer.log.wait_for("error", after=n)
        assert err["error"]["param"] == "audio_end_ms" and err["error"]["event_id"] == "e1"
        assert f"{audio_ms}ms" in err["error"]["message"]

        for bad in ({"item_id": "item_nope"}, {"item_id": user["item"]["id"]}):
            n = len(peer.log.events)
            await peer.send(
                {"type": "conversation.item.truncate", "content_index": 0, "audio_end_ms": 0, **bad}
            )
            err = await peer.log.wait_for("error", after=n)
            assert err["error"]["code"] in ("item_not_found", "invalid_value")

        await peer.send(
            {
                "type": "conversation.item.truncate",
                "item_id": item_id,
                "content_index": 0,
                "audio_end_ms": audio_ms // 2,
            }
        )
        truncated = await peer.log.wait_for("conversation.item.truncated")
        assert truncated == {**truncated, "item_id": item_id, "audio_end_ms": audio_ms // 2}
        await peer.send({"type": "conversation.item.retrieve", "item_id": item_id})
        got = await peer.log.wait_for("conversation.item.retrieved")
        kept = got["item"]["content"][0]["transcript"]
        assert len(kept.split()) < len(["You", "said:", "one", "two", "three"])

        # previous_item_id: root goes first, an unknown id is an error
        await peer.send({**user_text("first"), "previous_item_id": "root"})
        first = await peer.log.wait_for(
            "conversation.item.added",
            where=lambda e: e["item"]["content"][:1] == [{"type": "input_text", "text": "first"}],
        )
        assert first["previous_item_id"] is None
        n = len(peer.log.events)
        await peer.send({**user_text("x"), "previous_item_id": "item_missing"})
        err = await peer.log.wait_for("error", after=n)
        assert err["error"]["code"] == "item_not_found"
        assert err["error"]["param"] == "previous_item_id"

        await peer.send({"type": "conversation.item.delete", "item_id": item_id})
        deleted = await peer.log.wait_for("conversation.item.deleted")
        assert deleted["item_id"] == item_id
        n = len(peer.log.events)
        await peer.send({"type": "conversation.item.retrieve", "item_id": item_id})
        err = await peer.log.wait_for("error", after=n)
        assert err["error"]["code"] == "item_not_found"


async def test_bad_input_gets_real_errors_and_session_survives(server: LocalServer) -> None:
    async with ws_peer(server) as peer:
        await peer.ws.send_str("{not json")
        err = await peer.log.wait_for("error")
        assert err["error"]["code"] == "invalid_json"
        n = len(peer.log.events)
        await peer.send({"event_id": "e_notype", "session": {}})
        err = await peer.log.wait_for("error", after=n)
        assert err["error"]["code"] == "invalid_event"
        assert err["error"]["message"] == "The 'type' field is missing."
        assert err["error"]["event_id"] == "e_notype"
        n = len(peer.log.events)
        await peer.send({"type": "foo.bar"})
        err = await peer.log.wait_for("error", after=n)
        assert err["error"]["param"] == "type"
        assert err["error"]["message"].startswith("Invalid value: 'foo.bar'. Supported values are:")
        n = len(peer.log.events)
        await peer.send({"type": "output_audio_buffer.clear"})  # WebRTC only
        err = await peer.log.wait_for("error", after=n)
        assert err["error"]["param"] == "type"
        n = len(peer.log.events)
        await peer.ws.send_bytes(b"\x00\x01")
        await peer.log.wait_for("error", after=n)
        n = len(peer.log.events)
        await peer.send({"type": "input_audio_buffer.append", "audio": "%%% not base64"})
        err = await peer.log.wait_for("error", after=n)
        assert err["error"]["param"] == "audio"
        await peer.send({"type": "session.update", "session": {"type": "realtime"}})
        await peer.log.wait_for("session.updated")


async def test_oversized_message_closes_cleanly(server: LocalServer) -> None:
    async with ws_peer(server) as peer:
        big = "A" * (15 * 1024 * 1024 + 10)
        with contextlib.suppress(ConnectionError):  # the server may hang up mid-frame
            await peer.ws.send_str('{"type":"input_audio_buffer.append","audio":"' + big + '"}')
        code, _ = await asyncio.wait_for(peer.closed, 20)
        assert code == 1009
    await until(lambda: server.session_count == 0, "the server to close the session")


async def test_vanishing_client_leaks_nothing(tmp_path: Path) -> None:
    script = tmp_path / "s.txt"
    script.write_text(LONG_REPLY + "\n")
    async with local_server(responder=f"script:{script}") as srv:
        baseline = asyncio.all_tasks()
        async with ws_peer(srv) as peer:
            await peer.send(user_text("talk"))
            await peer.send({"type": "response.create"})
            await peer.log.wait_for("response.output_audio.delta")
            assert srv.session_count == 1
            engine = next(iter(srv.engines))
        await until(lambda: srv.session_count == 0, "the server to close the session")
        assert engine.closed
        for _ in range(200):  # every task the session started has ended
            leftover = asyncio.all_tasks() - baseline
            if not leftover:
                break
            await asyncio.sleep(0.05)
        assert not leftover, leftover


async def test_session_expires_with_error_then_1001() -> None:
    async with local_server(session_max_s=0.5) as srv, ws_peer(srv) as peer:
        err = await peer.log.wait_for("error")
        assert err["error"]["code"] == "session_expired"
        assert err["error"]["message"].startswith("Your session hit the maximum duration of")
        code, _ = await asyncio.wait_for(peer.closed, 10)
        assert code == 1001


async def test_server_vad_turn_and_barge_in(tmp_path: Path) -> None:
    script = tmp_path / "s.txt"
    script.write_text(LONG_REPLY + "\nShort one.\n")
    async with local_server(responder=f"script:{script}") as srv, ws_peer(srv) as peer:
        await peer.append_pcm(with_silence(speech_pcm(TEST_PHRASES[0], 24000), 24000))
        started = await peer.log.wait_for("input_audio_buffer.speech_started")
        stopped = await peer.log.wait_for("input_audio_buffer.speech_stopped")
        committed = await peer.log.wait_for("input_audio_buffer.committed")
        assert started["item_id"] == stopped["item_id"] == committed["item_id"]
        created = await peer.log.wait_for("response.created")
        # speak again while the (long) response is still streaming
        n = len(peer.log.events)
        await peer.append_pcm(with_silence(speech_pcm(TEST_PHRASES[1], 24000), 24000, lead_s=0.1))
        await peer.log.wait_for("input_audio_buffer.speech_started", after=n)
        done = await peer.log.wait_for(
            "response.done", where=lambda e: e["response"]["id"] == created["response"]["id"]
        )
        assert done["response"]["status"] == "cancelled"
        assert done["response"]["status_details"]["reason"] == "turn_detected"
        second = await peer.log.wait_for("response.done", after=peer.log.index(done) + 1)
        assert second["response"]["status"] == "completed"


async def test_transcription_only_session() -> None:
    async with local_server(asr_phrases=TEST_PHRASES) as srv:
        path = "/v1/realtime?intent=transcription"
        async with ws_peer(srv, path) as peer:
            created = peer.log.events[0]
            assert created["session"]["type"] == "transcription"
            await peer.append_pcm(with_silence(speech_pcm(TEST_PHRASES[5], 24000), 24000))
            await peer.log.wait_for("input_audio_buffer.speech_stopped")
            done = await peer.log.wait_for("conversation.item.input_audio_transcription.completed")
            assert done["transcript"] == TEST_PHRASES[5]
            await peer.send({"type": "response.create"})
            err = await peer.log.wait_for("error")
            assert err["error"]["param"] == "type"
            assert not peer.log.of("response.created")
        # beta: a transcription update sent to a realtime session is refused
        async with ws_peer(
            srv, headers={"Authorization": "Bearer k", "OpenAI-Beta": "realtime=v1"}
        ) as peer:
            await peer.send(
                {
                    "type": "transcription_session.update",
                    "session": {"input_audio_transcription": {"model": "whisper-1"}},
                }
            )
            err = await peer.log.wait_for("error")
            assert err["error"]["message"] == (
                "Passing a transcription session update event to a realtime session is not allowed."
            )


async def test_browser_subprotocols_select_realtime_and_authenticate() -> None:
    async with local_server(api_key="sk-server") as srv:
        protocols = ("realtime", "openai-insecure-api-key.sk-server", "openai-beta.realtime-v1")
        async with ws_peer(srv, headers={}, protocols=protocols) as peer:
            assert peer.ws.protocol == "realtime"
            await peer.log.wait_for("conversation.created")  # beta by subprotocol
        url = srv.base_url.replace("http", "ws", 1) + "/v1/realtime?model=gpt-realtime"
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as info:
                await http.ws_connect(url, protocols=("realtime", "openai-insecure-api-key.wrong"))
        assert info.value.status == 401


async def test_many_sessions_at_once(server: LocalServer) -> None:
    async def one(i: int) -> str:
        async with ws_peer(server) as peer:
            await peer.send(
                {
                    "type": "session.update",
                    "session": {"type": "realtime", "output_modalities": ["text"]},
                }
            )
            await peer.send(user_text(f"number {i}"))
            await peer.send({"type": "response.create"})
            done = await peer.log.wait_for("response.done")
            return str(done["response"]["output"][0]["content"][0]["text"])

    replies = await asyncio.gather(*(one(i) for i in range(12)))
    assert replies == [f"You said: number {i}" for i in range(12)]
    await until(lambda: server.session_count == 0, "the server to close the session")


async def test_idle_timeout_prompts_the_user(server: LocalServer) -> None:
    async with ws_peer(server) as peer:
        await peer.send(
            {
                "type": "session.update",
                "session": {
                    "type": "realtime",
                    "output_modalities": ["text"],
                    "audio": {
                        "input": {"turn_detection": {"type": "server_vad", "idle_timeout_ms": 5000}}
                    },
                },
            }
        )
        await peer.send(user_text("hello"))
        await peer.send({"type": "response.create"})
        first = await peer.log.wait_for("response.done")
        n = len(peer.log.events)
        await peer.append_pcm(np.zeros(24000, np.int16))  # a second of silence: no speech
        timeout = await peer.log.wait_for("input_audio_buffer.timeout_triggered", after=n)
        committed = await peer.log.wait_for("input_audio_buffer.committed", after=n)
        assert committed["item_id"] == timeout["item_id"]
        assert timeout["audio_end_ms"] >= timeout["audio_start_ms"]
        second = await peer.log.wait_for("response.created", after=n)
        assert second["response"]["id"] != first["response"]["id"]
        types = peer.log.types()[n:]
        assert types.index("input_audio_buffer.timeout_triggered") < types.index("response.created")


async def test_vad_without_auto_response() -> None:
    """``create_response: false``: VAD still commits turns, but only the client starts replies."""
    async with local_server(asr_phrases=TEST_PHRASES) as srv, ws_peer(srv) as peer:
        td = {"type": "server_vad", "create_response": False, "silence_duration_ms": 500}
        await peer.send(
            {
                "type": "session.update",
                "session": {"type": "realtime", "audio": {"input": {"turn_detection": td}}},
            }
        )
        updated = await peer.log.wait_for("session.updated")
        got = updated["session"]["audio"]["input"]["turn_detection"]
        assert got["create_response"] is False and got["silence_duration_ms"] == 500
        assert got["threshold"] == 0.5  # filled in from the defaults
        await peer.append_pcm(with_silence(speech_pcm(TEST_PHRASES[2], 24000), 24000))
        committed = await peer.log.wait_for("input_audio_buffer.committed")
        # an automatic response would be created while the committing audio is handled, so it
        # would reach us before the answer to any event sent after that audio
        await peer.send({"type": "conversation.item.retrieve", "item_id": committed["item_id"]})
        await peer.log.wait_for("conversation.item.retrieved")
        assert "response.created" not in peer.log.types()
        await peer.send({"type": "response.create"})
        done = await peer.log.wait_for("response.done")
        assert done["response"]["output"][0]["content"][0]["transcript"] == (
            "You said: " + TEST_PHRASES[2]
        )
        assert peer.log.of("conversation.item.added")[0]["item"]["id"] == committed["item_id"]
        assert len(peer.log.of("response.created")) == 1 and not peer.log.of("error")
