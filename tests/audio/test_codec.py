"""Compressed audio files: MP3/FLAC/Ogg as the mic, ``--speaker out.mp3`` (and friends) as files.

Test files are made here with PyAV directly (not with our encoder), and what our sink writes is
read back with PyAV directly, so each direction is checked against FFmpeg, not against itself.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from voicechat.audio.files import (
    FRAME,
    AudioFileError,
    EncodedFileSink,
    WavFileSource,
    file_sink,
    is_audio_file,
)
from voicechat.audio.playback import RATE, PlaybackBuffer


def tone(seconds: float, rate: int, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (8000 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def encode_with_pyav(path: Path, pcm: np.ndarray, rate: int, fmt: str, codec: str) -> None:
    import av

    with av.open(str(path), mode="w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout="stereo")
        stereo = np.stack([pcm, pcm]).reshape(1, -1, order="F")  # packed s16 stereo
        frame = av.AudioFrame.from_ndarray(stereo, format="s16", layout="stereo")
        frame.sample_rate = rate
        frame.pts = 0
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def decode_with_pyav(path: Path) -> tuple[np.ndarray, int]:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
        chunks = [out.to_ndarray().reshape(-1) for frame in container.decode(stream)
                  for out in resampler.resample(frame)]
    return np.concatenate(chunks).astype(np.int16), rate


def dominant_hz(pcm: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64)))
    return float(np.argmax(spectrum) * rate / pcm.size)


@pytest.mark.parametrize(("suffix", "fmt", "codec"),
                         [(".mp3", "mp3", "libmp3lame"), (".flac", "flac", "flac"),
                          (".ogg", "ogg", "libopus")])
def test_compressed_files_play_as_the_mic(
    tmp_path: Path, suffix: str, fmt: str, codec: str
) -> None:
    rate = 48000 if codec == "libopus" else 16000
    path = tmp_path / f"question{suffix}"
    encode_with_pyav(path, tone(1.0, rate), rate, fmt, codec)
    source = WavFileSource(path)
    assert 0.95 <= source.duration_s <= 1.15  # codec padding adds a few ms
    assert abs(dominant_hz(source.samples, RATE) - 440.0) < 5
    assert source.describe().startswith(f"file question{suffix}")


async def test_mic_frames_from_an_mp3_are_20_ms(tmp_path: Path) -> None:
    path = tmp_path / "q.mp3"
    encode_with_pyav(path, tone(0.1, 16000), 16000, "mp3", "libmp3lame")
    frames = [frame async for frame in WavFileSource(path).frames()]
    assert frames and all(f.size == FRAME for f in frames)


@pytest.mark.parametrize("suffix", [".mp3", ".flac", ".ogg", ".m4a"])
async def test_speaker_files_are_encoded_by_extension(tmp_path: Path, suffix: str) -> None:
    buf = PlaybackBuffer()
    out = tmp_path / f"answer{suffix}"
    sink = file_sink(buf, out)
    assert isinstance(sink, EncodedFileSink)
    audio = tone(0.5, RATE)
    buf.push(audio, "item")
    await sink.start()
    while buf.snapshot().queued_ms > 0 or buf.snapshot().playing:
        await asyncio.sleep(0.02)
    await sink.stop()
    data, rate = decode_with_pyav(out)
    assert rate == RATE
    assert data.size / RATE >= 0.5
    assert abs(dominant_hz(data, rate) - 440.0) < 5
    assert np.abs(data).max() > 4000


def test_an_audio_extension_is_a_file_not_a_device(tmp_path: Path) -> None:
    assert is_audio_file("out.mp3", output=True)
    assert is_audio_file("talk.FLAC")
    assert not is_audio_file("pulse", output=True)
    assert not is_audio_file("5")
    existing = tmp_path / "recording"
    existing.write_bytes(b"x")
    assert is_audio_file(str(existing)) and not is_audio_file(str(existing), output=True)


def test_unwritable_formats_and_bad_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError, match=r"cannot write \.aiff files; --speaker writes "
                                             r"\.wav, \.mp3, \.flac"):
        file_sink(PlaybackBuffer(), tmp_path / "out.aiff")
    with pytest.raises(AudioFileError, match="no such directory"):
        file_sink(PlaybackBuffer(), tmp_path / "nodir" / "out.mp3")
    with pytest.raises(AudioFileError, match="no such file"):
        WavFileSource(tmp_path / "missing.mp3")
    garbage = tmp_path / "garbage.mp3"
    garbage.write_bytes(b"this is not audio at all" * 50)
    with pytest.raises(AudioFileError, match="cannot decode it as audio"):
        WavFileSource(garbage)
