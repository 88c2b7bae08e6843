"""The interruption rules on the session timeline: a late transcript of words said before the
answer began is no barge-in, even when it arrives right before a pause between words (the
local server's voice has exact-zero gaps between words; found by ``voicechat --api live``);
words said over the answer that arrive after the model went quiet are one (the local server's
order); and over WebRTC the runtime's frames feed the same rules."""

from __future__ import annotations

from tests.core.live.harness import LiveHarness, flushed
from voicechat.core.live import OutputArrived, PlaybackFlushed, PlaybackProgress


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


def _answer_playing(h: LiveHarness) -> None:
    """A session 3 s in, the answer speaking from 3.0 s (session timeline 3000 ms on)."""
    h.start()
    h.started()
    for _ in range(30):
        h.audio(silent=True)
    h.now = 3.0
    for _ in range(5):
        h.audio()
    h.assistant("Let me tell you about ", 3000, 4000)


def test_quiet_then_the_words_said_over_the_answer_is_a_yield() -> None:
    """A recogniser that transcribes per utterance: the model went quiet first."""
    h = LiveHarness()
    _answer_playing(h)
    h.now = 3.5
    assert not flushed(h.audio(silent=True))  # quiet, and no words yet
    h.now = 5.2
    assert flushed(h.user("Wait, stop.", 3300, 4600))
    [answer] = [t for t in h.session.view().turns if t.speaker == "assistant"]
    assert answer.interrupted
    h.now = 5.4
    assert not flushed(h.user(" More.", 4600, 4900))  # one quiet, one yield


def test_words_in_a_short_pause_wait_for_the_quiet_to_last() -> None:
    h = LiveHarness()
    _answer_playing(h)
    h.now = 3.5
    h.audio(silent=True)
    h.now = 3.6
    assert not flushed(h.user("mm-hmm", 3300, 3500))  # a pause between words, so far
    h.now = 3.7
    h.audio()  # it goes on talking: a backchannel
    h.assistant("the weather ", 4000, 4800)
    assert not flushed(h.advance(1.0))
    assert not any(t.interrupted for t in h.session.view().turns)
    h.now = 4.5
    h.audio(silent=True)
    h.now = 4.6
    h.user(" no, wait", 4200, 4500)
    assert flushed(h.advance(1.0))  # the quiet lasted: the model yielded


def test_a_question_after_the_answer_ended_is_no_yield() -> None:
    h = LiveHarness()
    _answer_playing(h)
    h.now = 4.0
    h.audio(silent=True)  # the answer ended on its own at 4000 ms
    h.now = 6.0
    assert not flushed(h.user("And then?", 4300, 5200))
    assert not flushed(h.advance(1.0))
    assert not any(t.interrupted for t in h.session.view().turns)


def test_webrtc_frames_from_the_runtime_show_the_yield_and_bound_the_played() -> None:
    """Over WebRTC no audio events arrive: the runtime reports the track's frames."""
    h = LiveHarness(transport="webrtc")
    h.start()
    h.started()
    assert h.session.view().received_ms is None
    h.now = 3.0
    for _ in range(25):
        h.do(OutputArrived(20.0, silent=False))
    h.assistant("Let me tell you ", 0, 500)
    h.do(PlaybackProgress(200.0, True))
    h.user("Wait!", 200, 400)
    h.now = 3.6
    assert flushed(h.do(OutputArrived(20.0, silent=True)))
    h.do(PlaybackFlushed(10_000.0))  # the player says what it dropped: never past what arrived
    view = h.session.view()
    assert view.received_ms == 520.0 and view.dropped_ms == 320.0
    h.do(PlaybackProgress(10_000.0, False))
    assert h.session.view().played_ms == 200.0  # nothing was played past what arrived
    websocket = LiveHarness()
    websocket.start()
    websocket.started()
    websocket.do(OutputArrived(20.0, silent=False))  # counted from the deltas there
    assert websocket.session.view().received_ms == 0.0


def test_webrtc_frames_after_the_session_closed_are_still_counted() -> None:
    """The player plays out what it holds after session.closed: no false overshoot."""
    h = LiveHarness(transport="webrtc")
    h.start()
    h.started()
    h.do(OutputArrived(100.0, silent=False))
    h.ev("session.closed", reason="close_requested", usage={"seconds": 1})
    h.do(OutputArrived(100.0, silent=True))
    h.do(PlaybackProgress(200.0, False))
    view = h.session.view()
    assert view.played_ms == 200.0
    assert not any("more audio than was received" in n.message for n in view.notices)
