"""The input-transcription failure path: the real ``…input_audio_transcription.failed`` event.

Two real causes: a transcription model nothing here serves (what Azure does for a deployment
that does not exist), and a recogniser worker that dies mid-utterance.
"""

from __future__ import annotations

import os
import signal
from typing import Any

import numpy as np

from tests.helpers import local_server
from tests.server.conftest import WsPeer, ws_peer
from tests.speech import TEST_PHRASES, speech_pcm
from voicechat.server.transcription import serves_transcription_model

FAILED = "conversation.item.input_audio_transcription.failed"
COMPLETED = "conversation.item.input_audio_transcription.completed"
BETA = {"OpenAI-Beta": "realtime=v1", "Authorization": "Bearer sk-test"}


def ga_ptt(model: str) -> dict[str, Any]:
    return {
        "type": "session.update",
        "session": {
            "type": "realtime",
            "output_modalities": ["text"],
            "audio": {"input": {"turn_detection": None, "transcription": {"model": model}}},
        },
    }


async def say_and_commit(peer: WsPeer, phrase: str) -> str:
    """Append spoken audio, commit it, and return the committed item id."""
    pcm = speech_pcm(phrase, 24000)
    silence = np.zeros(4800, np.int16)
    n = len(peer.log.events)
    await peer.append_pcm(np.concatenate([silence, pcm, silence]))
    await peer.send({"type": "input_audio_buffer.commit"})
    committed = await peer.log.wait_for("input_audio_buffer.committed", after=n)
    item_id: str = committed["item_id"]
    return item_id


def assert_failed_event(event: dict[str, Any], item_id: str) -> None:
    assert event["item_id"] == item_id and event["content_index"] == 0
    assert event["error"] == {
        "type": "server_error",
        "code": None,
        "message": f"Input transcription failed for item '{item_id}'.",
        "param": None,
    }


def test_which_models_are_served() -> None:
    for served in (
        "whisper-1",
        "gpt-4o-transcribe",
        "gpt-4o-mini-transcribe",
        "gpt-4o-transcribe-diarize",
        "gpt-realtime-whisper",
        "my-gpt-4o-transcribe",
        None,
    ):
        assert serves_transcription_model(served), served
    for unserved in ("no-such-model", "gpt-realtime", "my-deployment"):
        assert not serves_transcription_model(unserved), unserved


async def test_unknown_transcription_model_fails_each_item_ga_and_beta() -> None:
    async with local_server(asr_phrases=TEST_PHRASES, text_delta_interval_s=0) as srv:
        async with ws_peer(srv) as peer:
            await peer.send(ga_ptt("no-such-model"))
            await peer.log.wait_for("session.updated")
            item_id = await say_and_commit(peer, TEST_PHRASES[0])
            failed = await peer.log.wait_for(FAILED)
            assert_failed_event(failed, item_id)
            assert not peer.log.of(COMPLETED)
            assert not peer.log.of("conversation.item.input_audio_transcription.delta")
            # the item keeps transcript null; the session goes on and the model still "hears"
            await peer.send({"type": "conversation.item.retrieve", "item_id": item_id})
            got = await peer.log.wait_for("conversation.item.retrieved")
            assert got["item"]["content"][0]["transcript"] is None
            await peer.send({"type": "response.create"})
            done = await peer.log.wait_for("response.done")
            assert done["response"]["status"] == "completed"
            assert done["response"]["output"][0]["content"][0]["text"] == (
                "You said: " + TEST_PHRASES[0]
            )
        async with ws_peer(srv, headers=BETA) as peer:
            await peer.send(
                {
                    "type": "session.update",
                    "session": {
                        "turn_detection": None,
                        "input_audio_transcription": {"model": "nonexistent-stt"},
                    },
                }
            )
            await peer.log.wait_for("session.updated")
            item_id = await say_and_commit(peer, TEST_PHRASES[1])
            assert_failed_event(await peer.log.wait_for(FAILED), item_id)
            # switching to a served model makes the next item transcribe normally
            await peer.send(
                {
                    "type": "session.update",
                    "session": {"input_audio_transcription": {"model": "whisper-1"}},
                }
            )
            n = len(peer.log.events)
            await peer.log.wait_for("session.updated", after=n)
            item_id = await say_and_commit(peer, TEST_PHRASES[2])
            completed = await peer.log.wait_for(COMPLETED)
            assert completed["item_id"] == item_id
            assert completed["transcript"] == TEST_PHRASES[2]
            assert len(peer.log.of(FAILED)) == 1


async def test_crashed_recogniser_worker_fails_the_item_then_recovers() -> None:
    async with local_server(asr_phrases=TEST_PHRASES, asr_workers=1) as srv, ws_peer(srv) as peer:
        await peer.send(ga_ptt("whisper-1"))
        await peer.log.wait_for("session.updated")
        pool: Any = srv.kit._pool
        assert pool is not None
        for pid in list(pool._processes):  # the worker dies, as under the OOM killer
            os.kill(pid, signal.SIGKILL)
        item_id = await say_and_commit(peer, TEST_PHRASES[3])
        assert_failed_event(await peer.log.wait_for(FAILED), item_id)
        assert srv.kit._pool is not pool  # a fresh worker pool took over
        item_id = await say_and_commit(peer, TEST_PHRASES[4])
        completed = await peer.log.wait_for(COMPLETED)
        assert completed["item_id"] == item_id
        assert completed["transcript"] == TEST_PHRASES[4]
