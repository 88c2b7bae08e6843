"""Mic audio over the WebSocket transport against the real local server: silent appends are
built once and still carry exactly the silence, sound goes up as it is."""

from __future__ import annotations

import asyncio
import json

import numpy as np

from voicechat.rtc import dsp
from voicechat.server.app import LocalServer
from voicechat.transport.auth import Endpoint
from voicechat.transport.base import TransportCallbacks
from voicechat.transport.websocket import WebSocketTransport


async def test_silent_and_loud_mic_chunks_reach_the_server(server: LocalServer) -> None:
    events: list[dict[str, object]] = []
    callbacks = TransportCallbacks(
        on_event=lambda text: events.append(json.loads(text)),
        on_audio=lambda pcm, item: None,
        on_state=lambda state, detail: None,
        on_notice=lambda level, text: None,
    )
    endpoint = Endpoint(provider="local", dialect="ga", base_url=server.base_url,
                        model="gpt-realtime", api_key="test")
    transport = WebSocketTransport(endpoint, callbacks)
    await transport.connect()
    try:
        transport.send_event({"type": "session.update", "session": {
            "type": "realtime", "audio": {"input": {"turn_detection": None}}}})
        silent = [transport.send_mic(np.zeros(960, np.int16)) for _ in range(25)]
        appends = [e for e in silent if e is not None]
        assert len(appends) >= 4  # 100 ms per append (the resampler holds back ~1 ms)
        first = dsp.b64_to_pcm16(str(appends[0]["audio"]))
        assert first.size > 0 and not first.any()
        assert all(a == appends[1] and a is not appends[1] for a in appends[2:])
        t = np.arange(960 * 10) / 48000
        loud = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
        sent = [transport.send_mic(loud[i : i + 960]) for i in range(0, loud.size, 960)]
        audio = np.concatenate([dsp.b64_to_pcm16(str(e["audio"])) for e in sent if e])
        assert np.abs(audio).max() > 6000
        transport.send_event({"type": "input_audio_buffer.commit"})
        for _ in range(100):
            if any(e.get("type") == "input_audio_buffer.committed" for e in events):
                break
            await asyncio.sleep(0.05)
        assert any(e.get("type") == "input_audio_buffer.committed" for e in events)
        assert not [e for e in events if e.get("type") == "error"]
    finally:
        await transport.close()


async def test_frames_until_send_never_overshoots_an_append(server: LocalServer) -> None:
    """The mic pump hands over ``mic_frames_until_send()`` frames at once: no append may go out
    before the last of them (it would have left earlier frame by frame), and after the
    resampler's first short frame each batch ends exactly on an append."""
    callbacks = TransportCallbacks(
        on_event=lambda text: None, on_audio=lambda pcm, item: None,
        on_state=lambda state, detail: None, on_notice=lambda level, text: None,
    )
    endpoint = Endpoint(provider="local", dialect="ga", base_url=server.base_url,
                        model="gpt-realtime", api_key="test")
    transport = WebSocketTransport(endpoint, callbacks)
    await transport.connect()
    try:
        rng = np.random.default_rng(7)
        batches = []
        for _ in range(30):
            count = transport.mic_frames_until_send()
            sent = [transport.send_mic((rng.standard_normal(960) * 2000).astype(np.int16))
                    for _ in range(count)]
            assert all(event is None for event in sent[:-1])
            batches.append((count, sent[-1] is not None))
        assert batches[0] == (5, False) and batches[1] == (1, True)  # 465 + 4 x 480 < 2400
        assert all(batch == (5, True) for batch in batches[2:])
        transport.drop_pending_mic()
        assert transport.mic_frames_until_send() == 5
    finally:
        await transport.close()
