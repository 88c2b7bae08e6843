"""File and null stand-ins for the mic and the speaker (``--mic FILE``, ``--speaker FILE|none``).

Any audio file FFmpeg reads can be the mic (WAV directly; MP3, FLAC, Ogg/Opus, AAC... through
PyAV, :mod:`voicechat.audio.codec`); the speaker writes WAV, MP3, FLAC, Ogg/Opus or M4A, chosen
by the file's extension. A name with an audio extension is always a file, never a device name,
so ``--speaker out.mp3`` writes a file or says which formats it can write.

They keep real time on purpose: a WAV "microphone" delivers 20 ms every 20 ms, and a WAV or null
"speaker" consumes 20 ms every 20 ms, exactly like a sound card would. Everything downstream (the
mic gate, server VAD, ``output_audio_buffer`` timing, played-ms for truncate) then behaves as it
does with real devices, which is what makes headless runs and tests honest.

Both keep time on the process's one 20 ms grid (:mod:`voicechat.rtc.pacer`), not each on its
own clock: a file mic and a file speaker then wake the event loop once per frame between them,
not twice at different phases. The null speaker does not tick at all while nothing is queued
(it drains what comes, reads once more to see the buffer empty, and waits for the next push):
a wake-up every 20 ms to discard silence was a third of an idle client's loop wake-ups.
When its consumer takes several frames per wake-up (``frames_per_wakeup``), a file mic waits for
the tick the last of them is due on and yields them together, as a sound card with a longer
block would.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import select
import time
import wave
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicechat.audio import codec
from voicechat.audio.playback import RATE, Int16Array, PlaybackBuffer
from voicechat.audio.ports import SinkKind, SourceKind
from voicechat.rtc import dsp
from voicechat.rtc.pacer import TICK_S, pacer_for

FRAME = 960  # 20 ms at 48 kHz
assert FRAME / RATE == TICK_S  # one frame per tick of the shared grid
WRITABLE = (".wav", *codec.ENCODERS)
"""Extensions ``--speaker FILE`` can write."""


class AudioFileError(Exception):
    """An audio file could not be read or written; the message names the file and the problem."""


def is_audio_file(spec: str, *, output: bool = False) -> bool:
    """Is this ``--mic``/``--speaker`` value a file rather than a device name or index?

    An audio extension decides (so a missing file is reported as missing, not looked up as a
    device); for the mic, any existing file or FIFO does too."""
    suffix = Path(spec).suffix.lower()
    if suffix == ".wav" or suffix in codec.DECODABLE or suffix in codec.ENCODERS:
        return True
    return not output and (Path(spec).is_file() or Path(spec).is_fifo())


def read_audio(path: Path) -> tuple[Int16Array, int]:
    """Mono int16 samples and their rate: 16-bit PCM WAV read directly, everything else (other
    WAV encodings too: 8/24/32-bit, float, sox's WAVE_FORMAT_EXTENSIBLE) decoded by PyAV. A
    file with no audio in it is refused here, with what to do, rather than played as nothing."""
    if not path.is_file():
        what = "a directory, not an audio file" if path.is_dir() else "no such file"
        raise AudioFileError(f"{path}: {what}")
    if path.stat().st_size == 0:
        raise AudioFileError(f"{path}: the file is empty (0 bytes); record or convert some "
                             "speech into it (e.g. `espeak-ng -w q.wav 'Hello'`)")
    pcm, rate = _decode(path)
    if pcm.size == 0:
        raise AudioFileError(f"{path}: holds no audio (a header and no samples); record or "
                             "convert some speech into it (e.g. `espeak-ng -w q.wav 'Hello'`)")
    return pcm, rate


def _decode(path: Path) -> tuple[Int16Array, int]:
    wav_problem = None
    if path.suffix.lower() == ".wav":
        try:
            return read_wav(path)
        except AudioFileError as exc:  # not plain 16-bit PCM: FFmpeg reads the rest
            wav_problem = str(exc)
    try:
        return codec.decode_file(path, RATE), RATE
    except codec.CodecError as exc:
        if wav_problem is not None:
            raise AudioFileError(wav_problem) from exc
        raise AudioFileError(
            f"{path}: cannot decode it as audio ({exc}); WAV, MP3, FLAC, Ogg/Opus, AAC and "
            "anything else FFmpeg reads will do"
        ) from exc


#: how long a FIFO given as the mic may stay silent (no writer yet, or a writer gone quiet)
FIFO_WAIT_S = 10.0


def spool_fifo(path: Path, into: Path, *, wait_s: float | None = None) -> None:
    """Copy what a program writes to the FIFO ``path`` into the file ``into``, to its end.

    A FIFO can be read once, and the file mic needs the audio whole (its length, its format),
    so it is taken in before anything starts. Opened without blocking: ``open`` on a FIFO with
    no writer waited for ever, saying nothing. Nothing written for ``wait_s`` (no writer yet, or
    one that stopped before the end) is an error with what to do."""
    wait_s = FIFO_WAIT_S if wait_s is None else wait_s
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    got = 0
    try:
        with open(into, "wb") as out:
            deadline = time.monotonic() + wait_s
            while True:
                left = deadline - time.monotonic()
                ready = select.select([fd], [], [], max(0.0, left))[0] if left > 0 else []
                if not ready:
                    what = ("nothing was written to it" if got == 0 else
                            f"its writer sent {got} bytes and then nothing")
                    raise AudioFileError(
                        f"{path}: a FIFO, and {what} for {wait_s:g} s; start the program that "
                        "writes the audio first (and let it close the FIFO at the end), or "
                        "give a file")
                chunk = os.read(fd, 1 << 16)
                if chunk:
                    out.write(chunk)
                    got += len(chunk)
                    deadline = time.monotonic() + wait_s
                elif got:
                    return  # the writer closed it: the end of the audio
                else:  # a writer came and went without a byte, or none has come yet
                    time.sleep(0.05)
    finally:
        os.close(fd)


def file_sink(buffer: PlaybackBuffer, path: Path) -> PacedSink:
    """The speaker as a file: WAV written directly, MP3/FLAC/Ogg/M4A encoded by PyAV."""
    suffix = path.suffix.lower()
    if suffix == ".wav":
        return WavFileSink(buffer, path)
    if suffix in codec.ENCODERS:
        return EncodedFileSink(buffer, path)
    raise AudioFileError(f"{path}: cannot write {suffix} files; --speaker writes "
                         f"{', '.join(WRITABLE)}")


def read_wav(path: Path) -> tuple[Int16Array, int]:
    """Mono int16 samples and the rate of a 16-bit PCM WAV (stereo is mixed down); other WAV
    encodings raise :class:`AudioFileError` (:func:`read_audio` hands them to PyAV)."""
    try:
        with wave.open(str(path), "rb") as wav:
            if wav.getsampwidth() != 2:
                raise AudioFileError(
                    f"{path}: only 16-bit PCM WAV is supported (this one has "
                    f"{8 * wav.getsampwidth()}-bit samples); convert it with "
                    f"`sox {path} -b 16 out.wav`"
                )
            channels = wav.getnchannels()
            rate = wav.getframerate()
            data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.int16)
    except FileNotFoundError as exc:
        raise AudioFileError(f"{path}: no such file") from exc
    except (wave.Error, EOFError) as exc:
        raise AudioFileError(f"{path}: not a readable WAV file ({exc})") from exc
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1).astype(np.int16)
    return data, rate


def write_wav(path: Path, pcm: Int16Array, rate: int = RATE) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.astype("<i2").tobytes())


@dataclass
class PersonLike:
    """How a file mic behaves like the person it stands for (set by the runtime; a bare
    :class:`WavFileSource` plays its samples and nothing else, as the audio tests expect).

    ``waits`` is asked before each frame: while it says so (the mic is muted for playback or by
    the user), the file does not advance — a person who cannot be heard stops and goes on
    afterwards; the recording's own pauses are kept, none is added. After the last sample the
    mic goes on with silence, as a room does after the last word: at least ``tail_s`` of it, and
    while ``hears_speech`` says the server's VAD still thinks the user is speaking, up to
    ``tail_max_s``, so the server ends the turn whatever the file's last sample is. ``on_hold``
    is told when a wait begins and ends, with the file position in seconds."""

    waits: Callable[[], bool]
    hears_speech: Callable[[], bool]
    on_hold: Callable[[bool, float], None]
    tail_s: float = 1.0
    tail_max_s: float = 10.0


class WavFileSource:
    """An audio file (WAV or any format PyAV decodes) played as the microphone, one 20 ms frame
    every 20 ms (48 kHz mono int16); with :attr:`person` set, it also waits while the mic is
    muted and ends with silence (:class:`PersonLike`)."""

    kind: SourceKind = "file"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        pcm, rate = read_audio(self.path)
        self.samples = dsp.resample(pcm, rate, RATE) if rate != RATE else pcm
        self.duration_s = self.samples.size / RATE
        self.frames_per_wakeup = 1
        self.ended = False
        self.person: PersonLike | None = None
        self._closed = False
        self._drop_before = -math.inf  # frames due by then were captured before a mute
        self._loop: asyncio.AbstractEventLoop | None = None  # the one frames() runs on

    def describe(self) -> str:
        return f"file {self.path.name} ({self.duration_s:.1f} s)"

    async def frames(self) -> AsyncIterator[Int16Array]:
        """Yield frames on the shared 20 ms grid (no drift over long files): the first at once,
        on the tick just passed; after a stall the late ones go at once to catch up. A frame not
        yet due waits for the tick its ``frames_per_wakeup``-th is due on (never less than its
        own); the ones due by then follow without waiting. A wait while the mic is muted moves
        the grid on (the frames after it are not late)."""
        loop = self._loop = asyncio.get_running_loop()
        pacer = pacer_for(loop)
        start = pacer.tick_at_or_before(loop.time())
        count = -(-self.samples.size // FRAME)
        tail_min = round(self.person.tail_s / TICK_S) if self.person else 0
        tail_max = round(self.person.tail_max_s / TICK_S) if self.person else 0
        index = 0
        while not self._closed:
            if index >= count + tail_min and (
                    index >= count + tail_max or self.person is None
                    or not self.person.hears_speech()):
                break
            due = start + index * TICK_S
            if due > loop.time():
                await pacer.wait(due + (max(1, self.frames_per_wakeup) - 1) * TICK_S)
                if self._closed:
                    break
            if self.person is not None and self.person.waits():
                await self._wait_while_muted(self.person, index)
                start = pacer.tick_at_or_before(loop.time()) - index * TICK_S
                continue
            if due <= self._drop_before:  # held across a mute: dropped, not sent after it
                index += 1
                continue
            frame = self.samples[index * FRAME : (index + 1) * FRAME]
            if frame.size < FRAME:
                frame = np.concatenate([frame, np.zeros(FRAME - frame.size, dtype=np.int16)])
            index += 1
            yield frame
        self.ended = True

    async def _wait_while_muted(self, person: PersonLike, index: int) -> None:
        loop = asyncio.get_running_loop()
        pacer = pacer_for(loop)
        at_s = min(index * FRAME, self.samples.size) / RATE
        person.on_hold(True, at_s)
        while person.waits() and not self._closed:
            await pacer.wait(loop.time() + TICK_S)
        person.on_hold(False, at_s)

    def drop_ready(self) -> None:
        if self._loop is not None:  # before the first frame nothing is held
            self._drop_before = self._loop.time()

    def close(self) -> None:
        self._closed = True


class PacedSink:
    """A speaker consuming the playback buffer in real time, each frame handed to ``write``."""

    kind: SinkKind = "null"
    #: the null speaker stops ticking while nothing is queued; a file records silence too
    ticks_when_silent = False

    def __init__(self, buffer: PlaybackBuffer) -> None:
        self.buffer = buffer
        self._task: asyncio.Task[None] | None = None

    def describe(self) -> str:
        return "no speaker (audio discarded)"

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="paced-sink")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        pacer = pacer_for(loop)
        while True:
            if not self.ticks_when_silent:
                await self.buffer.wait_for_audio()
            # from the tick just passed: the first read comes 0-20 ms after the audio did, as
            # when the speaker ticked all along
            due = pacer.tick_at_or_before(loop.time())
            while True:
                due += TICK_S
                if due > loop.time():
                    await pacer.wait(due)
                self.write(self.buffer.read(FRAME))
                if not self.ticks_when_silent and self.buffer.idle:
                    break  # drained, and the read after it found nothing: nothing to tick for

    def write(self, frame: Int16Array) -> None:
        """Discard (the null speaker); subclasses keep it."""

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.close()

    def close(self) -> None:
        """Release resources (nothing for the null speaker)."""


class WavFileSink(PacedSink):
    """Records what the speaker would play, silence included, as a 48 kHz mono WAV.

    Frames go straight to the open file (the wave module patches the header on close), so memory
    stays flat however long the conversation runs.
    """

    kind: SinkKind = "file"
    ticks_when_silent = True

    def __init__(self, buffer: PlaybackBuffer, path: Path) -> None:
        super().__init__(buffer)
        self.path = Path(path)
        try:
            # open the file ourselves: wave.open on a bad path leaves a half-built Wave_write
            # whose __del__ prints a second traceback after our clear message
            handle = open(self.path, "wb")  # noqa: SIM115 - open for the session
        except OSError as exc:
            raise AudioFileError(f"{self.path}: cannot write ({exc.strerror})") from exc
        self._wav: wave.Wave_write | None = wave.open(handle, "wb")  # noqa: SIM115
        self._handle = handle
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(RATE)

    def describe(self) -> str:
        return f"file {self.path.name}"

    def write(self, frame: Int16Array) -> None:
        if self._wav is not None:
            self._wav.writeframes(frame.astype("<i2").tobytes())

    def close(self) -> None:
        if self._wav is not None:
            self._wav.close()
            self._wav = None
            self._handle.close()


class EncodedFileSink(PacedSink):
    """Records what the speaker would play into a compressed file (MP3, FLAC, Ogg/Opus, M4A)."""

    kind = "file"
    ticks_when_silent = True

    def __init__(self, buffer: PlaybackBuffer, path: Path) -> None:
        super().__init__(buffer)
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise AudioFileError(f"{self.path}: cannot write (no such directory)")
        try:
            self._encoder: codec.Encoder | None = codec.Encoder(self.path, RATE)
        except codec.CodecError as exc:
            raise AudioFileError(f"{self.path}: cannot write ({exc})") from exc

    def describe(self) -> str:
        return f"file {self.path.name}"

    def write(self, frame: Int16Array) -> None:
        if self._encoder is not None:
            self._encoder.write(frame)

    def close(self) -> None:
        if self._encoder is not None:
            encoder, self._encoder = self._encoder, None
            encoder.close()
