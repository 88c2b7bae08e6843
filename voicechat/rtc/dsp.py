"""Audio arithmetic shared by the client and the local server, in pure numpy.

Every audio path in voicechat crosses at least one rate boundary (microphones and Opus run at
48 kHz, the Realtime API speaks 24 kHz PCM or 8 kHz G.711, the VAD and the recogniser want
16 kHz), so resampling has to be clean: aliasing would feed the VAD and the recogniser energy
that is not in the speech, and a click at every 20 ms chunk edge would be audible. The resampler
is a polyphase windowed-sinc filter (Kaiser window, ~80 dB stop band) rather than linear
interpolation, and its streaming form produces exactly the samples the one-shot form would, so
chunk boundaries leave no trace.

All functions take and return int16 mono arrays unless the name says otherwise; nothing here
keeps state between calls except :class:`StreamResampler`.
"""

from __future__ import annotations

import base64
import binascii
import math
from functools import lru_cache

import numpy as np
import numpy.typing as npt

Int16Array = npt.NDArray[np.int16]
FloatArray = npt.NDArray[np.float64]
# (up, down, taps_per_phase, delay, bank): a polyphase filter for one rate pair
Design = tuple[int, int, int, int, FloatArray]

# Zero crossings of the sinc on each side of the centre, at the lower of the two rates. 16 keeps
# the transition band narrow (~5 % of Nyquist) at a cost of 32 multiply-adds per output sample.
_HALF_ZEROS = 16
_KAISER_BETA = 8.6  # ~80 dB stop-band attenuation
_ROLLOFF = 0.94  # pass band edge as a fraction of the lower Nyquist frequency
_BLOCK = 8192  # output samples computed per vectorised block (bounds temporary memory)
_CONVOLVE_MAX_UP = 6  # up to this interpolation factor, convolve per phase (faster)


def _as_int16(x: npt.ArrayLike) -> Int16Array:
    arr = np.asarray(x)
    if arr.dtype != np.int16:
        if np.issubdtype(arr.dtype, np.floating):
            arr = np.rint(arr)
        arr = np.clip(arr, -32768, 32767).astype(np.int16)
    out: Int16Array = arr.reshape(-1)
    return out


def _to_int16(y: FloatArray) -> Int16Array:
    return np.clip(np.rint(y), -32768, 32767).astype(np.int16)


@lru_cache(maxsize=32)
def _design(src_rate: int, dst_rate: int) -> Design:
    """Polyphase filter bank for src->dst: (up, down, taps_per_phase, delay, bank[up, taps]).

    The prototype low-pass runs at ``src_rate * up``; its cut-off sits just below the lower
    Nyquist frequency so that downsampling cannot alias and upsampling removes the images.
    ``bank[p, k]`` is tap ``p + k*up`` of the prototype, already scaled by ``up``.
    """
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {src_rate} -> {dst_rate}")
    g = math.gcd(src_rate, dst_rate)
    up, down = dst_rate // g, src_rate // g
    taps_per_phase = 2 * _HALF_ZEROS * max(1, math.ceil(down / up))
    n_taps = taps_per_phase * up - 1  # odd length: the delay is a whole number of samples
    # Cut-off in cycles per sample at the upsampled rate.
    cutoff = _ROLLOFF * 0.5 / max(up, down)
    t = np.arange(n_taps, dtype=np.float64) - (n_taps - 1) / 2.0
    proto = 2.0 * cutoff * np.sinc(2.0 * cutoff * t) * np.kaiser(n_taps, _KAISER_BETA)
    proto *= up / proto.sum()  # DC gain `up` makes up for the zeros stuffed between samples
    proto = np.append(proto, 0.0)
    bank = proto.reshape(taps_per_phase, up).T.copy()  # bank[p, k] = proto[p + k*up]
    delay = (n_taps - 1) // 2
    return up, down, taps_per_phase, delay, bank


