"""The local barge-in detector: pause at once, confirm or resume on accumulated evidence.

First the machine on its own (frames and ``now`` in, verdicts out; properties with hypothesis),
then through the session (what is paused, resumed, sent and recorded).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.core.harness import Harness, flushed, response_starts, sent_types
from voicechat.core import (
    EchoLeaking,
    LocalRecord,
    LocalTalk,
    PausePlayback,
    PlaybackProgress,
    ResumePlayback,
    SetBargeIn,
    SetLocalDetector,
    TalkFrame,
)
from voicechat.core.local_barge_in import Decision, LocalBargeIn, LocalPhase
from voicechat.core.policy import SessionPolicy, initial_session

#: the user at the laptop: speech, as loud as the speaker's reference, the canceller removing
#: almost nothing of it (its running ERLE is 40 dB)
USER = TalkFrame(20, 0.95, out_dbfs=-22.0, in_dbfs=-20.0, far_dbfs=-20.0, erle_db=40.0,
                 echo_strength=0.05)
#: the assistant's residual echo: speech-like, but suppressed as much as the canceller does
ECHO = TalkFrame(20, 0.9, out_dbfs=-50.0, in_dbfs=-26.0, far_dbfs=-20.0, erle_db=30.0,
                 echo_strength=0.6)
SILENCE = TalkFrame(20, 0.02, out_dbfs=-80.0, in_dbfs=-26.0, far_dbfs=-20.0, erle_db=40.0)
#: the user while the speaker is paused: no reference at all
USER_ALONE = TalkFrame(20, 0.95, out_dbfs=-22.0, in_dbfs=-22.0, far_dbfs=-90.0, erle_db=40.0,
                       echo_strength=0.05)


def feed(machine: LocalBargeIn, frames: list[TalkFrame], start: float = 0.0) -> list[Any]:
    out, now = [], start
    for f in frames:
        now += f.ms / 1000.0
        verdict = machine.frame(now, f)
        if verdict is not None:
            out.append((round(now, 3), verdict))
    return out


def test_the_user_pauses_within_the_onset_then_confirms() -> None:
    verdicts = feed(LocalBargeIn(), [USER] * 10)
    assert [v.decision for _, v in verdicts] == [Decision.PAUSE, Decision.CONFIRM]
    paused_at, pause = verdicts[0]
    assert paused_at <= 0.061  # three 20 ms frames: the onset
    assert pause.evidence["why"].startswith("double talk")
    assert verdicts[1][1].evidence["speech_ms"] >= 200


def test_residual_echo_never_pauses() -> None:
    assert feed(LocalBargeIn(), [ECHO] * 500) == []


def test_a_short_burst_pauses_and_resumes() -> None:
    verdicts = feed(LocalBargeIn(), [USER] * 4 + [SILENCE] * 30)
    assert [v.decision for _, v in verdicts] == [Decision.PAUSE, Decision.RESUME]
    assert verdicts[1][1].evidence["reason"] == "no more speech"


def test_speech_with_the_speaker_paused_counts() -> None:
    """Once paused, the reference is silent: plain speech is the person's."""
    verdicts = feed(LocalBargeIn(), [USER] * 3 + [USER_ALONE] * 7)
    assert [v.decision for _, v in verdicts] == [Decision.PAUSE, Decision.CONFIRM]


def test_echo_like_residual_is_not_confirmed() -> None:
    """Loud speech the canceller says correlates with the reference: paused, never confirmed."""
    echoish = TalkFrame(20, 0.95, out_dbfs=-22.0, in_dbfs=-20.0, far_dbfs=-20.0, erle_db=40.0,
                        echo_strength=0.7)
    verdicts = feed(LocalBargeIn(), [echoish] * 60)
    assert [v.decision for _, v in verdicts][:2] == [Decision.PAUSE, Decision.RESUME]
    assert verdicts[1][1].evidence["reason"] == "echo-like"


def test_before_an_erle_the_level_against_the_reference_decides() -> None:
    m = LocalBargeIn()
    loud = TalkFrame(20, 0.9, out_dbfs=-25.0, far_dbfs=-20.0)
    quiet = TalkFrame(20, 0.9, out_dbfs=-45.0, far_dbfs=-20.0)
    assert m.person(loud)[0] and not m.person(quiet)[0]


