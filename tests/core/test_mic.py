"""Mic gate rules: mute during playback (barge-in off), reopen after settle or fallback.

First through the session, then the gate on its own (its reasons, deadlines and reports).
"""

from __future__ import annotations

import pytest

from tests.core.harness import Harness, mic_actions, response_done, response_starts
from voicechat.core import (
    MicReason,
    MicState,
    MuteMic,
    PlaybackDrained,
    PlaybackProgress,
    PlaybackStarted,
    SetBargeIn,
    SetMicAvailable,
    ToggleMute,
    UnmuteMic,
)
from voicechat.core.mic import MicGate


def webrtc_answer(h: Harness) -> None:
    response_starts(h, "resp_1", "item_a1", None)
    h.ev("output_audio_buffer.started", response_id="resp_1")


def test_start_reports_the_initial_mic_state() -> None:
    assert mic_actions(Harness(mode="vad").start()) == [UnmuteMic()]
    assert mic_actions(Harness(mode="ptt").start()) == [MuteMic(MicReason.PTT_IDLE)]


def test_mutes_on_output_audio_buffer_started() -> None:
    h = Harness()
    h.start()
    response_starts(h, "resp_1", "item_a1", None)
    actions = h.ev("output_audio_buffer.started", response_id="resp_1")
    assert mic_actions(actions) == [MuteMic(MicReason.PLAYBACK)]
    assert h.view.mic is MicState.MUTED and h.mic_label == "muted for playback"


def test_seed_unmutes_after_stopped_without_any_cleared() -> None:
    """The seed scenario: ``.stopped`` alone must reopen the mic (after the settle delay)."""
    h = Harness()
    h.start()
    webrtc_answer(h)
    h.advance(2.0)
    response_done(h, "resp_1", "item_a1", "hello")
    h.do(PlaybackProgress("item_a1", 2000))
    h.advance(0.3)
    h.do(PlaybackProgress("item_a1", 2300))
    assert h.view.mic_reason is MicReason.PLAYBACK
    assert mic_actions(h.ev("output_audio_buffer.stopped", response_id="resp_1")) == []
    assert h.session.next_deadline() == h.now + 0.4
    assert mic_actions(h.advance(0.39)) == []
    assert mic_actions(h.advance(0.02)) == [UnmuteMic()]
    assert h.mic_label == "live"


def test_cleared_also_reopens_after_settle() -> None:
    h = Harness()
    h.start()
    webrtc_answer(h)
    h.ev("output_audio_buffer.cleared", response_id="resp_1")
    assert h.view.mic_reason is MicReason.PLAYBACK
    assert mic_actions(h.advance(0.4)) == [UnmuteMic()]


def test_fallback_reopens_when_no_audio_follows_response_done() -> None:
    h = Harness()
    h.start()
    webrtc_answer(h)
    h.advance(0.5)
    response_done(h, "resp_1", "item_a1", "hi")
    assert h.session.next_deadline() == h.now + 0.6
    assert mic_actions(h.advance(0.59)) == []
    out = h.advance(0.02)
    assert mic_actions(out) == [UnmuteMic()]
    assert h.view.playback_spans[-1].end_reason == "fallback"


def test_audio_still_playing_after_response_done_keeps_the_mic_muted() -> None:
    """A long answer plays for seconds after ``response.done``; progress keeps the mic shut."""
    h = Harness()
    h.start()
    webrtc_answer(h)
    response_done(h, "resp_1", "item_a1", "a long answer")
    for step in range(1, 20):
        h.advance(0.25)
        h.do(PlaybackProgress("item_a1", 250.0 * step))
        assert h.view.mic_reason is MicReason.PLAYBACK
    h.advance(0.61)
    assert h.view.mic is MicState.LIVE