def _polyphase(
    padded: FloatArray, first_index: int, n_start: int, n_count: int, design: Design
) -> FloatArray:
    """Output samples n_start..n_start+n_count-1, reading input from ``padded``.

    ``padded[j]`` holds input sample ``first_index + j``; the caller guarantees every index the
    filter touches is present (zeros stand in before the start and after the end).
    """
    up, down, k_taps, delay, bank = design
    if up <= _CONVOLVE_MAX_UP:
        return _polyphase_convolve(padded, first_index, n_start, n_count, design)
    out = np.empty(n_count, dtype=np.float64)
    k = np.arange(k_taps)
    for b0 in range(0, n_count, _BLOCK):
        n = np.arange(n_start + b0, n_start + min(n_count, b0 + _BLOCK), dtype=np.int64)
        j = n * down + delay
        base = j // up - first_index
        phase = j % up
        idx = base[:, None] - k[None, :]
        out[b0 : b0 + len(n)] = np.einsum("ij,ij->i", padded[idx], bank[phase])
    return out


def _polyphase_convolve(
    padded: FloatArray, first_index: int, n_start: int, n_count: int, design: Design
) -> FloatArray:
    """The same sums as the gather path, via one C-speed convolution per phase.

    With a small ``up`` (integer ratios such as 48k->16k or 24k->48k) every output of a given
    residue class ``n mod up`` uses the same phase filter, so a full convolution followed by a
    strided slice computes them several times faster than gathering windows.
    """
    up, down, _k_taps, delay, bank = design
    out = np.empty(n_count, dtype=np.float64)
    for r in range(min(up, n_count)):
        n0 = n_start + r
        j0 = n0 * down + delay
        full = np.convolve(padded, bank[j0 % up])  # full[i] = sum_k bank[k] * padded[i - k]
        start = j0 // up - first_index
        count = len(range(r, n_count, up))
        out[r::up] = full[start : start + count * down : down][:count]
    return out


