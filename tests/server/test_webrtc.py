"""WebRTC end to end against the real server: SDP over HTTP, ``oai-events``, Opus both ways."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import numpy as np

from tests.helpers import local_server, until
from tests.server.conftest import mint_ga, rtc_peer, ws_peer_raw
from tests.speech import TEST_PHRASES, speech_pcm

# several sentences: audio starts after the first one while the text is still streaming
LONG_REPLY = " ".join(["This reply keeps the assistant talking for quite a while."] * 5)


def spoken(text: str, lead_s: float = 0.4, tail_s: float = 1.2) -> np.ndarray:
    """48 kHz: silence, the phrase, silence (long enough for server VAD to close the turn)."""
    return np.concatenate(
        [
            np.zeros(int(lead_s * 48000), np.int16),
            speech_pcm(text, 48000),
            np.zeros(int(tail_s * 48000), np.int16),
        ]
    )


async def test_ga_voice_turn_over_webrtc() -> None:
    """The acceptance flow: client secret → /v1/realtime/calls → speech in, speech out."""
    async with local_server(asr_phrases=TEST_PHRASES) as srv, rtc_peer() as peer:
        token = await mint_ga(
            srv,
            {"type": "realtime", "audio": {"input": {"transcription": {"model": "whisper-1"}}}},
        )
        assert token.startswith("ek_")
        status = await peer.connect(f"{srv.base_url}/v1/realtime/calls", token)
        assert status == 201
        assert peer.location is not None and peer.location.startswith("/v1/realtime/calls/rtc_")

        created = await peer.log.wait_for("session.created")
        assert peer.log.events[0] is created
        assert created["session"]["audio"]["input"]["transcription"] == {"model": "whisper-1"}

        peer.speak(spoken(TEST_PHRASES[0]))
        started = await peer.log.wait_for("input_audio_buffer.speech_started")
        stopped = await peer.log.wait_for("input_audio_buffer.speech_stopped")
        assert stopped["item_id"] == started["item_id"]
        assert stopped["audio_end_ms"] > started["audio_start_ms"]
        done_transcript = await peer.log.wait_for(
            "conversation.item.input_audio_transcription.completed"
        )
        assert done_transcript["item_id"] == started["item_id"]
        assert done_transcript["transcript"] == TEST_PHRASES[0]

        response_done = await peer.log.wait_for("response.done")
        buffer_started = await peer.log.wait_for("output_audio_buffer.started")
        buffer_stopped = await peer.log.wait_for("output_audio_buffer.stopped")
        rid = response_done["response"]["id"]
        assert buffer_started["response_id"] == rid == buffer_stopped["response_id"]
        log = peer.log
        assert log.index(buffer_started) < log.index(response_done) < log.index(buffer_stopped)
        assert response_done["response"]["status"] == "completed"
        transcript = response_done["response"]["output"][0]["content"][0]["transcript"]
        assert "kitchen lights" in transcript.lower()
        # the assistant's voice came over RTP, and never as deltas on the data channel
        assert peer.heard_samples() > 48000 // 4
        assert not log.of("response.output_audio.delta")
        assert log.of("response.output_audio_transcript.delta")


async def test_server_barge_in_clears_playback_and_truncates(tmp_path: Path) -> None:
    script = tmp_path / "script.txt"
    script.write_text(LONG_REPLY + "\nSecond answer.\n")
    async with local_server(responder=f"script:{script}") as srv, rtc_peer() as peer:
        assert await peer.connect(f"{srv.base_url}/v1/realtime/calls", "sk-test") == 201
        await peer.log.wait_for("session.created")
        peer.speak(spoken(TEST_PHRASES[1]))
        buffer_started = await peer.log.wait_for("output_audio_buffer.started")
        await peer.log.wait_for("response.done")
        # the reply lasts several seconds; interrupt it while it is still playing
        after = len(peer.log.events)
        peer.speak(spoken(TEST_PHRASES[2], lead_s=0.1))
        await peer.log.wait_for("input_audio_buffer.speech_started", after=after)
        cleared = await peer.log.wait_for("output_audio_buffer.cleared", after=after)
        assert cleared["response_id"] == buffer_started["response_id"]
        truncated = await peer.log.wait_for("conversation.item.truncated", after=after)
        first_done = peer.log.of("response.done")[0]
        item = first_done["response"]["output"][0]
        assert truncated["item_id"] == item["id"]
        assert truncated["audio_end_ms"] > 0
        # the unplayed rest was dropped: stopped never comes for the interrupted response
        second = await peer.log.wait_for(
            "response.done", where=lambda e: e["response"]["id"] != first_done["response"]["id"]
        )
        assert second["response"]["output"][0]["content"][0]["transcript"] == "Second answer."
        assert not [
            e
            for e in peer.log.of("output_audio_buffer.stopped")
            if e["response_id"] == cleared["response_id"]
        ]


async def test_client_clear_and_cancel(tmp_path: Path) -> None:
    script = tmp_path / "script.txt"
    script.write_text(LONG_REPLY + "\n")
    async with local_server(responder=f"script:{script}") as srv, rtc_peer() as peer:
        assert await peer.connect(f"{srv.base_url}/v1/realtime/calls", "sk-test") == 201
        await peer.log.wait_for("session.created")
        peer.send(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "tell me a story"}],
                },
            }
        )
        peer.send({"type": "response.create"})
        started = await peer.log.wait_for("output_audio_buffer.started")
        peer.send({"type": "response.cancel", "event_id": "evt_cancel"})
        peer.send({"type": "output_audio_buffer.clear"})
        done = await peer.log.wait_for("response.done")
        assert done["response"]["status"] == "cancelled"
        assert done["response"]["status_details"]["reason"] == "client_cancelled"
        assert done["response"]["output"][0]["status"] == "incomplete"
        cleared = await peer.log.wait_for("output_audio_buffer.cleared")
        assert cleared["response_id"] == started["response_id"]
        peer.send({"type": "response.cancel", "event_id": "evt_again"})
        err = await peer.log.wait_for("error")
        assert err["error"]["code"] == "response_cancel_not_active"
        assert err["error"]["event_id"] == "evt_again"


async def test_beta_sdp_endpoint_and_multipart_session() -> None:
    async with local_server() as srv:
        async with aiohttp.ClientSession() as http:
            resp = await http.post(
                f"{srv.base_url}/v1/realtime/sessions",
                json={"model": "gpt-4o-realtime-preview", "modalities": ["text"]},
                headers={"Authorization": "Bearer sk-test"},
            )
            beta = await resp.json()
        assert resp.status == 200
        assert beta["client_secret"]["value"].startswith("ek_")
        assert beta["modalities"] == ["text"]
        async with rtc_peer() as peer:
            url = f"{srv.base_url}/v1/realtime?model=gpt-4o-realtime-preview"
            assert await peer.connect(url, beta["client_secret"]["value"]) == 201
            created = await peer.log.wait_for("session.created")
            assert created["session"]["modalities"] == ["text"]  # beta (flat) shape
            assert "audio" not in created["session"]
            # real beta WebRTC sessions announce no conversation (only beta WebSocket ones do)
            peer.send({"type": "response.create"})
            await peer.log.wait_for("response.done")
            assert "conversation.created" not in peer.log.types()
        async with rtc_peer() as peer:
            status = await peer.connect(
                f"{srv.base_url}/v1/realtime/calls",
                "sk-test",
                session={"type": "realtime", "instructions": "Be brief."},
            )
            assert status == 201
            created = await peer.log.wait_for("session.created")
            assert created["session"]["instructions"] == "Be brief."
            call_id = peer.location.rsplit("/", 1)[-1] if peer.location else ""
            assert call_id in srv.calls
            async with aiohttp.ClientSession() as http:
                resp = await http.post(
                    f"{srv.base_url}/v1/realtime/calls/{call_id}/hangup",
                    headers={"Authorization": "Bearer sk-test"},
                )
            assert resp.status == 200
            assert call_id not in srv.calls


async def test_sideband_socket_observes_and_drives_a_call() -> None:
    """``GET /v1/realtime?call_id=``: a server-side socket attached to a WebRTC call."""
    async with local_server() as srv, rtc_peer() as peer:
        assert await peer.connect(f"{srv.base_url}/v1/realtime/calls", "sk-test") == 201
        await peer.log.wait_for("session.created")
        call_id = (peer.location or "").rsplit("/", 1)[-1]
        async with ws_peer_raw(srv, f"/v1/realtime?call_id={call_id}") as side:
            await side.send(
                {
                    "type": "conversation.item.create",
                    "item": {
                        "type": "message",
                        "role": "user",
                        "content": [{"type": "input_text", "text": "from the sideband"}],
                    },
                }
            )
            await side.send(
                {"type": "response.create", "response": {"output_modalities": ["text"]}}
            )
            seen = await side.log.wait_for("response.done")
            on_peer = await peer.log.wait_for("response.done")
            assert seen["response"]["id"] == on_peer["response"]["id"]
            assert on_peer["response"]["output"][0]["content"][0]["text"] == (
                "You said: from the sideband"
            )


async def test_vanished_webrtc_client_is_cleaned_up() -> None:
    async with local_server() as srv:
        async with rtc_peer() as peer:
            assert await peer.connect(f"{srv.base_url}/v1/realtime/calls", "sk-test") == 201
            await peer.log.wait_for("session.created")
            peer.send({"type": "response.create"})  # mid-response when the peer goes away
            await peer.log.wait_for("response.created")
            assert len(srv.calls) == 1
        await until(lambda: not srv.calls, "the server to drop the vanished call")


async def test_an_answer_queued_behind_another_starts_when_its_audio_does(tmp_path: Path) -> None:
    """A second answer while the first still plays waits in the output buffer: it is announced
    when its audio begins streaming, and a clear meanwhile cuts the first, the one being heard
    (CI found the client truncating the queued one: ``tests/server/test_track_sink.py``)."""
    script = tmp_path / "script.txt"
    script.write_text(f"{LONG_REPLY}\nSecond answer.\n{LONG_REPLY}\nFourth answer.\n")
    text_turn = {
        "type": "conversation.item.create",
        "item": {"type": "message", "role": "user",
                 "content": [{"type": "input_text", "text": "go on"}]},
    }
    async with local_server(responder=f"script:{script}") as srv, rtc_peer() as peer:
        assert await peer.connect(f"{srv.base_url}/v1/realtime/calls", "sk-test") == 201
        await peer.log.wait_for("session.created")
        peer.send(text_turn)
        peer.send({"type": "response.create"})
        first = await peer.log.wait_for("output_audio_buffer.started")
        await peer.log.wait_for("response.done")  # generated whole; seconds of it still to play
        after = len(peer.log.events)
        peer.send(text_turn)
        peer.send({"type": "response.create"})
        second = await peer.log.wait_for("response.done", after=after)
        second_id = second["response"]["id"]
        assert second_id != first["response_id"]
        # queued behind the first: not announced while the first plays
        assert not [e for e in peer.log.of("output_audio_buffer.started")
                    if e["response_id"] == second_id]
        stopped = await peer.log.wait_for("output_audio_buffer.stopped", timeout=30)
        assert stopped["response_id"] == first["response_id"]
        announced = await peer.log.wait_for("output_audio_buffer.started", after=after)
        assert announced["response_id"] == second_id
        assert peer.log.index(stopped) < peer.log.index(announced)
        await peer.log.wait_for("output_audio_buffer.stopped",
                                where=lambda e: e["response_id"] == second_id)

        # a long third answer, the fourth queued behind it, then a clear: it names the one heard
        after = len(peer.log.events)
        peer.send(text_turn)
        peer.send({"type": "response.create"})
        await peer.log.wait_for("response.done", after=after)
        third_started = await peer.log.wait_for("output_audio_buffer.started", after=after)
        after = len(peer.log.events)
        peer.send(text_turn)
        peer.send({"type": "response.create"})
        await peer.log.wait_for("response.done", after=after)
        peer.send({"type": "output_audio_buffer.clear"})
        cleared = await peer.log.wait_for("output_audio_buffer.cleared", after=after)
        assert cleared["response_id"] == third_started["response_id"]