def test_new_playback_within_settle_keeps_the_mic_muted() -> None:
    h = Harness(transport="websocket")
    h.start()
    h.do(PlaybackStarted("item_a1"))
    h.do(PlaybackDrained())
    h.advance(0.2)
    h.do(PlaybackStarted("item_a1"))
    assert h.session.next_deadline() is None
    assert mic_actions(h.advance(1.0)) == []
    assert h.view.mic_reason is MicReason.PLAYBACK


def test_websocket_keys_off_local_playback() -> None:
    h = Harness(transport="websocket")
    h.start()
    assert mic_actions(h.do(PlaybackStarted("item_a1"))) == [MuteMic(MicReason.PLAYBACK)]
    h.do(PlaybackDrained())
    assert mic_actions(h.advance(0.4)) == [UnmuteMic()]
    spans = h.view.playback_spans
    assert len(spans) == 1 and spans[0].end_reason == "drained" and spans[0].item_id == "item_a1"


def test_user_mute_wins_over_everything() -> None:
    h = Harness()
    h.start()
    assert mic_actions(h.do(ToggleMute())) == [MuteMic(MicReason.USER)]
    webrtc_answer(h)
    h.ev("output_audio_buffer.stopped", response_id="resp_1")
    h.advance(2.0)
    assert h.view.mic_reason is MicReason.USER and h.mic_label == "muted by user"
    assert mic_actions(h.do(ToggleMute())) == [UnmuteMic()]


def test_user_unmute_during_playback_keeps_the_playback_mute() -> None:
    h = Harness()
    h.start()
    h.do(ToggleMute())
    webrtc_answer(h)
    assert mic_actions(h.do(ToggleMute())) == [MuteMic(MicReason.PLAYBACK)]


def test_barge_in_on_keeps_the_mic_live_during_playback() -> None:
    h = Harness(barge_in=True)
    h.start()
    webrtc_answer(h)
    assert h.view.mic is MicState.LIVE and h.session.next_deadline() is None


def test_toggling_barge_in_during_playback() -> None:
    h = Harness()
    h.start()
    webrtc_answer(h)
    assert mic_actions(h.do(SetBargeIn(True))) == [UnmuteMic()]
    assert h.view.barge_in
    assert mic_actions(h.do(SetBargeIn(False))) == [MuteMic(MicReason.PLAYBACK)]


def test_no_device() -> None:
    h = Harness()
    h.start()
    assert mic_actions(h.do(SetMicAvailable(False))) == [MuteMic(MicReason.NO_DEVICE)]
    assert h.mic_label == "no device"


def test_transcribe_mode_never_mutes_for_playback() -> None:
    h = Harness(mode="transcribe", transport="websocket")
    h.start()
    h.do(PlaybackStarted(None))
    assert h.view.mic is MicState.LIVE


def test_lost_transport_releases_the_playback_mute() -> None:
    from voicechat.core import TransportState

    h = Harness()
    h.start()
    webrtc_answer(h)
    assert mic_actions(h.do(TransportState("closed"))) == [UnmuteMic()]
    assert h.view.transport_state == "closed"
    assert not h.session.response_active
    assert h.view.response.status == "failed"


def test_mute_reasons_are_reported_strongest_first() -> None:
    """no device > user > playback > push-to-talk idle; lifting one reveals the next."""
    h = Harness(mode="ptt")
    h.start()
    h.do(ToggleMute())
    h.do(SetMicAvailable(False))
    webrtc_answer(h)
    assert h.view.mic_reason is MicReason.NO_DEVICE
    assert mic_actions(h.do(SetMicAvailable(True))) == [MuteMic(MicReason.USER)]
    assert mic_actions(h.do(ToggleMute())) == [MuteMic(MicReason.PLAYBACK)]
    h.ev("output_audio_buffer.stopped", response_id="resp_1")
    assert mic_actions(h.advance(0.5)) == [MuteMic(MicReason.PTT_IDLE)]


