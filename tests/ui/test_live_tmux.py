"""End to end: ``voicechat --api live`` in a real terminal (tmux) against the embedded local
server, a WAV with two questions as the mic. The screen shows both transcripts (the user's and
the assistant's turns, grouped from GPT-Live's timed fragments) and the event pane; ``q``
closes the session gracefully (``session.close`` answered by ``session.closed``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import events, read_records
from tests.speech import TEST_PHRASES, speech_wav
from tests.ui.test_tmux_e2e import Tmux, tmux  # noqa: F401 (the fixture)

pytestmark = pytest.mark.slow


def test_live_conversation_in_tmux_shows_both_transcripts(tmux: Tmux, tmp_path: Path) -> None:  # noqa: F811
    wav = speech_wav(tmp_path / "two.wav", TEST_PHRASES[:2], gap_s=4.0, tail_s=30.0)
    log = tmux.start_voicechat(tmp_path, wav, "--model", "gpt-live-1", "--transport",
                               "websocket", width=160, height=40)
    lines = [f"You: {TEST_PHRASES[0]}", f"Assistant: You said: {TEST_PHRASES[0]}",
             f"You: {TEST_PHRASES[1]}", f"Assistant: You said: {TEST_PHRASES[1]}"]

    # while an answer plays the status bar says "assistant speaking" (from our playback)
    tmux.wait(lambda s: "assistant speaking" in s, "the assistant speaking")
    screen = tmux.wait(lambda s: all(line in s for line in lines) and "listening" in s,
                       "both questions and both answers in the transcript, played out")
    assert "connected" in screen and "gpt-live-1" in screen and "mic always on" in screen
    assert "turns model decides" in screen and "barge-in" not in screen
    assert "session.started" in screen and "local.live.turn" in screen  # the event pane
    tmux.keys("q")
    tmux.wait(lambda s: "VOICECHAT-EXITED-0" in s, "a clean exit after q")
    kinds = [e["type"] for e in events(read_records(log))]
    assert "session.close" in kinds and kinds.index("session.close") < kinds.index(
        "session.closed")
    # the mic streamed through both answers: it was never muted or held while the session ran
    modes = [e["mode"] for e in events(read_records(log)) if e["type"] == "local.mic.stream"]
    assert modes == ["hold", "live", "hold"], modes