frames = st.builds(
    TalkFrame,
    ms=st.just(20.0),
    speech_prob=st.floats(0, 1),
    out_dbfs=st.floats(-100, 0),
    in_dbfs=st.one_of(st.none(), st.floats(-100, 0)),
    far_dbfs=st.one_of(st.none(), st.floats(-100, 0)),
    erle_db=st.one_of(st.none(), st.floats(0, 80)),
    echo_strength=st.one_of(st.none(), st.floats(0, 1)),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(frames, max_size=120))
def test_decisions_alternate_pause_then_confirm_or_resume(seq: list[TalkFrame]) -> None:
    """Whatever the frames: a pause comes first, and each pause ends in exactly one confirm or
    resume before the next; the phase says whether the speaker is paused."""
    m = LocalBargeIn()
    paused = False
    for _, v in feed(m, seq):
        if v.decision is Decision.PAUSE:
            assert not paused
            paused = True
        else:
            assert paused
            paused = False
    assert (m.phase is LocalPhase.PAUSED) == paused


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([ECHO, SILENCE]), max_size=300))
def test_echo_and_silence_never_pause(seq: list[TalkFrame]) -> None:
    assert feed(LocalBargeIn(), seq) == []


@settings(max_examples=60, deadline=None)
@given(st.integers(10, 60), st.lists(st.sampled_from([ECHO, SILENCE]), max_size=40))
def test_sustained_speech_is_always_confirmed(n: int, before: list[TalkFrame]) -> None:
    """However the answer went before, 200 ms or more of the person's speech confirms."""
    decisions = [v.decision for _, v in feed(LocalBargeIn(), before + [USER] * n)]
    assert Decision.CONFIRM in decisions


# --- through the session ----------------------------------------------------------------------


def playing(h: Harness) -> None:
    h.start()
    h.do(SetLocalDetector(True))
    response_starts(h, "resp_1", "item_a1", "item_u0")
    h.ev("output_audio_buffer.started", response_id="resp_1")
    h.advance(1.5)
    h.do(PlaybackProgress("item_a1", 1500))


def talk(h: Harness, frames: list[TalkFrame]) -> list[Any]:
    out: list[Any] = []
    for f in frames:
        h.advance(f.ms / 1000.0)
        out += h.do(LocalTalk(f))
    return out


def records(actions: list[Any]) -> list[str]:
    return [a.event["type"] for a in actions if isinstance(a, LocalRecord)]


def test_session_pauses_confirms_and_interrupts_with_records() -> None:
    h = Harness(barge_in=True)
    playing(h)
    out = talk(h, [USER] * 3)
    assert any(isinstance(a, PausePlayback) for a in out)
    assert records(out) == ["local.bargein.paused"]
    assert h.view.interrupting
    out = talk(h, [USER_ALONE] * 10)
    assert records(out) == ["local.bargein.confirmed"]
    assert flushed(out)
    assert sent_types(out) == ["response.cancel", "output_audio_buffer.clear",
                               "conversation.item.truncate"]
    assert not h.view.interrupting


def test_session_resumes_after_a_burst_and_sends_nothing() -> None:
    h = Harness(barge_in=True)
    playing(h)
    out = talk(h, [USER] * 4 + [SILENCE] * 30)
    assert records(out) == ["local.bargein.paused", "local.bargein.resumed"]
    assert any(isinstance(a, ResumePlayback) for a in out)
    assert sent_types(out) == [] and not flushed(out)
    assert not h.view.interrupting


def test_the_server_segments_do_not_barge_in_over_playback_with_the_detector() -> None:
    h = Harness(barge_in=True)
    playing(h)
    out = h.ev("input_audio_buffer.speech_started", audio_start_ms=9000, item_id="item_u2")
    out += h.ev("input_audio_buffer.speech_stopped", audio_end_ms=11000, item_id="item_u2")
    assert sent_types(out) == [] and not flushed(out)


def test_leak_or_switch_off_takes_a_pause_back() -> None:
    for undo in (EchoLeaking(True), SetBargeIn(False)):
        h = Harness(barge_in=True)
        playing(h)
        talk(h, [USER] * 3)
        assert h.view.interrupting
        out = h.do(undo)
        assert any(isinstance(a, ResumePlayback) for a in out)
        assert records(out) == ["local.bargein.resumed"]
        assert not h.view.interrupting
        assert records(talk(h, [USER] * 20)) == []  # no barge-in while it lasts


