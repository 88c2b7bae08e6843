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

import functools
import hashlib
import os
import re
import threading
from collections.abc import Sequence
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

    Part of a phrase: a server VAD ends a turn at any 200 ms pause (the real service's default),
    and espeak's comma pause is ~160 ms, so "Stop, stop, that is enough." arrives now and then
    as "Stop, stop," and "that is enough." A grammar of whole sentences decodes neither, and
    the turns came out with empty transcripts (the doctor's ``transcription-off-or-empty`` in
    4 of 16 runs of the examples), where the real service would have transcribed the words.
    So an utterance the whole phrases do not match is decoded again against a second grammar
    of every run of consecutive words in them: on espeak sentences cut at a pause it gives the
    words said; on noise it still gives ""; cut mid-word it gives a near word.
    """

    def __init__(self, phrases: list[str] | None = None) -> None:
        self.phrases = list(phrases) if phrases is not None else None
        self._by_norm: dict[str, str] = {}
        self._search = _OPEN_SEARCH
        self._jsgf: str | None = None
        self._parts_jsgf: str | None = None
        self._parts_search = _OPEN_SEARCH
        if self.phrases is not None:
            self._jsgf = self._build_grammar(self.phrases)
            self._search = "g_" + hashlib.sha1(self._jsgf.encode()).hexdigest()[:16]
            self._parts_jsgf = _parts_grammar(self._by_norm)
            self._parts_search = "p_" + self._search[2:]
        decoder = _pool.acquire()  # loads the model now, not on the first utterance
        try:
            if self._jsgf is not None:
                self._check_vocabulary(decoder)
                _ensure_search(decoder, self._search, self._jsgf)
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

    def transcribe(self, pcm16k_int16: npt.NDArray[np.int16]) -> str:
        """The words heard in one utterance ("" for silence or nothing recognisable)."""
        pcm = np.asarray(pcm16k_int16, dtype=np.int16).reshape(-1)
        if len(pcm) == 0:
            return ""
        heard = pcm
        if self._jsgf is not None:  # quiet after the last word (_TAIL_S), in grammar mode
            heard = np.concatenate([pcm, np.zeros(int(SAMPLE_RATE * _TAIL_S), dtype=np.int16)])
        data = _with_noise_floor(heard).astype("<i2").tobytes()
        decoder = _pool.acquire()
        try:
            text = _decode(decoder, self._search, self._jsgf, data)
            if not text and self._parts_jsgf is not None:  # part of a phrase (class doc)
                voiced = _with_noise_floor(_voiced(pcm)).astype("<i2").tobytes()
                text = _decode(decoder, self._parts_search, self._parts_jsgf, voiced)
        finally:
            _pool.release(decoder)
        if self._jsgf is not None:
            return self._by_norm.get(normalize(text), text)
        return text


def unheard_words(phrases: Sequence[str]) -> list[list[str] | None]:
    """For each phrase, its words the recogniser's English dictionary lacks (``[]``: all
    there), or ``None`` when it has no words at all (symbols, another script): what a
    ``Recognizer`` given these phrases refuses, asked before anything starts so that a
    scenario's lint can name the line (issue 79)."""
    norms = [normalize(phrase) for phrase in phrases]
    known = _dictionary_words() if any(norms) else frozenset()
    return [sorted(set(norm.split()) - known) if norm else None for norm in norms]


@functools.cache
def _dictionary_words() -> frozenset[str]:
    """The words of the decoder's own dictionary file (the words it looks up, checked word for
    word against ``lookup_word``), read once a process: 0.1 s where loading a decoder took
    0.65, and ``voicechat test`` asks once a scenario (a folder of three read it three
    times, 1.2 s of a run's 12 s of CPU)."""
    try:
        from pocketsphinx import Config
    except ImportError as exc:
        raise AsrError(
            f"pocketsphinx is not installed ({exc}). Fix: pip install pocketsphinx==5.1.1"
        ) from exc
    with open(Config(samprate=SAMPLE_RATE, loglevel="FATAL")["dict"], encoding="utf-8",
              errors="replace") as entries:
        # "word PH ON ES", alternatives as "word(2) ..."
        return frozenset(entry.split(" ", 1)[0].split("(", 1)[0] for entry in entries)