def test_playback_ends_only_when_server_and_speaker_are_both_done() -> None:
    h = Harness(transport="webrtc")
    h.start()
    webrtc_answer(h)
    h.do(PlaybackStarted("item_a1"))
    h.do(PlaybackDrained())  # a gap in the local queue while the server still streams
    h.advance(1.0)
    assert h.view.mic_reason is MicReason.PLAYBACK and h.view.playing
    h.do(PlaybackStarted("item_a1"))
    h.ev("output_audio_buffer.stopped", response_id="resp_1")
    h.advance(1.0)  # the speaker still plays the jitter buffer's tail
    assert h.view.mic_reason is MicReason.PLAYBACK
    h.do(PlaybackDrained())
    assert mic_actions(h.advance(0.4)) == [UnmuteMic()]
    assert [s.end_reason for s in h.view.playback_spans] == ["drained"]


def test_repeated_end_signals_do_not_push_the_settle_deadline() -> None:
    h = Harness()
    h.start()
    webrtc_answer(h)
    h.ev("output_audio_buffer.stopped", response_id="resp_1")
    deadline = h.session.next_deadline()
    h.advance(0.3)
    h.ev("output_audio_buffer.cleared", response_id="resp_1")
    assert h.session.next_deadline() == deadline


# --- the gate on its own ------------------------------------------------------------------------


def gate(mute_for_playback: bool = True) -> MicGate:
    return MicGate(settle_s=0.4, fallback_s=0.6, mute_for_playback=mute_for_playback)


def test_reasons_combine_by_priority() -> None:
    g = gate()
    assert g.state() == (MicState.LIVE, None)
    assert g.state(ptt_open=False) == (MicState.MUTED, MicReason.PTT_IDLE)
    assert g.state(ptt_open=True) == (MicState.LIVE, MicReason.PTT_OPEN)
    g.playback_started(1.0)
    assert g.state(ptt_open=True) == (MicState.MUTED, MicReason.PLAYBACK)
    g.toggle_user_mute()
    assert g.state() == (MicState.MUTED, MicReason.USER)
    g.set_available(False)
    assert g.state() == (MicState.MUTED, MicReason.NO_DEVICE)
    g.set_available(True)
    g.toggle_user_mute()
    assert g.state() == (MicState.MUTED, MicReason.PLAYBACK)  # lifting one keeps the other


def test_settle_deadline_after_the_end_keeps_the_first_end() -> None:
    g = gate()
    g.playback_started(1.0)
    assert g.next_deadline() is None
    g.playback_ended(2.0)
    g.playback_ended(2.3)  # a repeated end signal does not push the settle out
    assert g.next_deadline() == 2.4
    assert g.on_timer(2.39) is None
    assert g.on_timer(2.4) == "settled" and g.state() == (MicState.LIVE, None)


def test_fallback_after_response_done_moves_with_audio_evidence() -> None:
    g = gate()
    g.playback_started(1.0)
    g.response_done(2.0)
    g.audio_evidence(2.5)  # still flowing after done
    assert g.next_deadline() == pytest.approx(3.1)
    assert g.on_timer(3.0) is None
    assert g.on_timer(3.1) == "fallback" and g.next_deadline() is None
    g.playback_started(4.0)
    g.response_active()  # a new response: no fallback until its done
    assert g.next_deadline() is None


def test_switching_the_playback_mute() -> None:
    g = gate(mute_for_playback=False)
    g.playback_started(1.0)
    assert g.state() == (MicState.LIVE, None)
    g.set_mute_for_playback(True, playing=True)  # barge-in turned off mid-answer
    assert g.state() == (MicState.MUTED, MicReason.PLAYBACK)
    g.set_mute_for_playback(False, playing=True)
    assert g.state() == (MicState.LIVE, None) and g.next_deadline() is None
    g.set_mute_for_playback(True, playing=False)
    assert g.state() == (MicState.LIVE, None)


def test_report_says_only_changes() -> None:
    g = gate()
    assert g.report() == "live"
    assert g.report() is None
    g.playback_started(1.0)
    assert g.report() is MicReason.PLAYBACK
    g.reset_playback()
    assert g.report() == "live" and g.next_deadline() is None
