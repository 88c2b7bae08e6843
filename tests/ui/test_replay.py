"""``voicechat replay``: the Textual app (pause, step, speed, transcript) and ``--no-ui``."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import RichLog

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
        said = [line for line in transcript if not line.startswith("latency: ")]
        assert said == [
            "You: What is the weather?", "Assistant: I cannot check the weather, sorry.",
            "You: Okay.", "Assistant: Anything else?"]
        # each answer's latency under it (issue 39), as the doctor times the same log
        timed = [line for line in transcript if line.startswith("latency: ")]
        assert len(timed) == 2 and all(" s to first audio · VAD 0.20 " in t for t in timed)
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


REAL_CALL = Path(__file__).resolve().parents[1] / "fixtures" / "realtime" / \
    "beta_webrtc_bill_negotiation_long.jsonl"


def test_no_ui_replay_shows_the_real_call(capsys: pytest.CaptureFixture[str]) -> None:
    """The real beta recording's transferToSupervisor call: its 75 argument deltas are one
    line, then the call with its arguments and call id, and the response that carried it."""
    assert replay.run(REAL_CALL, speed=1e6, no_ui=True) == 0
    lines = capsys.readouterr().out.splitlines()
    deltas = [line for line in lines if "function_call_arguments.delta" in line]
    assert len(deltas) == 1
    assert deltas[0].endswith('← response.function_call_arguments.delta ×75 '
                              'call_kmnUtkOoDYWLgJHP "}"')
    done = next(line for line in lines if "function_call_arguments.done" in line)
    assert '← response.function_call_arguments.done call transferToSupervisor {"destination_' \
        in done and done.endswith("(448 bytes) (call_kmnUtkOoDYWLgJHP)")
    assert any("response.done resp_BaPtbPrPNx7k1k6Gl19Lx completed · calls transferToSupervisor"
               " completed ·" in line for line in lines)
    assert lines[-1] == "replayed 414 events; skipped 0 lines that were not events"


def test_no_ui_replay_times_a_tool_answer_only_when_the_log_has_times(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.eventlog.tool_turns import function_turn, mcp_turn, write_log

    steps = function_turn(answer_after=1.25) + [(20 + t, d, e) for t, d, e in mcp_turn()]
    assert replay.run(write_log(tmp_path / "ours.jsonl", steps), speed=1e6, no_ui=True) == 0
    timed = capsys.readouterr().out.splitlines()
    assert any(line.endswith('→ conversation.item.create output for call_kmnUtkOoDYWLgJHP: '
                             '"{\\"temp_c\\":21,\\"sky\\":\\"sunny\\"}" (27 bytes) · get_weather, '
                             "1.25 s after the call") for line in timed)
    assert any(line.endswith("← response.mcp_call.completed item_M1 · mcp "
                             "deepwiki.ask_question, 0.85 s") for line in timed)
    assert any(line.endswith("← response.mcp_call_arguments.delta ×3 item_M1 "
                             '"ient generated?\\"}"') for line in timed)

    assert replay.run(write_log(tmp_path / "bare.jsonl", steps, timed=False), speed=1e6,
                      no_ui=True) == 0
    bare = capsys.readouterr().out.splitlines()
    sent = next(line for line in bare if "→ conversation.item.create output" in line)
    assert sent.endswith("(27 bytes) · get_weather")  # evenly paced: no made-up duration
    assert any(line.endswith("← response.mcp_call.completed item_M1 · mcp deepwiki.ask_question")
               for line in bare)


async def test_replay_transcript_shows_calls_and_outputs_once(tmp_path: Path) -> None:
    from tests.eventlog.tool_turns import function_turn, mcp_turn, write_log

    steps = function_turn() + [(20 + t, d, e) for t, d, e in mcp_turn()]
    app = ReplayApp(records_from_log(write_log(tmp_path / "tools.jsonl", steps)), speed=64.0)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(lambda: app.finished, "the replay to finish", sleep=pilot.pause)
        tools = [line for line in app.query_one(TranscriptView).lines
                 if line.startswith("Tool: ")]
    assert tools == [
        'Tool: call get_weather {"city":"Paris"} (call_kmnUtkOoDYWLgJHP) completed',
        'Tool: output for call_kmnUtkOoDYWLgJHP: "{\\"temp_c\\":21,\\"sky\\":\\"sunny\\"}" '
        "(27 bytes)",
        "Tool: mcp deepwiki: 2 tools (ask_question, read_wiki_structure)",
        'Tool: approval? deepwiki.ask_question {"repoName":"openai/openai-python","question":'
        '"How is the client generated?"}',
        "Tool: approved for item_A1",
        'Tool: mcp deepwiki.ask_question {"repoName":"openai/openai-python","question":"How is '
        'the client generated?"} → "The client is generated from the OpenAPI specification '
        'with…" (70 bytes)']


async def test_replay_of_the_real_call_shows_it_in_the_transcript() -> None:
    app = ReplayApp(records_from_log(REAL_CALL), speed=64.0)
    async with app.run_test(size=(140, 40)) as pilot:
        await until(lambda: app.finished, "the replay to finish", sleep=pilot.pause)
        lines = app.query_one(TranscriptView).lines
        fold = next(r for r in app.query_one(EventFlow).rows
                    if r.kind == "response.function_call_arguments.delta")
    tools = [line for line in lines if line.startswith("Tool: ")]
    assert len(tools) == 1 and tools[0].startswith(
        'Tool: call transferToSupervisor {"destination_agent_name":"marco_supervisor_biller"')
    assert tools[0].endswith("(448 bytes) (call_kmnUtkOoDYWLgJHP) completed")
    assert fold.count == 75


def _pane_text(log: RichLog) -> tuple[str, int]:
    """The log's drawn lines joined (whitespace folded), and the widest drawn line."""
    drawn = [strip.text.rstrip() for strip in log.lines]
    return " ".join(" ".join(drawn).split()), max((len(d) for d in drawn), default=0)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_transcript_pane_wraps_every_line_whole(size: tuple[int, int]) -> None:
    """Issue 55, item 10: lines were wrapped at RichLog's 78-column minimum and cut at the
    pane's edge; they wrap to the pane, and again when the terminal is resized."""
    records = records_from_log(LOGS / "clean_ga_websocket.jsonl")
    app = ReplayApp(records, speed=64.0)
    async with app.run_test(size=size) as pilot:
        await until(lambda: app.finished, "the replay to finish", sleep=pilot.pause)
        log = app.query_one("#turns", RichLog)
        for width in (log.scrollable_content_region.width, None):
            if width is None:  # now narrower and wider than before: wrapped again
                await pilot.resize_terminal(size[0] + 30, size[1])
                await pilot.pause()
                width = log.scrollable_content_region.width
            text, widest = _pane_text(log)
            assert widest <= width, (widest, width)
            for line in app.query_one(TranscriptView).lines:
                assert " ".join(line.split()) in text, (line, text)
