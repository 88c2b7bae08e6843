"""Offline speech recognition for the local server, with pocketsphinx's bundled English model.

pocketsphinx is the only recogniser whose model ships inside a wheel (no download at run time),
and it has two very different modes, measured on espeak speech:

* open vocabulary (its 27 MB trigram LM): 48-70 % word error rate — enough to show that *something*
  was heard, useless as a test oracle;
* a JSGF grammar listing the sentences that may be said: exact on every sentence tried, also
  after Opus round trips.

So :class:`Recognizer` takes an optional phrase list: with one it builds a grammar and returns
the matching phrase *as the caller wrote it* (case and punctuation kept), without one it decodes
freely. Decoders take ~0.4 s and ~60 MB to load, so they live in a process-wide pool shared by
every Recognizer; each grammar is added to a decoder once, as a named search.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from typing import Any

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 16000
_OPEN_SEARCH = "_default"  # the LM search pocketsphinx creates from its default config
_WORD = re.compile(r"[a-z0-9']+")


# pocketsphinx's features take the log of frame energy; stretches of digital silence (synthetic
# speech, padded test audio) give it -inf frames that derail grammar decoding (measured: 2 of 6
# test sentences exact on zero-padded espeak audio, 6 of 6 once a ±4 LSB floor is added). Real
# microphones never produce exact zeros, so a fixed, seeded floor at about -78 dBFS changes
# nothing for them and makes synthetic audio behave like recorded audio, deterministically.
_NOISE_FLOOR_LSB = 4
_NOISE_SEED = 20261121


def _with_noise_floor(pcm: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
    rng = np.random.default_rng(_NOISE_SEED)
    noise = rng.integers(-_NOISE_FLOOR_LSB, _NOISE_FLOOR_LSB + 1, len(pcm), dtype=np.int32)
    out: npt.NDArray[np.int16] = np.clip(pcm.astype(np.int32) + noise, -32768, 32767).astype(
        np.int16
    )
    return out


class AsrError(RuntimeError):
    """The recogniser could not be loaded; the message names the fix."""


def normalize(text: str) -> str:
    """Lower-case words only, the form grammars are written in and compared with."""
    return " ".join(_WORD.findall(text.lower().replace("’", "'")))


class _DecoderPool:
    """At most ``limit`` pocketsphinx decoders, created on demand and shared by all threads.

    A decoder is stateful (one utterance at a time), so a caller takes one exclusively for a
    transcription and gives it back; with every decoder busy, callers wait rather than load
    another 60 MB model. ``searches`` remembers which grammars each decoder already holds.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._idle: list[Any] = []
        self._created = 0
        self._cond = threading.Condition()
        self.searches: dict[int, set[str]] = {}

    def _load(self) -> Any:
        try:
            from pocketsphinx import Decoder  # type: ignore[import-untyped]
        except ImportError as exc:
            raise AsrError(
                f"pocketsphinx is not installed ({exc}). Fix: pip install pocketsphinx==5.1.1"
            ) from exc
        decoder = Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")
        self.searches[id(decoder)] = {_OPEN_SEARCH}
        return decoder

    def acquire(self) -> Any:
        with self._cond:
            while not self._idle and self._created >= self.limit:
                self._cond.wait()
            if self._idle:
                return self._idle.pop()
            self._created += 1
        try:
            return self._load()
        except BaseException:
            with self._cond:
                self._created -= 1
                self._cond.notify()
            raise

    def release(self, decoder: Any) -> None:
        with self._cond:
            self._idle.append(decoder)
            self._cond.notify()


_pool = _DecoderPool(limit=max(1, min(4, os.cpu_count() or 1)))


class Recognizer:
    """Transcribe 16 kHz int16 utterances; exact among ``phrases`` when they are given.

    Blocking (run it in an executor from asyncio) and thread-safe: concurrent calls each use
    their own pooled decoder. In grammar mode the result is one of the phrases as written, or,
    when the decoder stops short of a whole phrase, the words it did match (lower case), or "".
    """

    def __init__(self, phrases: list[str] | None = None) -> None:
        self.phrases = list(phrases) if phrases is not None else None
        self._by_norm: dict[str, str] = {}
        self._search = _OPEN_SEARCH
        self._jsgf: str | None = None
        if self.phrases is not None:
            self._jsgf = self._build_grammar(self.phrases)
            self._search = "g_" + hashlib.sha1(self._jsgf.encode()).hexdigest()[:16]
        decoder = _pool.acquire()  # loads the model now, not on the first utterance
        try:
            if self._jsgf is not None:
                self._check_vocabulary(decoder)
                self._ensure_search(decoder)
        finally:
            _pool.release(decoder)

    def _build_grammar(self, phrases: list[str]) -> str:
        alternatives: list[str] = []
        for phrase in phrases:
            norm = normalize(phrase)
            if not norm:
                raise ValueError(f"phrase {phrase!r} has no words to recognise")
            if norm not in self._by_norm:
                self._by_norm[norm] = phrase
                alternatives.append(norm)
        if not alternatives:
            raise ValueError(
                "Recognizer(phrases=[]) has nothing to recognise; pass None for open vocabulary"
            )
        body = " | ".join(alternatives)
        return f"#JSGF V1.0;\ngrammar phrases;\npublic <utterance> = {body};\n"

    def _check_vocabulary(self, decoder: Any) -> None:
        unknown = sorted(
            {w for norm in self._by_norm for w in norm.split() if decoder.lookup_word(w) is None}
        )
        if unknown:
            raise ValueError(
                "these words are not in the recogniser's English dictionary: "
                + ", ".join(unknown)
                + ". Fix: spell numbers and symbols out as words (e.g. '7' -> 'seven')."
            )

    def _ensure_search(self, decoder: Any) -> None:
        known = _pool.searches.setdefault(id(decoder), {_OPEN_SEARCH})
        if self._search not in known:
            assert self._jsgf is not None
            decoder.add_jsgf_string(self._search, self._jsgf)
            known.add(self._search)

    def transcribe(self, pcm16k_int16: npt.NDArray[np.int16]) -> str:
        """The words heard in one utterance ("" for silence or nothing recognisable)."""
        pcm = np.asarray(pcm16k_int16, dtype=np.int16).reshape(-1)
        if len(pcm) == 0:
            return ""
        data = _with_noise_floor(pcm).astype("<i2").tobytes()
        decoder = _pool.acquire()
        try:
            if self._jsgf is not None:
                self._ensure_search(decoder)
            decoder.activate_search(self._search)
            decoder.start_utt()
            decoder.process_raw(data, no_search=False, full_utt=True)
            decoder.end_utt()
            hyp = decoder.hyp()
            text = str(hyp.hypstr) if hyp is not None else ""
        finally:
            _pool.release(decoder)
        text = " ".join(text.split())
        if self._jsgf is not None:
            return self._by_norm.get(normalize(text), text)
        return text
