"""Real sound devices through sounddevice (PortAudio), with the audio thread kept hands-off.

PortAudio calls our callbacks on its own thread. They must never block and must never wait on the
event loop (``call_from_thread`` would), so:

* capture: the callback copies the block into a bounded ``deque`` (drops the oldest when the loop
  falls behind, and counts it) and pokes the loop with ``call_soon_threadsafe`` (non-blocking)
  once ``frames_per_wakeup`` blocks wait (one wake-up per WebSocket append, not per frame);
* playback: the callback takes what it needs from :class:`PlaybackBuffer` (short lock, zero-fill
  on underrun); the loop learns about progress by polling the buffer.

``sounddevice`` is imported lazily: importing it without PortAudio raises ``OSError``, and a
machine with no sound card must still run with ``--mic FILE`` and text input. Every failure becomes
:class:`AudioUnavailable` with the fix in its message.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from voicechat.audio.playback import RATE, Int16Array, PlaybackBuffer
from voicechat.audio.ports import SinkKind, SourceKind
from voicechat.rtc import dsp

FRAME = 960  # 20 ms at 48 kHz
FIX = (
    "install PortAudio (`sudo apt-get install libportaudio2` on Debian/Ubuntu), "
    "or run without a sound card: --mic FILE.wav and --speaker FILE.wav|none"
)
#: PortAudio is there but lists no device: a machine without a sound card (or a sound server).
#: What ``voicechat devices`` itself says (pointing to itself would send the user in a circle).
NO_DEVICE_HERE = (
    "PortAudio sees no sound card or sound server here. Plug one in or start PulseAudio/PipeWire, "
    "or run without one: --mic FILE.wav and --speaker FILE.wav|none"
)
#: The same, said by a conversation that found no device: where to look.
NO_DEVICE_FIX = (
    "PortAudio sees no sound card or sound server here. Plug one in or start PulseAudio/PipeWire "
    "(`voicechat devices` lists what PortAudio sees), or run without one: --mic FILE.wav and "
    "--speaker FILE.wav|none"
)


class AudioUnavailable(Exception):
    """No usable audio device or no PortAudio; the message says what to do instead."""


def load_sounddevice() -> ModuleType:
    """Import sounddevice, turning 'PortAudio library not found' into a clear error."""
    try:
        import sounddevice
    except OSError as exc:
        raise AudioUnavailable(f"PortAudio library not found: {FIX}") from exc
    module: ModuleType = sounddevice
    return module


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    hostapi: str
    inputs: int
    outputs: int
    default_rate: float
    is_default_input: bool
    is_default_output: bool


def list_devices() -> list[DeviceInfo]:
    sd = load_sounddevice()
    try:
        devices = sd.query_devices()
        hostapis = sd.query_hostapis()
        default_in, default_out = sd.default.device
    except Exception as exc:  # PortAudioError and friends
        raise AudioUnavailable(f"cannot list audio devices ({exc}): {FIX}") from exc
    result = []
    for dev in devices:
        result.append(
            DeviceInfo(
                index=int(dev["index"]),
                name=str(dev["name"]),
                hostapi=str(hostapis[dev["hostapi"]]["name"]),
                inputs=int(dev["max_input_channels"]),
                outputs=int(dev["max_output_channels"]),
                default_rate=float(dev["default_samplerate"]),
                is_default_input=int(dev["index"]) == default_in,
                is_default_output=int(dev["index"]) == default_out,
            )
        )
    return result


def resolve_device(spec: str | None, kind: str) -> int | None:
    """``None`` = the default device; a number = that index; text = first name containing it."""
    devices = list_devices()
    channels = "inputs" if kind == "input" else "outputs"
    usable = [d for d in devices if getattr(d, channels) > 0]
    if not usable:
        raise AudioUnavailable(f"no audio {kind} device found: {NO_DEVICE_FIX}")
    if spec is None or spec == "default":
        return None
    if spec.isdecimal():
        index = int(spec)
        if not any(d.index == index for d in usable):
            raise AudioUnavailable(
                f"no {kind} device with index {index}; `voicechat devices` lists them"
            )
        return index
    for dev in usable:
        if spec.lower() in dev.name.lower():
            return dev.index
    raise AudioUnavailable(f"no {kind} device matching {spec!r}; `voicechat devices` lists them")


def _pick_rate(sd: ModuleType, device: int | None, kind: str, channels: int = 1) -> int:
    """48 kHz when the device takes it (no resampling), else its default rate."""
    check = sd.check_input_settings if kind == "input" else sd.check_output_settings
    try:
        check(device=device, samplerate=RATE, channels=channels, dtype="int16")
        return RATE
    except Exception:
        info: Any = sd.query_devices(device, kind)
        return int(info["default_samplerate"])


def _pick_channels(sd: ModuleType, device: int | None, kind: str) -> int:
    """Mono when the device takes it; else stereo (some USB headsets and HDMI outputs refuse
    mono): the mic is downmixed and the speaker gets the same sound on both channels."""
    check = sd.check_input_settings if kind == "input" else sd.check_output_settings
    for channels in (1, 2):
        try:
            check(device=device, channels=channels, dtype="int16")
            return channels
        except Exception:
            continue
    return 1  # let opening the stream say what is wrong


class DeviceSource:
    """The microphone: 20 ms frames of 48 kHz mono int16, delivered to the event loop."""

    kind: SourceKind = "device"
    #: Applied in the audio callback to each captured block (device rate and channels, same
    #: shape out): the echo canceller's near end. Running it on PortAudio's thread, like the
    #: speaker's :attr:`DeviceSink.tap`, keeps the two ends in step; on the event loop its
    #: stalls shifted the reference and cost most of the cancellation.
    #: Called with the block and PortAudio's ``inputBufferAdcTime`` (None when not given).
    clean: Callable[[Any, float | None], Any] | None = None
    #: Called in the audio callback right after :attr:`clean`: what the canceller measured of
    #: that block (the local barge-in detector's evidence), kept with the block so the reader
    #: of :attr:`frame_tag` gets the figures of exactly the frame it is handed.
    measure: Callable[[], Any] | None = None

    def __init__(self, device: str | None = None, max_backlog_frames: int = 50) -> None:
        self._sd = load_sounddevice()
        self.device = resolve_device(device, "input")
        self.channels = _pick_channels(self._sd, self.device, "input")
        self.rate = _pick_rate(self._sd, self.device, "input", self.channels)
        self._blocks: deque[Int16Array] = deque(maxlen=max_backlog_frames)
        self._tags: deque[Any] = deque(maxlen=max_backlog_frames)  # measure() per block
        self.frame_tag: Any = None  # the tag of the block the last yielded frame came from
        self.frames_per_wakeup = 1
        self.overruns = 0  # blocks dropped because the loop fell behind
        self.overflows = 0  # input PortAudio dropped because this callback came late
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self._stream: Any = None
        self._closed = False
        self.ended = False

    def describe(self) -> str:
        name = "default input" if self.device is None else f"input #{self.device}"
        layout = "" if self.channels == 1 else f", {self.channels} channels downmixed"
        return f"{name} @ {self.rate} Hz{layout}"

    def _callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        # PortAudio thread: copy, append, poke the loop. Nothing here can block.
        if status.input_overflow:
            self.overflows += 1
        if len(self._blocks) == self._blocks.maxlen:
            self.overruns += 1
        clean = self.clean
        block = indata if clean is None else clean(indata, _stamp(time_info, "inputBufferAdcTime"))
        measure = self.measure
        self._tags.append(measure() if measure is not None else None)
        if self.channels == 1:
            self._blocks.append(block[:, 0].copy())
        else:
            self._blocks.append(block.mean(axis=1).astype(np.int16))
        loop, wakeup = self._loop, self._wakeup
        if loop is not None and wakeup is not None and len(self._blocks) >= self._per_wakeup():
            with contextlib.suppress(RuntimeError):  # loop closed while the stream winds down
                loop.call_soon_threadsafe(wakeup.set)

    def _per_wakeup(self) -> int:
        """Blocks to gather before the loop is poked: ``frames_per_wakeup`` when a block is a
        frame (the device runs at 48 kHz); otherwise each block, since resampled blocks do not
        end on frame edges and the last frame of a batch could wait for the next block."""
        return max(1, self.frames_per_wakeup) if self.rate == RATE else 1

    def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wakeup = asyncio.Event()
        blocksize = self.rate // 50
        try:
            self._stream = self._sd.InputStream(
                samplerate=self.rate,
                blocksize=blocksize,
                device=self.device,
                channels=self.channels,
                dtype="int16",
                callback=self._callback,
            )
            self._stream.start()
        except Exception as exc:
            raise AudioUnavailable(f"cannot open the microphone ({exc}): {FIX}") from exc

    async def frames(self) -> AsyncIterator[Int16Array]:
        if self._stream is None:
            self.open()
        assert self._wakeup is not None
        resampler = dsp.StreamResampler(self.rate, RATE) if self.rate != RATE else None
        pending = np.zeros(0, dtype=np.int16)
        while not self._closed:
            if len(self._blocks) < self._per_wakeup():
                await self._wakeup.wait()
            self._wakeup.clear()
            while self._blocks:
                block = self._blocks.popleft()
                tag = self._tags.popleft() if self._tags else None
                if resampler is not None:
                    block = resampler.process(block)
                pending = np.concatenate([pending, block]) if pending.size else block
                while pending.size >= FRAME:
                    frame, pending = pending[:FRAME], pending[FRAME:]
                    self.frame_tag = tag
                    yield frame
        self.ended = True

    def drop_ready(self) -> None:
        self._blocks.clear()
        self._tags.clear()

    def close(self) -> None:
        self._closed = True
        if self._wakeup is not None:
            self._wakeup.set()
        if self._stream is not None:
            try:
                self._stream.stop()
                self._stream.close()
            except Exception:
                pass
            self._stream = None


#: PortAudio's output latency for the speaker. sounddevice defaults to "high" (the device's
#: high-latency suggestion, ~35 ms on PulseAudio); with 20 ms blocks PortAudio then keeps two
#: blocks queued (40 ms). "low" with 10 ms blocks gets that to ~20 ms on the same device. The
#: callback only copies from the playback buffer, so the extra wake-ups cost next to nothing.
OUTPUT_LATENCY = "low"
OUTPUT_BLOCK_MS = 10
#: With echo cancellation the speaker trades latency for steadiness. On a busy machine the
#: low-latency speaker underran 30-150 times a minute (measured on the PulseAudio echo path, two
#: cores, load ~6); each underrun makes the sound server re-buffer and the echo delay jump by
#: 100-300 ms, and the canceller falls from 60 dB to single digits while it finds the echo
#: again. 80 ms of device buffer in 20 ms blocks (the mic's block) keeps the far end flowing.
AEC_OUTPUT_LATENCY = 0.08
AEC_OUTPUT_BLOCK_MS = 20


class DeviceSink:
    """The speaker: a PortAudio output stream pulling from :class:`PlaybackBuffer`.

    Opened for low latency by default (``latency``: "low", "high" or seconds, as sounddevice
    takes it; ``block_ms``: the callback's block). ``output_latency_ms`` is what PortAudio
    reports once the stream is open: the device-buffer stage of the mouth-to-ear budget.
    """

    kind: SinkKind = "device"
    channels: int = 1
    #: Called in the audio callback with exactly what was written to the device (silence and
    #: underrun fill included): the echo canceller's far-end reference. It must not block.
    #: Called with the block and PortAudio's ``outputBufferDacTime`` (None when not given).
    tap: Callable[[Int16Array, float | None], None] | None = None

    def __init__(
        self,
        buffer: PlaybackBuffer,
        device: str | None = None,
        *,
        latency: str | float = OUTPUT_LATENCY,
        block_ms: int = OUTPUT_BLOCK_MS,
    ) -> None:
        self._sd = load_sounddevice()
        self.buffer = buffer
        self.latency = latency
        self.block_ms = block_ms
        self.output_latency_ms: float | None = None
        self.device = resolve_device(device, "output")
        self.channels = _pick_channels(self._sd, self.device, "output")
        self.rate = _pick_rate(self._sd, self.device, "output", self.channels)
        # Devices that refuse 48 kHz get the conversation's audio resampled in the callback:
        # whole 20 ms blocks are resampled into a small FIFO, and each callback takes what it
        # needs from there (at most one block is read ahead of the speaker).
        self._resampler = dsp.StreamResampler(RATE, self.rate) if self.rate != RATE else None
        self._fifo = np.zeros(0, dtype=np.int16)
        self._stream: Any = None
        self.underruns = 0

    def describe(self) -> str:
        name = "default output" if self.device is None else f"output #{self.device}"
        return name if self.channels == 1 else f"{name}, {self.channels} channels"

    def _callback(self, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        if status.output_underflow:
            self.underruns += 1
        if self._resampler is None:
            mono = self.buffer.read(frames)
        else:
            while len(self._fifo) < frames:
                block = self._resampler.process(self.buffer.read(FRAME))
                self._fifo = np.concatenate([self._fifo, block])
            mono, self._fifo = self._fifo[:frames], self._fifo[frames:]
        outdata[:] = mono[:, None]  # every channel the same sound
        tap = self.tap
        if tap is not None:
            tap(outdata, _stamp(time_info, "outputBufferDacTime"))

    async def start(self) -> None:
        try:
            self._stream = self._sd.OutputStream(
                samplerate=self.rate,
                blocksize=self.rate * self.block_ms // 1000,
                device=self.device,
                channels=self.channels,
                dtype="int16",
                latency=self.latency,
                callback=self._callback,
            )
            self._stream.start()
            self.output_latency_ms = float(self._stream.latency) * 1000.0
        except Exception as exc:
            raise AudioUnavailable(f"cannot open the speaker ({exc}): {FIX}") from exc

    async def stop(self) -> None:
        if self._stream is not None:
            try:
                self._stream.stop()
                self._stream.close()
            except Exception:
                pass
            self._stream = None


def _stamp(time_info: Any, name: str) -> float | None:
    """A callback timestamp (stream time, s), or None when the host API gives none (0)."""
    value = getattr(time_info, name, None)
    try:
        stamp = float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
    return stamp if stamp else None