def resampled_length(n_samples: int, src_rate: int, dst_rate: int) -> int:
    """How many samples :func:`resample` returns for ``n_samples`` input (rounded up)."""
    return -(-n_samples * dst_rate // src_rate)


def resample(x: npt.ArrayLike, src_rate: int, dst_rate: int) -> Int16Array:
    """Resample a whole int16 mono signal; stateless, zero-phase (no added delay)."""
    pcm = _as_int16(x)
    if src_rate == dst_rate:
        return pcm.copy()
    design = _design(src_rate, dst_rate)
    up, _down, k_taps, delay, _bank = design
    n_out = resampled_length(len(pcm), src_rate, dst_rate)
    if n_out == 0:
        return np.zeros(0, dtype=np.int16)
    lead = k_taps  # zeros before sample 0
    tail = k_taps + delay // up + 2
    padded = np.concatenate([np.zeros(lead), pcm.astype(np.float64), np.zeros(tail)])
    return _to_int16(_polyphase(padded, -lead, 0, n_out, design))


class StreamResampler:
    """Resample a stream chunk by chunk, sample-exact with :func:`resample` on the whole.

    Output lags the input by the filter's half length (about 16 input samples, 1 ms at 16 kHz or
    more); :meth:`flush` returns the remainder at the end of a stream. The filter history is
    carried across chunks, so chunk edges produce no discontinuity at all.

    Digital silence is most of what a live mic or an idle session carries: a chunk of zeros
    while the filter's history is all zeros too resamples to zeros, so it is answered without
    the filter (the same samples, at the cost of a zero test).
    """

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        self.src_rate = src_rate
        self.dst_rate = dst_rate
        self._passthrough = src_rate == dst_rate
        self._design = _design(src_rate, dst_rate) if not self._passthrough else None
        self.reset()

    def reset(self) -> None:
        """Forget all history, as if a new stream started."""
        k_taps = self._design[2] if self._design else 0
        self._buf = np.zeros(k_taps, dtype=np.float64)  # history, zeros before the stream
        self._buf_first = -k_taps  # input index of _buf[0]
        self._n_in = 0  # input samples received
        self._n_out = 0  # output samples produced
        self._quiet = True  # the history holds only zeros

    def _ready(self, n_in: int) -> int:
        """Number of outputs whose newest input index is below ``n_in``."""
        assert self._design is not None
        up, down, _k, delay, _bank = self._design
        # output n needs input index (n*down + delay)//up  <  n_in
        return max(0, -(-(n_in * up - delay) // down))

    def process(self, chunk: npt.ArrayLike) -> Int16Array:
        """Feed a chunk of int16 samples; returns every output sample now computable."""
        pcm = _as_int16(chunk)
        if self._passthrough:
            self._n_in += len(pcm)
            return pcm.copy()
        if self._quiet and not pcm.any():
            return self._silence(len(pcm))
        self._buf = np.concatenate([self._buf, pcm.astype(np.float64)])
        self._n_in += len(pcm)
        out = self._emit(self._ready(self._n_in))
        self._quiet = not self._buf.any()
        return out

    def _silence(self, n: int) -> Int16Array:
        """``n`` zeros in with a silent history: zeros out, the history kept as (fewer) zeros."""
        assert self._design is not None
        up, down, k_taps, delay, _bank = self._design
        self._n_in += n
        target = self._ready(self._n_in)
        count = max(0, target - self._n_out)
        self._n_out += count
        oldest_needed = (self._n_out * down + delay) // up - k_taps + 1
        first = min(max(self._buf_first, oldest_needed), self._n_in)
        if first != self._buf_first or self._buf.size != self._n_in - first:
            self._buf = np.zeros(self._n_in - first, dtype=np.float64)
            self._buf_first = first
        return np.zeros(count, dtype=np.int16)

    def flush(self) -> Int16Array:
        """End the stream: return the outputs still held back (its end padded with silence),
        then start over as if new, so the resampler can carry the next stream."""
        if self._passthrough:
            self.reset()
            return np.zeros(0, dtype=np.int16)
        assert self._design is not None
        target = resampled_length(self._n_in, self.src_rate, self.dst_rate)
        pad = self._design[2] + self._design[3] // self._design[0] + 2
        self._buf = np.concatenate([self._buf, np.zeros(pad)])
        out = self._emit(target)
        self.reset()
        return out

    def _emit(self, target: int) -> Int16Array:
        assert self._design is not None
        count = target - self._n_out
        if count <= 0:
            return np.zeros(0, dtype=np.int16)
        y = _polyphase(self._buf, self._buf_first, self._n_out, count, self._design)
        self._n_out = target
        # Keep only the history the next output can still reach.
        up, down, k_taps, delay, _bank = self._design
        oldest_needed = (self._n_out * down + delay) // up - k_taps + 1
        drop = max(0, oldest_needed - self._buf_first)
        if drop:
            self._buf = self._buf[drop:]
            self._buf_first += drop
        return _to_int16(y)


# --- PCM16 <-> base64 (the Realtime API's audio payload encoding) ---------------------------


def pcm16_to_b64(x: npt.ArrayLike) -> str:
    """Little-endian int16 samples as base64, as ``input_audio_buffer.append`` carries them."""
    return base64.b64encode(_as_int16(x).astype("<i2").tobytes()).decode("ascii")


def b64_to_pcm16(s: str) -> Int16Array:
    """Decode a base64 PCM16 payload; a clear ValueError when it is not one."""
    try:
        raw = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"audio payload is not valid base64: {exc}") from None
    if len(raw) % 2:
        raise ValueError(
            f"audio payload has {len(raw)} bytes; PCM16 needs an even number (2 bytes per sample)"
        )
    return np.frombuffer(raw, dtype="<i2").astype(np.int16)


# --- G.711 (ITU-T), 8 kHz telephony codecs ---------------------------------------------------
# Encoding goes through a 64 Ki lookup table built once from the bit-level definition, so the
# per-call cost is one fancy-index; decoding uses a 256-entry table.


def _ulaw_decode_table() -> Int16Array:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = u & 0x80
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    mag = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(sign != 0, -mag, mag).astype(np.int16)


def _alaw_decode_table() -> Int16Array:
    a = np.arange(256, dtype=np.int32) ^ 0x55
    sign = a & 0x80
    exponent = (a >> 4) & 0x07
    mantissa = a & 0x0F
    mag = np.where(
        exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0)
    )
    return np.where(sign != 0, mag, -mag).astype(np.int16)


def _ulaw_encode_table() -> npt.NDArray[np.uint8]:
    """µ-law code for every int16 value, following the reference g711.c (14-bit magnitude)."""
    x = np.arange(-32768, 32768, dtype=np.int32)
    v = x >> 2
    mask = np.where(v < 0, 0x7F, 0xFF)
    v = np.minimum(np.abs(v), 8159) + 0x21
    seg = np.searchsorted(np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]), v)
    seg = seg.astype(np.int32)
    code = np.where(seg >= 8, 0x7F, (seg << 4) | ((v >> (np.minimum(seg, 7) + 1)) & 0x0F)) ^ mask
    table = np.empty(65536, dtype=np.uint8)
    table[x.astype(np.uint16)] = code.astype(np.uint8)
    return table


