"""``voicechat replay`` of GPT-Live logs: the transcript pane groups the timed fragments into
turns (the GPT-Live core's rules) and ``--no-ui`` prints GPT-Live's own summaries."""

from __future__ import annotations

import pytest

from tests.fixtures.live.make_logs import LOGS
from tests.helpers import until
from voicechat.commands import replay
from voicechat.commands.replay import records_from_log
from voicechat.ui.event_flow import EventFlow
from voicechat.ui.replay_app import ReplayApp, TranscriptView


async def test_replay_of_a_live_log_shows_its_turns() -> None:
    records = records_from_log(LOGS / "live_clean_websocket.jsonl")
    app = ReplayApp(records, speed=64.0, source="live_clean_websocket.jsonl")
    async with app.run_test(size=(140, 40)) as pilot:
        await until(lambda: app.finished, "the replay to finish", sleep=pilot.pause)
        assert app.query_one(TranscriptView).lines == [
            "Assistant: Hi! How can I help?", "You: What's the weather?",
            "Assistant: It's sunny today."]
        kinds = {r.kind for r in app.query_one(EventFlow).rows}
        assert {"session.start", "session.started", "session.commentary.append",
                "session.closed"} <= kinds


def test_no_ui_replay_of_a_live_log(capsys: pytest.CaptureFixture[str]) -> None:
    assert replay.run(LOGS / "live_clean_client_delegation.jsonl", speed=1e6, no_ui=True) == 0
    out = capsys.readouterr().out
    assert "→ session.start gpt-live-1" in out
    assert '← session.input_transcript.delta 403-703 ms "Book"' in out
    assert "← session.delegation.created item_dlg1 → client" in out
    assert ('→ session.commentary.append for item_dlg1 "Booked a table for two at 7 pm."'
            in out)
    assert "← session.closed close_requested" in out
