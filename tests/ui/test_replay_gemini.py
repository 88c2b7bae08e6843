"""``voicechat replay`` of Gemini Live logs: the transcript pane groups the transcription frames
into turns (as export does) and ``--no-ui`` prints a line per frame that names its pieces."""

from __future__ import annotations

import pytest

from tests.doctor.gemini_corpus import LOGS
from tests.helpers import until
from voicechat.commands import replay
from voicechat.commands.replay import records_from_log
from voicechat.ui.event_flow import EventFlow
from voicechat.ui.replay_app import ReplayApp, TranscriptView


async def test_replay_of_a_gemini_log_shows_its_turns() -> None:
    records = records_from_log(LOGS / "gemini_clean.jsonl")
    app = ReplayApp(records, speed=64.0, source="gemini_clean.jsonl")
    async with app.run_test(size=(140, 40)) as pilot:
        await until(lambda: app.finished, "the replay to finish", sleep=pilot.pause)
        assert app.query_one(TranscriptView).lines == [
            "You: What's the weather in Paris?", "Assistant: Let me check.",
            'Tool: get_weather({"city": "Paris"})',
            "Assistant: It is sunny and 21 degrees in Paris.", "You: Thanks!",
            "Assistant: You're welcome."]
        kinds = {r.kind for r in app.query_one(EventFlow).rows}
        assert {"gemini.setup", "gemini.toolCall", "gemini.goAway"} <= kinds


def test_no_ui_replay_of_a_gemini_text_log(capsys: pytest.CaptureFixture[str]) -> None:
    assert replay.run(LOGS / "gemini_media_chunks_console.log", speed=1e6, no_ui=True) == 0
    out = capsys.readouterr().out
    assert "→ gemini.setup models/gemini-2.5-flash-native-audio-preview-12-2025 resumable" in out
    assert "→ gemini.realtimeInput mediaChunks" in out
    assert '← gemini.close 1007 "realtime_input.media_chunks is deprecated.' in out


def test_no_ui_replay_never_shows_a_resumption_handle(capsys: pytest.CaptureFixture[str]) -> None:
    assert replay.run(LOGS / "gemini_stale_handle_bare.jsonl", speed=1e6, no_ui=True) == 0
    out = capsys.readouterr().out
    assert "← gemini.sessionResumptionUpdate new handle resumable=true" in out
    assert "h-aaa" not in out and "h-bbb" not in out
    assert "gemini.toolCall" not in out
