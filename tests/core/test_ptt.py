"""Push-to-talk: turn_detection null, clear on open, commit + create on close if long enough;
the toggle and release (hold) styles, switched while running with SetPttStyle."""

from __future__ import annotations

from tests.core.harness import (
    Harness,
    flushed,
    mic_actions,
    notices,
    response_done,
    response_starts,
    sends,
    sent_types,
)
from voicechat.core import (
    MicAudio,
    MicReason,
    MuteMic,
    PlaybackProgress,
    SetPttStyle,
    TalkPressed,
    TalkReleased,
    UnmuteMic,
)


def test_session_turns_server_vad_off() -> None:
    for dialect in ("ga", "beta"):
        h = Harness(mode="ptt", dialect=dialect)
        [update] = sends(h.start())
        session = update["session"]
        detection = (session["audio"]["input"] if dialect == "ga" else session)["turn_detection"]
        assert detection is None


def test_toggle_press_opens_then_press_closes_and_commits() -> None:
    h = Harness(mode="ptt", ptt_style="toggle")
    h.start()
    out = h.do(TalkPressed())
    assert sent_types(out) == ["input_audio_buffer.clear"]
    assert mic_actions(out) == [UnmuteMic()]
    assert h.view.ptt_open and h.mic_label == "ptt open"
    h.do(MicAudio(500))
    h.do(TalkReleased())  # toggle style ignores releases
    assert h.view.ptt_open
    h.do(MicAudio(450))
    assert h.view.ptt_captured_ms == 950
    out = h.do(TalkPressed())
    assert sent_types(out) == ["input_audio_buffer.commit", "response.create"]
    assert mic_actions(out) == [MuteMic(MicReason.PTT_IDLE)]
    assert h.mic_label == "ptt closed"


def test_release_style_opens_on_press_and_closes_on_release() -> None:
    h = Harness(mode="ptt", ptt_style="release")
    h.start()
    assert h.view.ptt_style == "release"
    h.do(TalkPressed())
    h.do(MicAudio(600))
    assert sent_types(h.do(TalkPressed())) == []  # key auto-repeat while held
    h.do(MicAudio(600))
    out = h.do(TalkReleased())
    assert sent_types(out) == ["input_audio_buffer.commit", "response.create"]


def test_too_short_clears_and_says_so() -> None:
    h = Harness(mode="ptt", ptt_min_audio_ms=900)
    h.start()
    h.do(TalkPressed())
    h.do(MicAudio(880))
    out = h.do(TalkPressed())
    assert sent_types(out) == ["input_audio_buffer.clear"]
    assert notices(out, "warning") == [
        "too short: 880 ms of audio captured, at least 900 ms needed; nothing was sent"
    ]


def test_audio_counts_only_while_the_key_is_open() -> None:
    h = Harness(mode="ptt")
    h.start()
    h.do(MicAudio(5000))
    h.do(TalkPressed())
    h.do(MicAudio(100))
    assert "input_audio_buffer.commit" not in sent_types(h.do(TalkPressed()))


def test_create_is_queued_while_a_response_is_active() -> None:
    h = Harness(mode="ptt")
    h.start()
    response_starts(h, "resp_1", "item_a1", None)
    h.do(TalkPressed())
    h.do(MicAudio(1000))
    out = h.do(TalkPressed())
    assert sent_types(out) == ["input_audio_buffer.commit"]
    assert sent_types(response_done(h, "resp_1", "item_a1", "ok")) == ["response.create"]


def test_talk_during_playback_interrupts_when_barge_in_is_on() -> None:
    h = Harness(mode="ptt", barge_in=True)
    h.start()
    response_starts(h, "resp_1", "item_a1", None)
    h.ev("output_audio_buffer.started", response_id="resp_1")
    h.advance(0.8)
    h.do(PlaybackProgress("item_a1", 800))
    out = h.do(TalkPressed())
    assert flushed(out)
    assert sent_types(out) == [
        "input_audio_buffer.clear",
        "response.cancel",
        "output_audio_buffer.clear",
        "conversation.item.truncate",
    ]


def test_talk_during_playback_waits_when_barge_in_is_off() -> None:
    h = Harness(mode="ptt", barge_in=False)
    h.start()
    response_starts(h, "resp_1", "item_a1", None)
    h.ev("output_audio_buffer.started", response_id="resp_1")
    out = h.do(TalkPressed())
    assert "response.cancel" not in sent_types(out) and not flushed(out)
    assert h.view.mic_reason is MicReason.PLAYBACK
    assert "barge-in is off" in notices(out, "info")[0]
    h.ev("output_audio_buffer.stopped", response_id="resp_1")
    assert mic_actions(h.advance(0.5)) == [UnmuteMic()]
    assert h.mic_label == "ptt open"


def test_talk_key_outside_ptt_mode_is_a_notice() -> None:
    h = Harness(mode="vad")
    h.start()
    out = h.do(TalkPressed())
    assert sent_types(out) == [] and notices(out) == ["push-to-talk is off in vad mode"]


# --- switching style at run time ------------------------------------------------------------


def test_switch_to_release_makes_presses_repeats_and_release_close() -> None:
    h = Harness(mode="ptt", ptt_style="toggle")
    h.start()
    out = h.do(SetPttStyle("release"))
    assert h.view.ptt_style == "release"
    assert h.session.policy.ptt_style == "release"
    assert notices(out, "info") == [
        "push-to-talk style: release (the mic is open while the talk key is held)"
    ]
    assert sent_types(h.do(TalkPressed())) == ["input_audio_buffer.clear"]
    h.do(MicAudio(600))
    assert sent_types(h.do(TalkPressed())) == []  # auto-repeat while held: ignored
    assert h.view.ptt_open
    h.do(MicAudio(600))
    out = h.do(TalkReleased())
    assert sent_types(out) == ["input_audio_buffer.commit", "response.create"]
    assert not h.view.ptt_open


def test_switch_while_open_keeps_the_mic_open_and_closes_the_new_way() -> None:
    h = Harness(mode="ptt", ptt_style="toggle")
    h.start()
    h.do(TalkPressed())  # opened as a toggle
    h.do(MicAudio(1000))
    assert sent_types(h.do(SetPttStyle("release"))) == []
    assert h.view.ptt_open
    assert sent_types(h.do(TalkReleased())) == ["input_audio_buffer.commit", "response.create"]


def test_switch_back_to_toggle_ignores_releases_again() -> None:
    h = Harness(mode="ptt", ptt_style="release")
    h.start()
    h.do(SetPttStyle("toggle"))
    h.do(TalkPressed())
    h.do(MicAudio(1000))
    assert sent_types(h.do(TalkReleased())) == []
    assert h.view.ptt_open
    assert sent_types(h.do(TalkPressed())) == ["input_audio_buffer.commit", "response.create"]


def test_same_style_is_silent_and_a_bad_style_is_refused_with_a_warning() -> None:
    h = Harness(mode="ptt", ptt_style="toggle")
    h.start()
    assert h.do(SetPttStyle("toggle")) == []
    out = h.do(SetPttStyle("hold"))
    assert notices(out, "warning") == ["ptt_style must be toggle or release, not 'hold'; unchanged"]
    assert h.view.ptt_style == "toggle"
