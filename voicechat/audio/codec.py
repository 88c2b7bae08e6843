"""Compressed audio files through PyAV (FFmpeg): decode any format for the mic, encode the speaker.

PyAV is already installed (aiortc depends on it for Opus and video), so MP3, FLAC, Ogg/Opus and
AAC cost no new dependency. WAV keeps its own small reader and writer in
:mod:`voicechat.audio.files`: they are exact, fast and give the precise advice for odd WAVs.

The encoder is fed 20 ms frames as the paced speaker plays them and writes as it goes, so memory
stays flat however long the conversation runs; PyAV regroups the frames into the codec's own frame
size (1152 samples for MP3, 1024 for AAC) and converts the sample format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from voicechat.audio.playback import Int16Array

ENCODERS: dict[str, tuple[str, str]] = {
    ".mp3": ("mp3", "libmp3lame"),
    ".flac": ("flac", "flac"),
    ".ogg": ("ogg", "libopus"),
    ".opus": ("ogg", "libopus"),
    ".m4a": ("mp4", "aac"),
}
"""File extension → (container, codec) for ``--speaker FILE``; ``.wav`` is written directly."""

DECODABLE = frozenset({".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".webm",
                       ".mka", ".aif", ".aiff", ".wma", ".mp4"})
"""Extensions taken for an audio file (not a device name) even before the file is looked at."""


class CodecError(Exception):
    """PyAV could not decode or encode; the message is FFmpeg's (the caller adds the file name)."""


def _ffmpeg_words(exc: Exception) -> str:
    """FFmpeg's own words for ``exc``, without PyAV's ``[Errno 1094995529] ...: 'PATH'``
    wrapping: the errno is FFmpeg's four-letter tag as a number, and the caller names the file
    already (issue 79: a non-audio ``audio:`` file named itself twice and showed the errno)."""
    words = getattr(exc, "strerror", None)
    return words if isinstance(words, str) and words else str(exc)


def decode_file(path: Path, rate: int) -> Int16Array:
    """The whole file as mono int16 at ``rate`` (channels mixed down, resampled by FFmpeg)."""
    import av

    try:
        container = av.open(str(path))
    except (av.FFmpegError, ValueError) as exc:
        raise CodecError(_ffmpeg_words(exc)) from exc
    chunks: list[Int16Array] = []
    try:
        if not container.streams.audio:
            raise CodecError("it has no audio stream")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1).astype(np.int16))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1).astype(np.int16))
    except av.FFmpegError as exc:
        raise CodecError(_ffmpeg_words(exc)) from exc
    finally:
        container.close()
    if not chunks:
        raise CodecError("it holds no audio samples")
    return np.concatenate(chunks)


class Encoder:
    """Writes mono int16 frames at ``rate`` to ``path`` in the format its extension names."""

    def __init__(self, path: Path, rate: int) -> None:
        import av

        container_format, codec = ENCODERS[path.suffix.lower()]
        self.rate = rate
        self._pts = 0
        try:
            self._container: Any = av.open(str(path), mode="w", format=container_format)
            self._stream: Any = self._container.add_stream(codec, rate=rate, layout="mono")
        except (av.FFmpegError, ValueError) as exc:
            raise CodecError(str(exc)) from exc

    def write(self, frame: Int16Array) -> None:
        import av

        audio = av.AudioFrame.from_ndarray(frame.reshape(1, -1).astype(np.int16), format="s16",
                                           layout="mono")
        audio.sample_rate = self.rate
        audio.pts = self._pts
        self._pts += frame.size
        for packet in self._stream.encode(audio):
            self._container.mux(packet)

    def close(self) -> None:
        """Flush the encoder and finish the file (headers, trailers)."""
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
        finally:
            self._container.close()
