"""SetPttStyle: push-to-talk switches between toggle and release (hold) while running."""

from __future__ import annotations

from tests.core.harness import Harness, notices, sent_types
from voicechat.core import MicAudio, SetPttStyle, TalkPressed, TalkReleased


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
