"""What the runtime needs from a microphone and a speaker, whatever stands behind them.

Three kinds implement each side: sound devices (:mod:`voicechat.audio.devices`), WAV files and
the null speaker (:mod:`voicechat.audio.files`). The runtime codes against these Protocols only,
so a new kind (a network stream, a test double) needs no change there. Both sides keep real time:
a source yields 20 ms every 20 ms and a sink drains the :class:`PlaybackBuffer` at the device's
pace, which is what keeps the session core's timing honest with files as with devices.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from voicechat.audio.playback import Int16Array, PlaybackBuffer

SourceKind = Literal["device", "file"]
SinkKind = Literal["device", "file", "null"]


class MicSource(Protocol):
    """Mic audio: 20 ms frames of 48 kHz mono int16, paced in real time."""

    #: How many frames the consumer takes per wake-up, set by it between frames (1: each frame
    #: as soon as it is captured). With N > 1 the source may hold up to N - 1 captured frames
    #: and hand them over together with the N-th: one event-loop wake-up per N frames. The mic
    #: pump asks for that only where the link batches audio anyway (the WebSocket's 100 ms
    #: appends), so no frame reaches the wire later than it did one by one.
    frames_per_wakeup: int

    @property
    def kind(self) -> SourceKind:
        """``file`` sources end (a headless run may finish then); a ``device`` never does."""

    def describe(self) -> str:
        """A short human description for the log (``file q.wav (3.2 s)``, ``default input``)."""

    def frames(self) -> AsyncIterator[Int16Array]:
        """Yield frames until the source ends or is closed; raises ``AudioUnavailable`` if a
        device fails mid-way."""

    def drop_ready(self) -> None:
        """Forget frames captured but not yet yielded (the mic was just muted: audio from
        before the mute must not reach the server after it)."""

    def close(self) -> None:
        """Stop yielding; safe to call twice and from any state."""


class SpeakerSink(Protocol):
    """Plays (or records, or discards) the playback buffer it was built with, in real time."""

    @property
    def kind(self) -> SinkKind: ...

    def describe(self) -> str: ...

    async def start(self) -> None:
        """Begin draining the buffer; a device raises ``AudioUnavailable`` when it cannot open."""

    async def stop(self) -> None:
        """Stop draining and release the device or file."""


@dataclass(frozen=True)
class AudioPorts:
    """A mic and a speaker that whoever drives a runtime brings, in place of the ones the
    settings name (``voicechat test``: a scripted mic that speaks the scenario's turns and a
    virtual speaker that plays on its real-time clock). ``speaker`` is made from the runtime's
    playback buffer, which it drains."""

    mic: MicSource
    speaker: Callable[[PlaybackBuffer], SpeakerSink]
