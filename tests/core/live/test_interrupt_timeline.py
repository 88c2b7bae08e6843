"""The interruption rule on the session timeline: a late transcript of words said before the
answer began is no barge-in, even when it arrives right before a pause between words (the
local server's voice has exact-zero gaps between words; found by ``voicechat --api live``)."""

from __future__ import annotations

from tests.core.live.harness import LiveHarness, flushed


def test_a_late_transcript_of_earlier_words_does_not_flush_at_a_word_gap() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    for _ in range(30):  # 3 s of silence on the output stream while the user speaks
        h.audio(silent=True)
    h.now = 3.0
    h.audio()  # the answer's first word
    h.assistant("You said: ", 3000, 3200)
    h.user("What is the weather like?", 1000, 2800)  # transcribed after the utterance ended
    h.now = 3.2
    assert not flushed(h.audio(silent=True))  # a gap between words, not the model yielding
    assert not any(t.interrupted for t in h.session.view().turns)


def test_words_said_during_the_answer_still_stop_it() -> None:
    h = LiveHarness()
    h.start()
    h.started()
    for _ in range(30):
        h.audio(silent=True)
    h.now = 3.0
    for _ in range(5):
        h.audio()
    h.assistant("Let me tell you ", 3000, 3500)
    h.user("Wait!", 3200, 3400)
    h.now = 3.6
    assert flushed(h.audio(silent=True))
