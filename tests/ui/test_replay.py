"""``voicechat replay``: the Textual app (pause, step, speed, transcript) and ``--no-ui``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import until
from voicechat.commands import replay
from voicechat.commands.replay import records_from_log
from voicechat.ui.event_flow import EventFlow
from voicechat.ui.replay_app import ReplayApp, TranscriptView

LOGS = Path(__file__).resolve().parents[1] / "doctor" / "logs"


async def test_paused_replay_steps_one_event_at_a_time() -> None:
    records = records_from_log(LOGS / "clean_ga_websocket.jsonl")
    app = ReplayApp(records, speed=1.0, paused=True)
    async with app.run_test(size=(140, 40)) as pilot:
        flow = app.query_one(EventFlow)
        await pilot.pause()
        assert app.replayed == 0
        await pilot.press("n")
        await pilot.press("right")
        await pilot.pause()
        assert app.replayed == 2
        assert [r.kind for r in flow.rows] == ["local.transport.state", "session.created"]
        status = str(app.query_one("#status").render())
        assert "paused" in status and "2 events" in status
        await pilot.press("plus", "plus")
        assert app.speed == 4.0
        await pilot.press("minus")
        assert app.speed == 2.0
        await pilot.press("f")
        assert flow.filter == "no_deltas"
        await pilot.press("up", "enter")  # select the newest line: its JSON is shown
        await pilot.pause()
        assert '"session.created"' in str(app.query_one("#detail").render())
        await pilot.press("q")
    assert app.return_code == 0


async def test_replay_plays_to_the_end_with_events_and_transcript() -> None:
    records = records_from_log(LOGS / "clean_ga_websocket.jsonl")
    app = ReplayApp(records, speed=64.0, source="clean_ga_websocket.jsonl")
    async with app.run_test(size=(140, 40)) as pilot:
        await until(lambda: app.finished, "the replay to finish", sleep=pilot.pause)
        assert app.replayed == 71
        transcript = app.query_one(TranscriptView).lines
        assert transcript == [
            "You: What is the weather?", "Assistant: I cannot check the weather, sorry.",
            "You: Okay.", "Assistant: Anything else?"]
        kinds = [r.kind for r in app.query_one(EventFlow).rows]
        assert "response.output_audio.delta" in kinds and "local.mic.unmuted" in kinds
        assert "end of log" in str(app.query_one("#status").render())


async def test_space_pauses_and_resumes() -> None:
    records = records_from_log(LOGS / "session_expired_ga.jsonl")  # long idle gaps
    app = ReplayApp(records, speed=1.0)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause(0.05)
        await pilot.press("space")
        assert app.paused
        count = app.replayed
        await pilot.pause(0.3)
        assert app.replayed == count  # nothing moves while paused
        await pilot.press("n")
        assert app.replayed == count + 1
        await pilot.press("space")
        assert not app.paused


async def test_foreign_log_without_times_is_paced_evenly() -> None:
    records = list(records_from_log(LOGS / "commit_too_small_beta_ptt.json"))
    assert [r.t for r in records] == [n * replay.EVEN_STEP_S for n in range(len(records))]
    app = ReplayApp(iter(records), speed=64.0)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(lambda: app.finished, "the replay to finish", sleep=pilot.pause)
        assert app.replayed == 9
        flow = app.query_one(EventFlow)
        flow.set_filter("errors")
        assert [r.kind for r in flow.rows] == ["error"]


def test_no_ui_prints_summary_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert replay.run(LOGS / "self_interruption_webrtc_logcat.txt", speed=1e6, no_ui=True) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("← session.created realtime, server_vad 0.5/300/200, "
                             "transcription off, voice alloy")
    assert any("← output_audio_buffer.cleared resp_1" in line for line in lines)
    assert lines[-1] == "replayed 83 events; skipped 6 lines that were not events"


@pytest.mark.parametrize(("target", "speed"), [("missing.jsonl", 1.0), ("not_a_log.txt", 1.0),
                                               ("clean_ga_websocket.jsonl", 0.0)])
def test_replay_errors_exit_2(target: str, speed: float,
                              capsys: pytest.CaptureFixture[str]) -> None:
    assert replay.run(LOGS / target, speed=speed, no_ui=True) == 2
    assert capsys.readouterr().err.startswith("voicechat replay: ")


async def test_the_idle_note_does_not_outlive_the_gap() -> None:
    from voicechat.eventlog.record import LogRecord

    records = [LogRecord(t=0.0, ts="", dir="in", event={"type": "session.created"}),
               LogRecord(t=40.0, ts="", dir="in", event={"type": "session.updated"})]
    app_slow = ReplayApp(iter(records), speed=1.0)  # a 40 s gap is shortened to 3 s
    async with app_slow.run_test(size=(140, 40)) as pilot:
        for _ in range(100):
            if "skipping" in str(app_slow.query_one("#status").render()):
                break
            await pilot.pause(0.05)
        assert "skipping 40 s of idle log" in str(app_slow.query_one("#status").render())
        for _ in range(200):
            if app_slow.finished:
                break
            await pilot.pause(0.05)
        status = str(app_slow.query_one("#status").render())
        assert "end of log" in status and "skipping" not in status