def _alaw_encode_table() -> npt.NDArray[np.uint8]:
    """A-law code for every int16 value, following the reference g711.c (13-bit magnitude)."""
    x = np.arange(-32768, 32768, dtype=np.int32)
    v = x >> 3
    mask = np.where(v >= 0, 0xD5, 0x55)
    v = np.where(v >= 0, v, -v - 1)
    seg = np.searchsorted(np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]), v)
    seg = seg.astype(np.int32)
    shift = np.where(seg < 2, 1, np.minimum(seg, 7))
    code = np.where(seg >= 8, 0x7F, (seg << 4) | ((v >> shift) & 0x0F)) ^ mask
    table = np.empty(65536, dtype=np.uint8)
    table[x.astype(np.uint16)] = code.astype(np.uint8)
    return table


_ULAW_DEC = _ulaw_decode_table()
_ALAW_DEC = _alaw_decode_table()
_ULAW_ENC = _ulaw_encode_table()
_ALAW_ENC = _alaw_encode_table()


def ulaw_encode(x: npt.ArrayLike) -> bytes:
    """int16 samples -> G.711 µ-law bytes (one byte per sample)."""
    return bytes(_ULAW_ENC[_as_int16(x).view(np.uint16)].tobytes())


def ulaw_decode(b: bytes) -> Int16Array:
    """G.711 µ-law bytes -> int16 samples."""
    return _ULAW_DEC[np.frombuffer(b, dtype=np.uint8)]


def alaw_encode(x: npt.ArrayLike) -> bytes:
    """int16 samples -> G.711 A-law bytes (one byte per sample)."""
    return bytes(_ALAW_ENC[_as_int16(x).view(np.uint16)].tobytes())


def alaw_decode(b: bytes) -> Int16Array:
    """G.711 A-law bytes -> int16 samples."""
    return _ALAW_DEC[np.frombuffer(b, dtype=np.uint8)]


# --- channels, levels, durations -------------------------------------------------------------


def stereo_to_mono(x_interleaved: npt.ArrayLike) -> Int16Array:
    """Average the two channels of interleaved (or ``(n, 2)``-shaped) int16 stereo."""
    arr = np.asarray(x_interleaved)
    if arr.size % 2:
        raise ValueError(f"interleaved stereo needs an even number of samples, got {arr.size}")
    pairs = arr.reshape(-1, 2).astype(np.int32)
    return ((pairs[:, 0] + pairs[:, 1]) // 2).astype(np.int16)


def mono_to_stereo(x: npt.ArrayLike) -> Int16Array:
    """Duplicate mono into interleaved stereo (L R L R ...), keeping the level (no -3 dB)."""
    return np.repeat(_as_int16(x), 2)


def rms_level(x: npt.ArrayLike) -> float:
    """RMS level relative to int16 full scale, 0.0 (silence or empty) .. 1.0."""
    arr = np.asarray(x, dtype=np.float64).reshape(-1)
    if arr.size == 0:
        return 0.0
    return float(min(1.0, math.sqrt(float(np.mean(arr * arr))) / 32768.0))


def duration_ms(n_samples: int, rate: int) -> int:
    """Whole milliseconds covered by ``n_samples`` at ``rate`` (rounded down, never over)."""
    if rate <= 0:
        raise ValueError(f"sample rate must be positive, got {rate}")
    return n_samples * 1000 // rate