def _ensure_search(decoder: Any, search: str, jsgf: str | None) -> None:
    """Add the grammar ``jsgf`` to ``decoder`` as ``search``, once per decoder."""
    known = _pool.searches.setdefault(id(decoder), {_OPEN_SEARCH})
    if search not in known:
        assert jsgf is not None
        decoder.add_jsgf_string(search, jsgf)
        known.add(search)


#: quiet after an utterance before it is decoded: a VAD ends the turn's audio ~100 ms after the
#: last word, and without more the decoder could not finish a sentence's last word, so the
#: whole-sentence grammar matched nothing and the grammar of parts gave the sentence less its
#: last word ("...at eight in the" for "...in the evening.", "...that is" for "...that is
#: enough.", issue 79). 0.1 s mended one of two espeak sentences, 0.3 s both, even cut 50 ms
#: short. The parts' decode keeps its own trimmed audio (_voiced): silence there reads as a
#: next word. Grammar mode only: the open vocabulary's decode is a guess either way, and the
#: tail cost it 15 % more CPU (0.66 -> 0.76 s for 1.2 s of speech), time a loaded server's
#: turn waits for before it answers.
_TAIL_S = 0.3


def _decode(decoder: Any, search: str, jsgf: str | None, data: bytes) -> str:
    """One utterance through ``search``: the words of the best hypothesis, or ""."""
    if jsgf is not None:
        _ensure_search(decoder, search, jsgf)
    decoder.activate_search(search)
    decoder.start_utt()
    decoder.process_raw(data, no_search=False, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return " ".join(str(hyp.hypstr).split()) if hyp is not None else ""


#: the voiced part of an utterance: 20 ms frames within this many dB of its loudest frame
#: (and over an absolute floor of ~-60 dBFS), with a margin either side
_VOICED_DB = 35.0
_VOICED_FLOOR_RMS = 30.0
_VOICED_MARGIN = SAMPLE_RATE // 20  # 50 ms


def _voiced(pcm: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
    """``pcm`` less its quiet lead-in and tail (a VAD's prefix padding and closing silence).

    Why: against the grammar of parts, the decoder read the quiet after a piece as the
    phrase's next short word ("stop" came back "stop that" with 0.2-0.5 s of silence around
    it, "stop" with 50 ms)."""
    frame = SAMPLE_RATE // 50
    count = len(pcm) // frame
    if count == 0:
        return pcm
    frames = pcm[: count * frame].astype(np.float64).reshape(count, frame)
    levels = np.sqrt(np.mean(frames * frames, axis=1))
    loud = np.nonzero(levels >= max(float(levels.max()) * 10 ** (-_VOICED_DB / 20),
                                    _VOICED_FLOOR_RMS))[0]
    if loud.size == 0:
        return pcm
    start = max(0, int(loud[0]) * frame - _VOICED_MARGIN)
    end = min(len(pcm), (int(loud[-1]) + 1) * frame + _VOICED_MARGIN)
    return pcm[start:end]


def _parts_grammar(by_norm: dict[str, str]) -> str:
    """A JSGF grammar of every run of consecutive words in the phrases (normalised): for each
    first word, ``w1 [w2 [w3 …]]``, so its size grows with the square of a phrase's length,
    not with the number of runs."""
    rules: set[str] = set()
    for norm in by_norm:
        words = norm.split()
        for start in range(len(words)):
            expr = words[-1]
            for word in reversed(words[start:-1]):
                expr = f"{word} [{expr}]"
            rules.add(expr)
    return "#JSGF V1.0;\ngrammar parts;\npublic <utterance> = " + " | ".join(sorted(rules)) + ";\n"
