"""The adaptive jitter buffer on the client's real WebRTC receive path, over a bad loopback link.

The local server's audio (its paced track, silence between replies, the ``tone`` voice while it
answers) reaches the client's :class:`~voicechat.transport.webrtc.WebRtcTransport` through
:class:`tests.netem.ImpairedLink`, which delays, reorders and drops the server's RTP datagrams.
Behaviour is asserted (what was concealed, which way the target moved, that every decision
reached our code as a decoded frame), never how long anything took.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pytest

from tests.helpers import local_server, until
from tests.netem import ImpairedLink
from voicechat.rtc.jitter import JitterStats
from voicechat.transport.auth import Endpoint
from voicechat.transport.base import TransportCallbacks
from voicechat.transport.webrtc import WebRtcTransport


@dataclass
class Heard:
    frames: list[np.ndarray] = field(default_factory=list)
    states: list[tuple[str, str]] = field(default_factory=list)

    def callbacks(self) -> TransportCallbacks:
        return TransportCallbacks(
            on_event=lambda text: None,
            on_audio=lambda pcm, item: self.frames.append(pcm),
            on_state=lambda state, why: self.states.append((state, why)),
            on_notice=lambda level, text: None,
        )


@pytest.fixture
async def link() -> AsyncIterator[ImpairedLink]:
    impaired = ImpairedLink(seed=15)
    impaired.install()
    try:
        yield impaired
    finally:
        impaired.uninstall()


@asynccontextmanager
async def call(link: ImpairedLink, heard: Heard) -> AsyncIterator[WebRtcTransport]:
    async with local_server() as srv:
        endpoint = Endpoint("local", "ga", srv.base_url, "gpt-realtime")
        transport = WebRtcTransport(endpoint, heard.callbacks(), loopback=True)
        await transport.connect()
        try:
            yield transport
        finally:
            await transport.close()


async def played_for(transport: WebRtcTransport, frames: int) -> JitterStats:
    """Wait until ``frames`` more playout slots went by; the stats over them."""
    assert transport.jitter is not None
    stats = transport.jitter.buffer.stats
    start = replace(stats)
    await until(lambda: stats.played + stats.concealed >= start.played + start.concealed + frames,
                f"{frames} playout slots ({stats})")
    return JitterStats(**{name: getattr(stats, name) - getattr(start, name)
                          for name in start.__dataclass_fields__})


async def test_target_follows_jitter_and_nothing_is_concealed_once_adapted(
    link: ImpairedLink,
) -> None:
    heard = Heard()
    link.set(jitter_ms=30.0)  # a bad link from the first packet
    async with call(link, heard) as transport:
        assert transport.jitter is not None, "the adaptive buffer was not installed"
        buffer = transport.jitter.buffer
        await played_for(transport, 150)  # adapt
        jittery = await played_for(transport, 250)
        jitter_target = buffer.target_ms
        assert link.reordered > 0, "30 ms of jitter at 20 ms spacing must reorder packets"
        # up from the 10 ms floor by about the jitter (machine load can only add to it)
        assert jitter_target >= buffer.config.floor_ms + 20.0, jitter_target
        # No underrun once adapted: no packet missing at its slot while later ones were already
        # here (that is what jitter and reordering cause). "late" concealments are stretches
        # where nothing arrived at all: loop stalls of this loaded machine, where server and
        # client share one event loop; the bench measures them with the server in its own
        # process. A buffer that did not adapt would conceal about half of the 250 slots.
        # the bound separates adapted (0 on a quiet machine, 25 seen at load 8) from not adapted
        # (about half the slots) without asserting a timing
        assert jittery.concealed_lost + jittery.concealed_grow < 250 // 4, jittery
        assert jittery.concealed < 250 // 3, jittery

        before = len(link.dropped)
        link.set(jitter_ms=30.0, drop=0.04)
        lossy = await played_for(transport, 250)
        lost_now = len(link.dropped) - before
        assert lost_now > 0
        # every packet the network lost had its slot given up (concealed), nothing waited for
        # it; that a loss costs exactly one concealed frame is tests/rtc/test_jitter.py's job
        assert lossy.skipped >= lost_now - 3, (lossy, lost_now)

        # That the target comes back down once the link is clean again is tested on a simulated
        # network (tests/rtc/test_jitter.py, test_target_grows_fast_and_shrinks_slowly): here,
        # with server and client sharing one event loop, a loaded machine's stalls keep it up.
        link.set()

        # every decision reached our code as a decoded 20 ms frame, PLC ones included
        total = buffer.stats.played + buffer.stats.concealed
        await until(lambda: len(heard.frames) >= total, "every frame decoded")
        assert all(frame.size == 960 for frame in heard.frames)
        assert not [s for s in heard.states if s[0] in ("closed", "failed")]


async def test_stock_buffer_is_replaced_only_for_audio(link: ImpairedLink) -> None:
    heard = Heard()
    async with call(link, heard) as transport:
        assert transport.pc is not None and transport.jitter is not None
        receivers: list[Any] = transport.pc.getReceivers()
        audio = [r for r in receivers if r.track is not None and r.track.kind == "audio"]
        assert len(audio) == 1
        assert vars(audio[0])["_RTCRtpReceiver__jitter_buffer"] is transport.jitter
        await played_for(transport, 25)
        await until(lambda: len(heard.frames) >= 25, "decoded frames")
        await asyncio.sleep(0)
