"""Speech-like test signals and a synthetic room for echo cancellation (tests and bench).

The far end is espeak-ng speech (TEST_PHRASES, as the assistant would say them); the "room" is
a loudspeaker-to-mic path with a pure delay, an attenuation, a short decaying reverberant tail
and a gentle low-pass smear, plus a faint noise floor at the mic, so that a canceller has to
model a real impulse response rather than a scaled copy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from tests.speech import TEST_PHRASES, speech_pcm
from voicechat.audio.echo import EchoCanceller

RATE = 48000
Float = npt.NDArray[np.float64]
Int16 = npt.NDArray[np.int16]

#: A phrase for the user talking over the assistant (not one of the assistant's).
NEAR_PHRASE = "Stop, stop, I have a question about that."


@lru_cache(maxsize=4)
def _far(seconds: float, rate: int) -> bytes:
    parts: list[Int16] = []
    total, i = 0, 0
    while total < seconds * rate:
        phrase = speech_pcm(TEST_PHRASES[i % len(TEST_PHRASES)], rate)
        parts += [phrase, np.zeros(rate // 5, dtype=np.int16)]
        total += phrase.size + rate // 5
        i += 1
    return np.concatenate(parts)[: int(seconds * rate)].tobytes()


def far_speech(seconds: float, rate: int = RATE) -> Int16:
    """``seconds`` of the assistant talking (phrases 0.2 s apart), int16 mono."""
    return np.frombuffer(_far(seconds, rate), dtype=np.int16).copy()


def room_response(delay_ms: float, gain_db: float, rate: int = RATE, seed: int = 1) -> Float:
    """Impulse response: ``delay_ms`` of pure delay, then a 30 ms decaying tail, low-passed and
    scaled to ``gain_db`` of total energy gain."""
    rng = np.random.default_rng(seed)
    d = round(delay_ms * rate / 1000)
    tail = int(0.03 * rate)
    ir = np.zeros(d + tail)
    ir[d] = 1.0
    ir[d:] += 0.3 * rng.standard_normal(tail) * np.exp(-np.arange(tail) / (0.008 * rate))
    ir = np.convolve(ir, np.ones(4) / 4)
    ir *= 10 ** (gain_db / 20) / np.sqrt(np.sum(ir**2))
    return ir


def through_room(x: npt.ArrayLike, ir: Float) -> Float:
    """``np.convolve(x, ir)``, the leading zeros of ``ir`` (its pure delay) taken as a shift.

    Why: np.convolve is direct, so a 250 ms delay at 48 kHz made 12 s of audio cost 13,443
    taps a sample, 45 s of a loaded core for one echo (issue 77); the shift leaves the 1,443
    taps of the room's tail (0.4 s), and the result differs by at most ~1e-15.
    """
    x = np.asarray(x, dtype=np.float64)
    delay = int(np.flatnonzero(ir)[0]) if np.any(ir) else ir.size
    out = np.zeros(x.size + ir.size - 1)
    if delay < ir.size:
        out[delay:] = np.convolve(x, ir[delay:])
    return out


def skewed(x: npt.ArrayLike, ppm: float, delay_ms: float, rate: int = RATE,
           half: int = 32) -> Float:
    """``x`` as a mic whose clock runs ``ppm`` fast hears it: delayed by ``delay_ms`` and then
    by ``ppm`` µs more every second, read between samples by a Hann-windowed sinc of
    ``2 * half`` taps (written apart from ``audio/echo/warp.py``, which the tests check
    against it)."""
    xf = np.asarray(x, dtype=np.float64)
    n = np.arange(xf.size, dtype=np.float64)
    pos = n - (delay_ms * rate / 1000 + ppm * 1e-6 * n)
    base = np.floor(pos).astype(np.int64)
    frac = pos - base
    # zeros either side instead of a mask per tap, and each tap's sinc and window from one
    # sine and cosine of ``frac`` (sin(pi (k - f)) = (-1)^(k+1) sin(pi f)): 3.1 s of CPU for
    # 20 s at 48 kHz became 1.2 s, the same samples within 1e-8 (issue 77)
    pad = half + int(max(0, -base.min(), base.max() - xf.size + 1))
    padded = np.concatenate([np.zeros(pad), xf, np.zeros(pad)])
    sin_frac = np.sin(np.pi * frac)
    a = np.pi / (half + 1)
    cos_af, sin_af = np.cos(a * frac), np.sin(a * frac)
    out = np.zeros(xf.size)
    for k in range(-half + 1, half + 1):
        u = k - frac
        with np.errstate(divide="ignore", invalid="ignore"):
            sinc = np.where(u == 0.0, 1.0, (-1.0) ** (k + 1) * sin_frac / (np.pi * u))
        window = 0.5 + 0.5 * (np.cos(a * k) * cos_af + np.sin(a * k) * sin_af)
        out += sinc * window * padded[base + k + pad]
    return out


@dataclass
class EchoScene:
    """What reaches the mic: ``mic = echo + near + noise`` (all int16-clipped float arrays)."""

    far: Int16
    echo: Float
    near: Float
    mic: Int16
    rate: int


def scene(
    seconds: float = 10.0,
    *,
    delay_ms: float = 50.0,
    gain_db: float = -6.0,
    near_at_s: float | None = None,
    near_gain: float = 1.0,
    rate: int = RATE,
    skew_ppm: float = 0.0,
) -> EchoScene:
    """The assistant talking for ``seconds`` through the room; the user talks from ``near_at_s``.
    ``skew_ppm``: the mic's clock runs that much fast, so the echo's delay drifts (see
    :func:`skewed`)."""
    far = far_speech(seconds, rate)
    if skew_ppm:
        played = skewed(far, skew_ppm, delay_ms, rate)
        echo = through_room(played, room_response(0.0, gain_db, rate))[: far.size]
    else:
        echo = through_room(far, room_response(delay_ms, gain_db, rate))[: far.size]
    near = np.zeros(far.size)
    if near_at_s is not None:
        start = int(near_at_s * rate)
        voice = speech_pcm(NEAR_PHRASE, rate).astype(np.float64) * near_gain
        near[start : start + voice.size] = voice[: far.size - start]
    noise = np.random.default_rng(2).standard_normal(far.size) * 3.0  # about -80 dBFS
    mic = np.clip(np.rint(echo + near + noise), -32768, 32767).astype(np.int16)
    return EchoScene(far=far, echo=echo, near=near, mic=mic, rate=rate)


def db(num: npt.ArrayLike, den: npt.ArrayLike) -> float:
    """Energy ratio in dB."""
    a = np.asarray(num, dtype=np.float64)
    b = np.asarray(den, dtype=np.float64)
    return float(10 * np.log10(np.mean(a * a) / max(float(np.mean(b * b)), 1e-12)))


def bursty_run(aec: EchoCanceller, sc: EchoScene, *, stamped: bool, block: int = 960,
               seed: int = 7) -> Iterator[tuple[int, Int16]]:
    """Feed ``sc`` to ``aec`` as a sound server calls back: speaker blocks in bursts of
    10-40 ms, 20-120 ms ahead of the mic, with PortAudio-like timestamps (a little jitter) or
    none (``stamped`` False: sample counts alone). Yields each mic block's start and what the
    stage made of it."""
    rng = np.random.default_rng(seed)
    rate = aec.rate
    far_pos = 0
    for i in range(0, sc.far.size - block + 1, block):
        ahead = i + int(rng.uniform(0.02, 0.12) * rate)  # how far the speaker runs ahead now
        while far_pos < min(ahead, sc.far.size):
            n = int(rng.choice([480, 960, 1920]))
            dac = far_pos / rate + rng.normal(0, 0.0005) if stamped else None
            aec.process_far(sc.far[far_pos:far_pos + n], dac)
            far_pos += n
        adc = i / rate + rng.normal(0, 0.0005) if stamped else None
        yield i, aec.process_near(sc.mic[i:i + block], adc)
