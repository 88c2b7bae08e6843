"""voicechat.rtc.dsp: resampling quality, streaming exactness, G.711, base64, levels."""

from __future__ import annotations

import base64
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voicechat.rtc import dsp

RATE_PAIRS = [
    (48000, 16000),
    (16000, 48000),
    (24000, 48000),
    (48000, 24000),
    (24000, 16000),
    (16000, 24000),
    (22050, 24000),
    (44100, 48000),
    (24000, 8000),
    (8000, 24000),
]


def tone(freq: float, rate: int, seconds: float = 1.0, amp: float = 10000.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return np.rint(amp * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def fft_peak_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64) * np.hanning(len(x))))
    return float(np.argmax(spectrum) * rate / len(x))


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


@pytest.mark.parametrize(("src", "dst"), RATE_PAIRS)
def test_resample_keeps_length_frequency_and_level(src: int, dst: int) -> None:
    x = tone(1000, src)
    y = dsp.resample(x, src, dst)
    assert y.dtype == np.int16
    assert len(y) == dst  # one second in, one second out
    assert abs(fft_peak_hz(y, dst) - 1000) <= 1.0
    inner = y[dst // 10 : -dst // 10]
    assert rms(inner) == pytest.approx(rms(x), rel=0.01)
    # Sample-accurate: matches an ideal 1 kHz sine at the new rate within a few LSB, so the
    # filter adds no delay and no distortion.
    ideal = 10000 * np.sin(2 * np.pi * 1000 * np.arange(len(y)) / dst)
    assert np.max(np.abs(inner - ideal[dst // 10 : -dst // 10])) < 4


@pytest.mark.parametrize(("src", "dst"), [(48000, 16000), (48000, 24000), (24000, 8000)])
def test_downsampling_removes_what_would_alias(src: int, dst: int) -> None:
    # A tone above the new Nyquist frequency would fold back into the audible band.
    x = tone(dst * 0.5 + 1500, src)
    y = dsp.resample(x, src, dst)
    assert rms(y[100:-100]) < rms(x) * 0.001  # at least 60 dB down


@pytest.mark.parametrize(("src", "dst"), RATE_PAIRS)
def test_stream_resampler_equals_one_shot_for_any_chunking(src: int, dst: int) -> None:
    rng = np.random.default_rng(src + dst)
    x = rng.integers(-20000, 20000, src // 2).astype(np.int16)
    whole = dsp.resample(x, src, dst)
    stream = dsp.StreamResampler(src, dst)
    parts, i = [], 0
    while i < len(x):
        n = int(rng.integers(1, 1500))
        parts.append(stream.process(x[i : i + n]))
        i += n
    parts.append(stream.flush())
    assert np.array_equal(np.concatenate(parts), whole)


@pytest.mark.parametrize(("src", "dst"), RATE_PAIRS)
def test_stream_resampler_answers_silence_without_the_filter_and_stays_exact(
    src: int, dst: int
) -> None:
    # sound, long and short silences (the filter is skipped once its history is silent too)
    rng = np.random.default_rng(src * 3 + dst)
    pieces = []
    for _ in range(12):
        n = int(rng.integers(1, 3000))
        loud = bool(rng.integers(0, 2))
        pieces.append(rng.integers(-20000, 20000, n).astype(np.int16) if loud
                      else np.zeros(n, np.int16))
    x = np.concatenate(pieces)
    stream = dsp.StreamResampler(src, dst)
    skipped = []
    filtered = stream._silence
    stream._silence = lambda n: skipped.append(n) or filtered(n)  # type: ignore[method-assign]
    parts = [stream.process(piece) for piece in pieces] + [stream.flush()]
    assert np.array_equal(np.concatenate(parts), dsp.resample(x, src, dst))
    assert skipped, "no silent chunk took the short way"


def test_stream_resampler_has_no_clicks_at_20ms_chunk_edges() -> None:
    x = tone(440, 48000, 0.5)
    stream = dsp.StreamResampler(48000, 16000)
    y = np.concatenate([stream.process(x[i : i + 960]) for i in range(0, len(x), 960)])
    ideal = 10000 * np.sin(2 * np.pi * 440 * np.arange(len(y)) / 16000)
    # Output lags by the filter's look-ahead; align, then compare away from the start.
    lag = len(dsp.resample(x, 48000, 16000)) - len(y)
    aligned = ideal[: len(y)]
    assert lag >= 0
    assert np.max(np.abs(y[200:] - aligned[200:])) < 4
    assert stream.flush().size == lag


def test_stream_resampler_reset_and_flush_start_a_new_stream() -> None:
    x = tone(300, 24000, 0.2)
    stream = dsp.StreamResampler(24000, 48000)
    first = np.concatenate([stream.process(x), stream.flush()])
    second = np.concatenate([stream.process(x), stream.flush()])  # flush ended the first
    assert np.array_equal(first, second)
    assert np.array_equal(first, dsp.resample(x, 24000, 48000))
    stream.process(x[:1000])
    stream.reset()
    assert np.array_equal(np.concatenate([stream.process(x), stream.flush()]), first)


def test_same_rate_is_a_copy() -> None:
    x = tone(500, 16000, 0.1)
    y = dsp.resample(x, 16000, 16000)
    assert np.array_equal(x, y) and y is not x
    assert np.array_equal(dsp.StreamResampler(16000, 16000).process(x), x)


def test_resample_rejects_bad_rates_and_handles_empty_input() -> None:
    with pytest.raises(ValueError, match="positive"):
        dsp.resample(np.zeros(10, np.int16), 0, 16000)
    assert dsp.resample(np.zeros(0, np.int16), 48000, 16000).size == 0


def test_resample_clips_instead_of_wrapping() -> None:
    # A full-scale square wave overshoots after filtering (Gibbs); int16 must clip, not wrap.
    x = np.tile(np.r_[np.full(40, 32767), np.full(40, -32768)], 50).astype(np.int16)
    y = dsp.resample(x, 48000, 24000)
    signs_flipped = np.sum((x[::2][10:-10] > 30000) & (y[10:-10] < -30000))
    assert signs_flipped == 0


# --- G.711 ------------------------------------------------------------------------------------


def test_g711_matches_reference_codec_for_every_sample_value() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop  # the CPython reference implementation (removed in 3.13)
    every = np.arange(-32768, 32768, dtype=np.int16)
    raw = every.tobytes()
    assert dsp.ulaw_encode(every) == audioop.lin2ulaw(raw, 2)
    assert dsp.alaw_encode(every) == audioop.lin2alaw(raw, 2)
    codes = bytes(range(256))
    assert dsp.ulaw_decode(codes).tobytes() == audioop.ulaw2lin(codes, 2)
    assert dsp.alaw_decode(codes).tobytes() == audioop.alaw2lin(codes, 2)


@pytest.mark.parametrize(
    ("encode", "decode"), [(dsp.ulaw_encode, dsp.ulaw_decode), (dsp.alaw_encode, dsp.alaw_decode)]
)
def test_g711_round_trip_error_is_within_the_logarithmic_step(encode, decode) -> None:  # type: ignore[no-untyped-def]
    x = np.arange(-32768, 32768, 7, dtype=np.int16)
    y = decode(encode(x))
    assert y.dtype == np.int16 and len(y) == len(x)
    err = np.abs(y.astype(np.int32) - x.astype(np.int32))
    # 4 mantissa bits per segment: the error stays under ~1/32 of the magnitude (+ small floor).
    assert np.all(err <= np.abs(x.astype(np.int32)) / 32 + 40)
    # Speech survives: a sentence-level tone round-trips with > 30 dB SNR.
    t = tone(440, 8000, 0.5)
    noise = decode(encode(t)).astype(np.float64) - t
    assert 20 * np.log10(rms(t) / rms(noise)) > 30


def test_g711_codes_are_one_byte_per_sample() -> None:
    x = tone(1000, 8000, 0.02)
    assert len(dsp.ulaw_encode(x)) == len(x) == len(dsp.alaw_encode(x))
    assert dsp.ulaw_encode(np.zeros(3, np.int16)) == b"\xff\xff\xff"  # µ-law silence is 0xFF
    assert dsp.alaw_encode(np.zeros(3, np.int16)) == b"\xd5\xd5\xd5"  # A-law silence is 0xD5


# --- base64, channels, levels -----------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-32768, 32767), max_size=400))
def test_pcm16_base64_round_trip(samples: list[int]) -> None:
    x = np.array(samples, dtype=np.int16)
    s = dsp.pcm16_to_b64(x)
    assert base64.b64decode(s) == x.astype("<i2").tobytes()  # little-endian on the wire
    assert np.array_equal(dsp.b64_to_pcm16(s), x)


def test_b64_to_pcm16_names_the_problem() -> None:
    with pytest.raises(ValueError, match="not valid base64"):
        dsp.b64_to_pcm16("not base64!!")
    with pytest.raises(ValueError, match="even number"):
        dsp.b64_to_pcm16(base64.b64encode(b"abc").decode())


def test_stereo_mono_conversions() -> None:
    mono = np.array([100, -200, 32767, -32768], dtype=np.int16)
    stereo = dsp.mono_to_stereo(mono)
    assert stereo.tolist() == [100, 100, -200, -200, 32767, 32767, -32768, -32768]
    assert np.array_equal(dsp.stereo_to_mono(stereo), mono)
    assert dsp.stereo_to_mono(np.array([[10, 20], [-5, 5]], dtype=np.int16)).tolist() == [15, 0]
    with pytest.raises(ValueError, match="even number"):
        dsp.stereo_to_mono(np.zeros(3, np.int16))


def test_rms_level_and_duration() -> None:
    assert dsp.rms_level(np.zeros(100, np.int16)) == 0.0
    assert dsp.rms_level(np.zeros(0, np.int16)) == 0.0
    assert dsp.rms_level(np.full(100, -32768, np.int16)) == 1.0
    assert dsp.rms_level(tone(1000, 16000, amp=16384)) == pytest.approx(0.5 / np.sqrt(2), rel=1e-3)
    assert dsp.duration_ms(48000, 48000) == 1000
    assert dsp.duration_ms(959, 48000) == 19  # rounded down: never claims unplayed audio
    assert dsp.duration_ms(0, 24000) == 0
