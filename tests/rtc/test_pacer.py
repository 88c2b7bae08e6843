"""The shared 20 ms grid of paced tracks: one timer per tick, never a release before the slot."""

from __future__ import annotations

import asyncio

from voicechat.rtc.pacer import TICK_S, Pacer, pacer_for
from voicechat.rtc.tracks import PacedAudioTrack


async def test_waiters_on_one_tick_share_one_timer_and_none_wakes_early() -> None:
    loop = asyncio.get_running_loop()
    pacer = Pacer(loop, loop.time())
    dues = [pacer.origin + 2 * TICK_S, pacer.origin + 1.5 * TICK_S, pacer.origin + 2 * TICK_S]
    futures = [pacer.wait(due) for due in dues]
    assert len(pacer._ticks) == 1, "one tick, one timer"
    woke: list[tuple[float, bool]] = []  # (when, were all set together)
    for future in futures:
        future.add_done_callback(
            lambda _f: woke.append((loop.time(), all(f.done() for f in futures)))
        )
    cancelled = pacer.wait(pacer.origin + 2 * TICK_S)
    cancelled.cancel()  # a waiter that went away does not disturb the others
    await asyncio.gather(*futures)
    assert all(together for _, together in woke)
    assert min(when for when, _ in woke) >= max(dues)


async def test_paced_tracks_on_the_real_clock_start_on_the_grid() -> None:
    loop = asyncio.get_running_loop()
    pacer = pacer_for(loop)
    assert pacer_for(loop) is pacer
    tracks = [PacedAudioTrack() for _ in range(2)]
    try:
        await tracks[0].recv()
        await asyncio.sleep(0.007)
        await tracks[1].recv()
        starts = [t._start for t in tracks]
        for start in starts:
            assert start is not None
            ticks = (start - pacer.origin) / TICK_S
            assert abs(ticks - round(ticks)) < 1e-6
        await asyncio.gather(*(t.recv() for t in tracks))
        assert all(t.frames_sent == 2 for t in tracks)
    finally:
        for t in tracks:
            t.stop()
