"""The lint's dictionary check agrees with the recogniser's own (``asr.unheard_words``)."""

from __future__ import annotations

from voicechat.server.voice import asr

WORDS = ["hello", "kitchen", "lights", "don't", "o'clock", "7", "42", "une", "voudrais",
         "bonjour", "xyzzyq", "table", "eight", "seven", "naïve", "café", "wifi", "okay"]


def test_each_word_is_unheard_exactly_when_the_decoder_cannot_look_it_up() -> None:
    decoder = asr._pool.acquire()
    try:
        lacks = {w for w in WORDS for n in [asr.normalize(w)] if n
                 and any(decoder.lookup_word(p) is None for p in n.split())}
    finally:
        asr._pool.release(decoder)
    said = asr.unheard_words(WORDS)
    assert {w for w, unheard in zip(WORDS, said, strict=True) if unheard} == lacks
    assert {"7", "une", "voudrais", "xyzzyq"} <= lacks and "kitchen" not in lacks


def test_a_phrase_with_no_words_is_none_and_the_words_come_sorted() -> None:
    assert asr.unheard_words(["?!", "", "Please turn on the kitchen lights."]) == [None, None, []]
    assert asr.unheard_words(["zzqx 7 table 3"]) == [["3", "7", "zzqx"]]
