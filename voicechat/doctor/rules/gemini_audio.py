"""Gemini Live's audio clock (issue 40, ``gemini-audio-rate-mismatch``): the sample rate an
app declares in the mime type against the rate its bytes arrive at, because a mislabelled mic
(24 kHz sent as 16 kHz, or the reverse) is heard too slow or too fast and nothing else says so.

Gemini Live states the sample rate in every blob's mime type (``audio/pcm;rate=16000``) and
resamples what it is told; it cannot tell that the bytes are at another rate. An app that
captures at 24 kHz (a browser's or Android's default) and labels it 16 kHz sends speech the
model hears 1.5 times too slow and deep, so it mishears or never hears the end of a turn; the
reverse, too fast. Nothing in the frames says so, but the log's clock does: bytes of
``realtimeInput.audio`` per second of wall time, over stretches of steady streaming (gaps, a
muted mic or push-to-talk are left out), long enough to be sure.
"""

from __future__ import annotations

from voicechat.doctor.context import Context
from voicechat.doctor.rules.base import Rule
from voicechat.eventlog.entry import Entry
from voicechat.eventlog.gemini_frames import PREFIX
from voicechat.protocol.gemini import names, spelling
from voicechat.protocol.gemini.audio import parse_pcm_mime

REALTIME_INPUT = PREFIX + names.REALTIME_INPUT
#: A pause longer than this between two chunks ends a stretch of steady streaming.
MAX_GAP_S = 0.5
#: How much steady streaming the verdict needs (a few chunks' jitter is then small).
MIN_SPAN_S = 5.0
#: Measured / declared outside this band is another rate (the common mistakes are 1.5× and
#: 2/3×, 16 vs 24 kHz; 3×, 16 vs 48 kHz): inside it, a clock's jitter or a slow machine.
LOW, HIGH = 0.8, 1.25
#: The rates apps capture at, to name the one the bytes match.
COMMON_RATES = (8000, 16000, 22050, 24000, 32000, 44100, 48000)


def audio_bytes(entry: Entry) -> tuple[int, int] | None:
    """The PCM byte count and declared rate of a ``realtimeInput.audio`` chunk, or ``None``."""
    blob = spelling.get(spelling.get(entry.canonical, names.REALTIME_INPUT) or {}, names.AUDIO)
    if not isinstance(blob, dict):
        return None
    fmt = parse_pcm_mime(spelling.get(blob, "mimeType"))
    data = blob.get("data")
    size = data.get("bytes") if isinstance(data, dict) else None  # as the reader redacts it
    if fmt is None or not isinstance(size, int):
        return None
    return size, fmt.rate


class GeminiAudioRateMismatch(Rule):
    """See the module: the declared rate against the bytes a second of streaming carries."""

    id = "gemini-audio-rate-mismatch"
    title = "Gemini Live: the mic audio's declared sample rate is not the rate it is sent at"
    feeds_on = frozenset({REALTIME_INPUT})

    def __init__(self) -> None:
        super().__init__()
        self.rate: int | None = None  # the declared rate being measured
        self.first: Entry | None = None
        self.last_t: float | None = None
        self.stretch_bytes = 0  # after the stretch's first chunk
        self.stretch_start: float | None = None
        self.bytes = 0
        self.span = 0.0
        self.done = False
        self.measured = 0.0

    def feed(self, entry: Entry, ctx: Context) -> None:
        if self.done or entry.dir != "out" or entry.t is None:
            return
        chunk = audio_bytes(entry)
        if chunk is None:
            return
        size, rate = chunk
        if rate != self.rate:  # a new declaration: measure it afresh
            self.rate, self.first, self.bytes, self.span = rate, entry, 0, 0.0
            self._start(entry.t)
            return
        assert self.last_t is not None and self.stretch_start is not None
        if entry.t - self.last_t > MAX_GAP_S:
            self._close_stretch()
            self._start(entry.t)
            return
        self.stretch_bytes += size
        self.last_t = entry.t
        if self.span + (entry.t - self.stretch_start) >= MIN_SPAN_S:
            self._close_stretch()
            self._judge(entry)
            self._start(entry.t)

    def _start(self, t: float) -> None:
        self.stretch_start = self.last_t = t
        self.stretch_bytes = 0

    def _close_stretch(self) -> None:
        assert self.last_t is not None and self.stretch_start is not None
        self.span += self.last_t - self.stretch_start
        self.bytes += self.stretch_bytes

    def _judge(self, entry: Entry) -> None:
        if self.rate is None or self.span <= 0:
            return
        self.done = True
        self.measured = self.bytes / 2 / self.span  # 16-bit mono samples per second
        ratio = self.measured / self.rate
        if LOW <= ratio <= HIGH or not self._likely():
            return  # the declared rate, or no capture rate: a file sent faster than real time
        first = self.first.where() if self.first is not None else "?"
        self.add(entry, f"the mic declared audio/pcm;rate={self.rate} (from {first}) but "
                        f"sent {self.bytes} bytes in {self.span:.1f} s of steady streaming: "
                        f"{self.measured:.0f} samples/s, {ratio:.2f}× the declared rate"
                        f"{self._likely()}")

    def _likely(self) -> str:
        rate = min(COMMON_RATES, key=lambda r: abs(r - self.measured))
        return f" (that is {rate // 1000} kHz audio)" \
            if abs(rate - self.measured) <= 0.1 * rate else ""

    def fix(self, ctx: Context) -> str:
        real = min(COMMON_RATES, key=lambda r: abs(r - self.measured))
        return (f"Declare the rate the audio really has: the samples are {real} Hz, so either "
                f"send mimeType \"audio/pcm;rate={real}\" (Gemini resamples any declared "
                f"rate), or resample the mic to {self.rate} Hz before sending it as "
                f"\"audio/pcm;rate={self.rate}\". A browser's AudioContext and Android "
                "capture often run at 48 or 24 kHz whatever you asked for: read the real "
                "rate (AudioContext.sampleRate) instead of assuming 16 kHz.")
