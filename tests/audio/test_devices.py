"""File sources and sinks, the playback buffer, the level meter, and the no-PortAudio error."""

from __future__ import annotations

import asyncio
import builtins
import subprocess
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.helpers import until
from voicechat.audio import devices
from voicechat.audio.files import (
    FRAME,
    AudioFileError,
    PacedSink,
    WavFileSink,
    WavFileSource,
    write_wav,
)
from voicechat.audio.meter import LevelMeter
from voicechat.audio.playback import RATE, PlaybackBuffer


def tone(seconds: float, rate: int = RATE, freq: float = 440.0, amp: int = 8000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def test_playback_buffer_counts_played_ms_per_item_and_zero_fills() -> None:
    buf = PlaybackBuffer()
    buf.push(np.full(RATE // 10, 100, np.int16), "a")  # 100 ms of item a
    buf.push(np.full(RATE // 20, 200, np.int16), "b")  # 50 ms of item b
    assert buf.queued_ms == 150
    first = buf.read(FRAME * 4)  # 80 ms
    assert (first == 100).all()
    assert buf.played_ms("a") == 80 and buf.played_ms("b") == 0
    second = buf.read(FRAME * 4)  # 20 ms of a, 50 ms of b, 10 ms of silence
    assert (second[:FRAME] == 100).all()
    assert (second[FRAME : FRAME + RATE // 20] == 200).all()
    assert (second[-RATE // 100 :] == 0).all()
    assert buf.played_ms("a") == 100 and buf.played_ms("b") == 50
    snap = buf.snapshot()
    assert snap.playing and snap.item_id == "b"
    buf.read(FRAME)
    assert not buf.snapshot().playing


def test_flush_drops_queued_audio_and_keeps_played_position() -> None:
    buf = PlaybackBuffer()
    buf.push(np.ones(RATE, np.int16), "a")
    buf.read(FRAME)
    dropped = buf.flush()
    assert dropped == RATE - FRAME
    assert buf.played_ms("a") == 20
    assert not buf.read(FRAME).any()


def test_wav_source_resamples_to_48k_frames_and_ends(tmp_path: Path) -> None:
    path = tmp_path / "in.wav"
    write_wav(path, tone(0.1, rate=16000), rate=16000)
    source = WavFileSource(path)
    assert abs(source.samples.size - RATE // 10) <= 2

    async def collect() -> list[np.ndarray]:
        return [frame async for frame in source.frames()]

    import asyncio

    frames = asyncio.run(collect())
    assert len(frames) == 5 and all(f.size == FRAME for f in frames)
    assert source.ended
    # the tone survives resampling: dominant frequency still 440 Hz
    joined = np.concatenate(frames)
    spectrum = np.abs(np.fft.rfft(joined.astype(np.float64)))
    assert abs(np.argmax(spectrum) * RATE / joined.size - 440) < 15


def numbered_frames(path: Path, count: int) -> WavFileSource:
    """A file mic whose frame i holds the value i + 1 (which frame came is then plain)."""
    write_wav(path, np.repeat(np.arange(1, count + 1, dtype=np.int16), FRAME))
    return WavFileSource(path)


async def test_wav_source_hands_over_frames_per_wakeup_together_never_early(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``frames_per_wakeup`` 5 a frame not yet due waits for the tick of the fifth, and the
    five come in one wake-up: a grid wait per five frames, none released before its slot."""
    from voicechat.rtc import pacer as pacer_module

    source = numbered_frames(tmp_path / "mic.wav", 21)
    source.frames_per_wakeup = 5
    loop = asyncio.get_running_loop()
    pacer = pacer_module.pacer_for(loop)
    waits = []
    wait = pacer.wait

    def counted(due: float) -> asyncio.Future[None]:
        waits.append(due)
        return wait(due)

    monkeypatch.setattr(pacer, "wait", counted)
    start = pacer.tick_at_or_before(loop.time())
    got = []
    async for frame in source.frames():
        index = int(frame[0]) - 1
        assert loop.time() >= start + index * pacer_module.TICK_S - 1e-6  # never early
        got.append(index)
    assert got == list(range(21))
    assert 1 <= len(waits) <= 4  # frames 1-5, 6-10, 11-15, 16-20 (fewer if the loop lagged)


async def test_wav_source_drops_frames_held_across_a_mute(tmp_path: Path) -> None:
    """Frames captured before ``drop_ready`` (the mic was muted) and still held for the batch are
    not handed over after it; the ones captured later are."""
    source = numbered_frames(tmp_path / "mic.wav", 11)
    got = []
    async for frame in source.frames():
        got.append(int(frame[0]) - 1)
        if len(got) == 1:  # frame 0 comes at once; hold 1-5 for the tick of frame 5
            source.frames_per_wakeup = 5
            asyncio.get_running_loop().call_later(0.05, source.drop_ready)
    assert got[0] == 0 and 1 not in got and 2 not in got  # due by the mute, 50 ms in
    assert got[1:] == list(range(got[1], 11))


def test_wav_source_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError, match="no such file"):
        WavFileSource(tmp_path / "nope.wav")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav at all")
    with pytest.raises(AudioFileError, match=r"bad\.wav"):
        WavFileSource(bad)
    eight = tmp_path / "eight.wav"
    with wave.open(str(eight), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(8000)
        wav.writeframes(b"\x80" * 800)
    assert WavFileSource(eight).duration_s == pytest.approx(0.1)  # 8-bit: decoded by PyAV
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioFileError, match=r"empty\.wav: the file is empty \(0 bytes\); "
                                             "record or convert some speech into it"):
        WavFileSource(empty)
    header_only = tmp_path / "header.wav"
    with wave.open(str(header_only), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(24000)
    with pytest.raises(AudioFileError, match=r"header\.wav: holds no audio"):
        WavFileSource(header_only)
    with pytest.raises(AudioFileError, match="a directory, not an audio file"):
        WavFileSource(tmp_path)


def test_wav_files_sox_writes_are_read(tmp_path: Path) -> None:
    """sox writes WAVE_FORMAT_EXTENSIBLE (and 24-bit or float when asked): Python's wave module
    refuses them ("unknown format: 65534"); they are decoded instead."""
    src = tmp_path / "src.wav"
    with wave.open(str(src), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes((np.sin(np.arange(16000) / 5) * 8000).astype("<i2").tobytes())
    for args in (["-b", "24"], ["-e", "floating-point", "-b", "32"], ["-c", "2"]):
        out = tmp_path / f"sox{'_'.join(args)}.wav"
        subprocess.run(["sox", str(src), *args, str(out)], check=True)
        source = WavFileSource(out)
        assert source.duration_s == pytest.approx(1.0, abs=0.01), args
        assert int(np.abs(source.samples).max()) > 4000, args


async def test_wav_sink_records_what_was_played(tmp_path: Path) -> None:
    buf = PlaybackBuffer()
    out = tmp_path / "out.wav"
    sink = WavFileSink(buf, out)
    audio = tone(0.2)
    buf.push(audio, "item")
    await sink.start()
    await until(lambda: buf.snapshot().queued_ms == 0 and not buf.snapshot().playing,
                "the sink to play the queue out")
    await sink.stop()
    with wave.open(str(out), "rb") as wav:
        assert wav.getframerate() == RATE
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    start = int(np.flatnonzero(data)[0]) - 1  # the tone's first sample is 0
    assert np.array_equal(data[start : start + audio.size], audio)
    assert buf.played_ms("item") == 200


def test_level_meter_rises_fast_and_falls_slowly() -> None:
    meter = LevelMeter()
    assert meter.update(np.zeros(FRAME, np.int16)) == 0.0
    loud = meter.update(tone(0.02, amp=20000))
    assert loud > 0.8
    after = meter.update(np.zeros(FRAME, np.int16))
    assert 0.5 < after < loud


def test_missing_portaudio_becomes_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(devices.AudioUnavailable) as info:
        devices.load_sounddevice()
    message = str(info.value)
    assert "libportaudio2" in message and "--mic FILE" in message


def test_devices_command_explains_when_audio_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from voicechat.commands import devices as command

    def broken() -> list[Any]:
        raise devices.AudioUnavailable("PortAudio library not found: " + devices.FIX)

    monkeypatch.setattr(devices, "list_devices", broken)
    assert command.run() == 1
    assert "libportaudio2" in capsys.readouterr().err


@pytest.mark.audio
def test_devices_lists_the_pulse_devices(pulse: None, capsys: pytest.CaptureFixture[str]) -> None:
    from voicechat.commands import devices as command

    assert command.run() == 0
    out = capsys.readouterr().out
    assert "pulse" in out or "default" in out
    assert "<in" in out and "<out" in out


@pytest.mark.audio
def test_a_device_given_as_a_superscript_digit_is_a_name_not_a_crash(pulse: None) -> None:
    """"²" passes ``str.isdigit`` but not ``int``: it is looked up as a name."""
    with pytest.raises(devices.AudioUnavailable, match="no input device matching '²'"):
        devices.resolve_device("²", "input")


def test_no_device_with_portaudio_present_says_so_instead_of_asking_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # PortAudio loads but lists nothing: a machine without a sound card or sound server.
    monkeypatch.setattr(devices, "list_devices", lambda: [])
    with pytest.raises(devices.AudioUnavailable) as info:
        devices.resolve_device(None, "input")
    message = str(info.value)
    assert "no audio input device found" in message
    assert "libportaudio2" not in message
    assert "--mic FILE" in message and "voicechat devices" in message


def test_speaker_resamples_for_a_device_that_refuses_48k() -> None:
    # A 1 kHz tone at 48 kHz played through a 44.1 kHz device must come out as 1 kHz at 44.1 kHz,
    # in the block sizes PortAudio asks for, with nothing lost or invented.
    from types import SimpleNamespace

    import numpy as np

    from voicechat.audio.playback import PlaybackBuffer
    from voicechat.rtc import dsp

    buffer = PlaybackBuffer()
    t = np.arange(48000) / 48000
    buffer.push((np.sin(2 * np.pi * 1000 * t) * 10000).astype(np.int16), item_id="a1")
    sink = devices.DeviceSink.__new__(devices.DeviceSink)
    sink.buffer, sink.rate, sink.underruns = buffer, 44100, 0
    sink._resampler = dsp.StreamResampler(48000, 44100)
    sink._fifo = np.zeros(0, dtype=np.int16)
    status = SimpleNamespace(output_underflow=False)
    blocks = []
    for _ in range(40):  # 40 callbacks of 882 frames = 0.8 s at 44.1 kHz
        out = np.zeros((882, 1), dtype=np.int16)
        sink._callback(out, 882, None, status)
        blocks.append(out[:, 0].copy())
    played = np.concatenate(blocks)[2000:30000].astype(np.float64)
    spectrum = np.abs(np.fft.rfft(played * np.hanning(played.size)))
    peak_hz = np.argmax(spectrum) * 44100 / played.size
    assert abs(peak_hz - 1000) < 5
    assert 0.6 < np.sqrt(np.mean(played**2)) / (10000 / np.sqrt(2)) < 1.1


class _CountingNullSink(PacedSink):
    """The null speaker, counting the frames it is handed."""

    def __init__(self, buffer: PlaybackBuffer) -> None:
        super().__init__(buffer)
        self.writes = 0

    def write(self, frame: np.ndarray) -> None:
        self.writes += 1


async def test_the_null_speaker_plays_what_comes_and_sleeps_while_nothing_does() -> None:
    buf = PlaybackBuffer()
    sink = _CountingNullSink(buf)
    await sink.start()
    try:
        await asyncio.sleep(0.1)
        assert sink.writes == 0  # nothing queued: not a single tick
        buf.push(np.full(FRAME * 5, 100, np.int16), "a")  # 100 ms
        await until(lambda: buf.played_ms("a") == 100, "the null speaker to play the item")
        await until(lambda: buf.idle, "the null speaker to see the buffer empty")
        writes = sink.writes
        assert writes >= 6  # five frames of audio, then the read that found nothing
        await asyncio.sleep(0.1)
        assert sink.writes == writes  # drained: it stopped ticking
        buf.push(np.full(FRAME, 100, np.int16), "b")  # and wakes for the next audio
        await until(lambda: buf.played_ms("b") == 20, "the null speaker to play again")
    finally:
        await sink.stop()


def test_a_file_speaker_records_silence_too() -> None:
    assert WavFileSink.ticks_when_silent and not PacedSink.ticks_when_silent
