"""Where a response's audio goes: ``response.output_audio.delta`` events, or the RTP track.

The two transports differ in more than framing. Over WebSocket the server streams encoded deltas
(faster than real time, as the real server does) and the *client* owns playback. Over WebRTC the
server owns a playback buffer: audio leaves in real time on the track, the server announces
``output_audio_buffer.started``, and ``.stopped`` only once that buffer has really drained, or
``.cleared`` when it was cut. Keeping both behind one small interface lets the engine stay
transport-agnostic.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from voicechat.rtc import dsp
from voicechat.rtc.rates import SAMPLE_RATE as TRACK_RATE
from voicechat.server.ids import event_id

if TYPE_CHECKING:
    from voicechat.rtc.tracks import PacedAudioTrack  # aiortc: loaded for WebRTC only

TTS_RATE = 24000
Emit = Callable[[dict[str, Any]], None]


def _event(kind: str, **fields: Any) -> dict[str, Any]:
    """A server event with its ``event_id``: the sinks emit straight to the transport, past the
    engine that stamps every other event, and every real server event carries one."""
    return {"type": kind, "event_id": event_id(), **fields}


@dataclass
class Cut:
    """What a clear interrupted: the response and item that were playing and how much was heard."""

    response_id: str | None
    item_id: str | None
    played_ms: int | None


class AudioSink(Protocol):
    webrtc: bool

    async def write(
        self,
        response_id: str,
        item_id: str,
        pcm24k: np.ndarray,
        fmt: Mapping[str, Any],
        output_index: int = 0,
    ) -> None: ...

    def response_finished(self, response_id: str) -> None: ...

    def clear(self) -> Cut: ...

    @property
    def is_playing(self) -> bool:
        """Is audio of a response still in the server's playback buffer (WebRTC only)?"""
        ...

    def close(self) -> None: ...


def encode_for_format(pcm24k: np.ndarray, fmt: Mapping[str, Any]) -> bytes:
    """pcm 24 kHz int16 → bytes in the session's output format (pcm16 24 k, µ-law, A-law 8 k)."""
    kind = fmt.get("type", "audio/pcm")
    if kind == "audio/pcmu":
        return dsp.ulaw_encode(dsp.resample(pcm24k, TTS_RATE, 8000))
    if kind == "audio/pcma":
        return dsp.alaw_encode(dsp.resample(pcm24k, TTS_RATE, 8000))
    return np.asarray(pcm24k, dtype="<i2").tobytes()


class DeltaSink:
    """WebSocket: audio as base64 delta events, ~200 ms each, at most ``speedup``× real time."""

    webrtc = False
    CHUNK_MS = 200

    def __init__(self, emit: Emit, *, speedup: float = 4.0) -> None:
        self._emit = emit
        self._speedup = speedup

    async def write(
        self,
        response_id: str,
        item_id: str,
        pcm24k: np.ndarray,
        fmt: Mapping[str, Any],
        output_index: int = 0,
    ) -> None:
        import base64

        step = TTS_RATE * self.CHUNK_MS // 1000
        for start in range(0, pcm24k.size, step):
            chunk = pcm24k[start : start + step]
            self._emit(
                _event(
                    "response.output_audio.delta",
                    response_id=response_id,
                    item_id=item_id,
                    output_index=output_index,
                    content_index=0,
                    delta=base64.b64encode(encode_for_format(chunk, fmt)).decode("ascii"),
                )
            )
            await asyncio.sleep(chunk.size / TTS_RATE / self._speedup if self._speedup else 0)

    def response_finished(self, response_id: str) -> None:
        return None

    def clear(self) -> Cut:
        return Cut(None, None, None)

    @property
    def is_playing(self) -> bool:
        return False  # the client plays WebSocket audio; the server holds none back

    def close(self) -> None:
        return None


@dataclass
class _Span:
    """One item's audio on the track, as the track's sample counters (48 kHz)."""

    start: int  # queued_total before its first sample
    end: int  # queued_total after its last sample so far