def test_nothing_without_the_detector_or_playback() -> None:
    h = Harness(barge_in=True)
    h.start()
    assert talk(h, [USER] * 20) == []  # detector off
    h.do(SetLocalDetector(True))
    assert records(talk(h, [USER] * 20)) == []  # nothing plays


def test_semantic_turns_with_the_detector() -> None:
    td = initial_session(SessionPolicy(semantic_turns=True))["audio"]["input"]["turn_detection"]
    assert td == {"type": "semantic_vad", "create_response": True, "interrupt_response": False}


def test_the_echo_yardstick_is_not_dragged_down_by_the_users_voice() -> None:
    """The canceller's running ERLE collapses while the user talks (their voice is kept); the
    detector's own echo ERLE, learnt from the assistant alone, still tells double talk."""
    m = LocalBargeIn()
    feed(m, [SILENCE] * 50)
    learnt = m.echo_erle_db
    assert learnt is not None and learnt > 40
    dragged = TalkFrame(20, 0.95, out_dbfs=-22.0, in_dbfs=-20.0, far_dbfs=-20.0, erle_db=3.0)
    verdicts = feed(m, [dragged] * 10, start=1.0)
    assert [v.decision for _, v in verdicts] == [Decision.PAUSE, Decision.CONFIRM]
    assert m.echo_erle_db == learnt


def test_without_an_echo_path_speech_over_the_assistant_is_the_person() -> None:
    """Headphones: the mic hears nothing while the assistant talks, so speech is the user's."""
    m = LocalBargeIn()
    deaf = TalkFrame(20, 0.01, out_dbfs=-100.0, in_dbfs=-100.0, far_dbfs=-20.0, erle_db=None)
    feed(m, [deaf] * 30)
    assert m.echo_erle_db is None  # nothing removed, nothing learnt of the canceller
    user = TalkFrame(20, 0.95, out_dbfs=-22.0, in_dbfs=-22.0, far_dbfs=-20.0, erle_db=0.5)
    verdicts = feed(m, [user] * 10, start=1.0)
    assert [v.decision for _, v in verdicts] == [Decision.PAUSE, Decision.CONFIRM]


def test_a_canceller_that_lost_the_echo_makes_the_pause_wait_out_the_tail() -> None:
    """The false confirmation seen on a loaded machine: the canceller removing ~5 dB, the
    reference already silent after the pause, the speaker's tail still loud in the mic. Speech
    in the first 200 ms after the pause is not counted then; a real user goes on talking."""
    m = LocalBargeIn()
    poor = TalkFrame(20, 0.3, out_dbfs=-30.0, in_dbfs=-25.0, far_dbfs=-20.0, erle_db=5.0)
    feed(m, [poor] * 50)
    assert m.echo_erle_db is not None and m.echo_erle_db < 30
    onset = TalkFrame(20, 0.95, out_dbfs=-22.0, in_dbfs=-20.0, far_dbfs=-90.0, erle_db=5.0)
    tail = TalkFrame(20, 0.95, out_dbfs=-24.0, in_dbfs=-24.0, far_dbfs=-120.0, erle_db=5.0)
    verdicts = feed(m, [onset] * 3 + [tail] * 9 + [SILENCE] * 20, start=1.0)
    assert [v.decision for _, v in verdicts] == [Decision.PAUSE, Decision.RESUME]
    m = LocalBargeIn()
    feed(m, [poor] * 50)
    verdicts = feed(m, [onset] * 3 + [tail] * 30, start=1.0)
    assert [v.decision for _, v in verdicts][:2] == [Decision.PAUSE, Decision.CONFIRM]


def test_the_underrun_hold_mutes_the_mic_but_leaves_the_detector_on() -> None:
    """After a speaker underrun the hold mutes the mic to the server (the echo may have moved);
    the detector's evidence is its own, so it still pauses and confirms. A leak the canceller
    itself found stops it."""
    h = Harness(barge_in=True)
    playing(h)
    h.do(EchoLeaking(True, hold=True))
    assert h.view.mic_reason is not None  # muted during playback
    out = talk(h, [USER] * 3 + [USER_ALONE] * 7)
    assert records(out) == ["local.bargein.paused", "local.bargein.confirmed"]
    assert flushed(out)
    h = Harness(barge_in=True)
    playing(h)
    h.do(EchoLeaking(True))
    assert records(talk(h, [USER] * 20)) == []
