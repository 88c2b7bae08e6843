"""A session's VAD is built off the loop without holding up its events, and hears everything.

Why: a burst of new sessions queues their VAD model loads (~80 ms of CPU each). A session that
waited for its VAD before handling its next event answered a typed turn seconds late under
``voicechat load``; the audio that arrives while the model loads must still be heard, at its
place in the stream.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from tests.helpers import local_server, until
from tests.server.conftest import ws_peer
from tests.speech import TEST_PHRASES, speech_pcm
from voicechat.server.app import LocalServer
from voicechat.server.voice import vad as vad_module

RATE = 24000
LEAD_S = 0.5
PREFIX_MS = 300  # the session's default prefix_padding_ms


def phrase_after(lead_s: float, text: str = TEST_PHRASES[0]) -> np.ndarray:
    return np.concatenate([np.zeros(int(lead_s * RATE), np.int16), speech_pcm(text, RATE),
                           np.zeros(RATE, np.int16)])


async def typed_turn(peer: Any) -> dict[str, Any]:
    """Type "Hello there", ask for an answer; its ``response.done``."""
    await peer.send({"type": "conversation.item.create", "item": {
        "type": "message", "role": "user",
        "content": [{"type": "input_text", "text": "Hello there"}]}})
    await peer.send({"type": "response.create"})
    done: dict[str, Any] = await peer.log.wait_for("response.done")
    return done


async def test_a_typed_turn_is_answered_while_the_vad_loads_and_the_vad_then_catches_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = threading.Event()
    loads: list[Mapping[str, Any]] = []
    async with local_server(asr_phrases=TEST_PHRASES) as srv, ws_peer(srv) as peer:
        real = srv.kit.make_vad

        def slow_make_vad(turn_detection: Mapping[str, Any]) -> Any:
            loads.append(turn_detection)
            assert gate.wait(60), "the test never opened the gate"
            return real(turn_detection)

        monkeypatch.setattr(srv.kit, "make_vad", slow_make_vad)
        await peer.send({"type": "session.update", "session": {"type": "realtime", "audio": {
            "input": {"transcription": {"model": "whisper-1"}}}}})
        await peer.log.wait_for("session.updated")
        await peer.append_pcm(phrase_after(LEAD_S))  # spoken while the model cannot load yet
        done = await typed_turn(peer)
        assert done["response"]["status"] == "completed"
        assert len(loads) == 1 and not gate.is_set()  # answered while the VAD was loading
        assert not peer.log.of("input_audio_buffer.speech_started")
        gate.set()
        started = await peer.log.wait_for("input_audio_buffer.speech_started")
        stopped = await peer.log.wait_for("input_audio_buffer.speech_stopped")
        await peer.log.wait_for("conversation.item.input_audio_transcription.completed")
    onset_ms = started["audio_start_ms"] + PREFIX_MS
    assert abs(onset_ms - LEAD_S * 1000) <= 100, started  # heard at its place in the stream
    assert stopped["audio_end_ms"] > onset_ms
    said = peer.log.of("conversation.item.input_audio_transcription.completed")
    assert said[0]["transcript"] == TEST_PHRASES[0]


async def test_a_whole_phrase_in_the_first_append_is_heard(server: LocalServer) -> None:
    async with ws_peer(server) as peer:
        await peer.append_pcm(phrase_after(LEAD_S), chunk_ms=10_000)  # one append
        started = await peer.log.wait_for("input_audio_buffer.speech_started")
        await peer.log.wait_for("input_audio_buffer.speech_stopped")
        await peer.log.wait_for("response.done")
    assert abs(started["audio_start_ms"] + PREFIX_MS - LEAD_S * 1000) <= 100, started


async def test_a_session_closed_while_its_vad_loads_gives_the_model_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = threading.Event()
    monkeypatch.setattr(vad_module, "_silero_pool", [])
    async with local_server() as srv:
        real = srv.kit.make_vad
        loading = threading.Event()

        def slow_make_vad(turn_detection: Mapping[str, Any]) -> Any:
            loading.set()
            assert gate.wait(60)
            return real(turn_detection)

        monkeypatch.setattr(srv.kit, "make_vad", slow_make_vad)
        async with ws_peer(srv) as peer:
            await peer.append_pcm(np.zeros(RATE // 5, np.int16))
            await until(loading.is_set, "the VAD's load")
        await until(lambda: srv.session_count == 0, "the session's teardown")
        gate.set()
        await until(lambda: len(vad_module._silero_pool) == 1, "the model back in the pool")


async def test_gpt_live_hears_what_was_said_while_its_vad_loaded(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GPT-Live's listener: the session runs on while its VAD loads, then hears it all."""
    from tests.server.live.peers import START, live_ws, spoken

    gate = threading.Event()
    real = server.kit.make_vad

    def slow_make_vad(turn_detection: Mapping[str, Any]) -> Any:
        assert gate.wait(60), "the test never opened the gate"
        return real(turn_detection)

    monkeypatch.setattr(server.kit, "make_vad", slow_make_vad)
    async with live_ws(server) as peer:
        await peer.send(START)
        await peer.log.wait_for("session.started")
        await peer.stream(spoken(TEST_PHRASES[0]))  # heard by nobody yet
        await peer.send({"type": "session.commentary.append", "content": "Hello there.",
                         "delegation_id": None})
        await peer.log.wait_for("session.commentary.appended")  # the session did not wait
        assert not peer.log.of("session.input_transcript.delta")
        gate.set()
        await peer.stream(np.zeros(RATE // 2, np.int16))
        await until(lambda: peer.text("session.input_transcript.delta").strip()
                    == TEST_PHRASES[0], lambda: peer.text("session.input_transcript.delta"))


async def test_the_vad_loader_yields_its_core_to_the_loop() -> None:
    """On a busy core a model load waits for the sessions' work, not the reverse (Linux, where
    a thread has its own priority; elsewhere nothing is reniced, the process least of all)."""
    import os
    import sys

    from voicechat.server.voicekit import VoiceKit

    kit = VoiceKit(voice="tone")
    loader_ids: list[int] = []

    def make_vad(turn_detection: Mapping[str, Any]) -> Any:
        loader_ids.append(threading.get_native_id())
        return VoiceKit.make_vad(kit, turn_detection)

    kit.make_vad = make_vad  # type: ignore[method-assign]
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    (await kit.load_vad({"type": "server_vad"})).close()
    assert loader_ids and loader_ids[0] != threading.get_native_id()
    if sys.platform == "linux":
        assert os.getpriority(os.PRIO_PROCESS, loader_ids[0]) == min(19, before + 10)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before
    assert os.getpriority(os.PRIO_PROCESS, os.getpid()) == before


async def test_a_vad_that_cannot_be_built_is_said_once_and_the_session_goes_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    async with local_server() as srv, ws_peer(srv) as peer:
        def broken(turn_detection: Mapping[str, Any]) -> Any:
            raise OSError("libonnxruntime.so: cannot open shared object file")

        monkeypatch.setattr(srv.kit, "make_vad", broken)
        with caplog.at_level(logging.WARNING, logger="voicechat.server"):
            await peer.append_pcm(phrase_after(0.2))
            done = await typed_turn(peer)
    assert done["response"]["status"] == "completed"
    said = [r.getMessage() for r in caplog.records if "VAD unavailable" in r.getMessage()]
    assert len(said) == 1 and "libonnxruntime.so" in said[0], said