class TrackSink:
    """WebRTC: audio on a :class:`PacedAudioTrack`, with the ``output_audio_buffer.*`` lifecycle.

    The track is one queue, so a response's audio may wait behind another's: a turn the client
    did not take as an interruption (a short sound over the answer) still gets its answer, queued
    after the one playing. ``output_audio_buffer.started`` says when a response's audio *begins
    streaming*, so it goes out when the audio ahead of it has been sent, not when it is queued;
    until then the client (and a clear) still see the earlier answer as the one playing, and a
    truncate names what the user really hears.
    """

    webrtc = True
    #: items whose spans are kept for truncation (the last few: older ones have long played)
    KEPT_ITEMS = 8

    def __init__(self, emit: Emit, track: PacedAudioTrack) -> None:
        self._emit = emit
        self.track = track
        self._started: set[str] = set()  # responses whose audio was queued
        self._playing: str | None = None  # announced response whose audio is in the buffer
        self._announced: set[str] = set()  # started, and neither stopped nor cleared yet
        self._spans: dict[str, _Span] = {}  # item -> its audio, in queue order
        self._watchers: set[asyncio.Task[None]] = set()

    async def write(
        self,
        response_id: str,
        item_id: str,
        pcm24k: np.ndarray,
        fmt: Mapping[str, Any],
        output_index: int = 0,
    ) -> None:
        if response_id not in self._started:
            self._started.add(response_id)
            if self.track.buffered_samples == 0:
                self._announce(response_id)
            else:
                self._announce_after(self.track.wait_played(), response_id)
        span = self._spans.get(item_id)
        if span is None:
            span = self._spans[item_id] = _Span(self.track.queued_total,
                                                self.track.queued_total)
            while len(self._spans) > self.KEPT_ITEMS:
                del self._spans[next(iter(self._spans))]
        self.track.push(dsp.resample(pcm24k, TTS_RATE, TRACK_RATE))
        span.end = self.track.queued_total
        await asyncio.sleep(0)

    def _announce(self, response_id: str) -> None:
        self._playing = response_id
        self._announced.add(response_id)
        self._emit(_event("output_audio_buffer.started", response_id=response_id))

    def _announce_after(self, ahead: Awaitable[bool], response_id: str) -> None:
        """``started`` once the audio queued ahead has been sent (never, if it is cleared)."""

        async def watch() -> None:
            if await ahead:
                self._announce(response_id)

        self._watch(watch())

    def _watch(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)

    def response_finished(self, response_id: str) -> None:
        if response_id not in self._started:
            return
        waiter = self.track.wait_played()

        async def watch() -> None:
            played = await waiter
            # announced: its stop is due even if the next answer was announced first (both
            # woke on the same frame, and that one's write ran before this watcher)
            if played and response_id in self._announced:
                self._announced.discard(response_id)
                if self._playing == response_id:
                    self._playing = None
                self._emit(_event("output_audio_buffer.stopped", response_id=response_id))

        self._watch(watch())

    def played_ms(self, item_id: str) -> int | None:
        """How much of ``item_id``'s audio has left on the track (``None``: not a recent item)."""
        span = self._spans.get(item_id)
        if span is None:
            return None
        played = min(max(self.track.played_total, span.start), span.end) - span.start
        return int(played * 1000 / TRACK_RATE)

    def _audible_item(self) -> str | None:
        """The item whose audio is leaving the track now (the first not wholly sent)."""
        played = self.track.played_total
        for item_id, span in self._spans.items():
            if span.end > played:
                return item_id
        return None

    def clear(self) -> Cut:
        """Drop unplayed audio; reports what was playing (``response_id`` None if nothing)."""
        playing = self._playing if self.track.buffered_samples > 0 else None
        item = self._audible_item() if playing else None
        played = self.played_ms(item) if item else None
        self.track.clear()  # announcements still waiting for audio ahead never go out
        sent = self.track.played_total  # the dropped audio is not queued any more: spans end
        for span in self._spans.values():  # where their audio stopped
            span.end = min(span.end, sent)
            span.start = min(span.start, sent)
        self._playing = None
        self._announced.clear()  # cleared, not stopped
        return Cut(playing, item, played)

    @property
    def is_playing(self) -> bool:
        return self._playing is not None and self.track.buffered_samples > 0

    def close(self) -> None:
        for task in list(self._watchers):
            task.cancel()
