"""``voicechat --api live --no-ui`` with piped lines: each line goes in as the user's typed
words (an instructions append), the next one only after the model's answer turn to the
previous one, and the run ends after the last answer; a line the model does not answer is given
up after a wait rather than blocking the run. Against the real local server."""

from __future__ import annotations

import io
import os
from pathlib import Path

from tests.commands.no_ui import run_no_ui
from tests.helpers import local_server, until
from tests.speech import TEST_PHRASES
from voicechat.config import Settings
from voicechat.lines.live_pacing import LiveStdinLines
from voicechat.runtime.live import LiveRuntime


async def test_piped_lines_go_one_per_answer_and_the_run_ends_after_the_last(
    tmp_path: Path,
) -> None:
    async with local_server(asr_phrases=TEST_PHRASES, live_answer_instructions=True) as server:
        code, out, err, records = await run_no_ui(
            tmp_path, server.base_url, "websocket", "hello there\n\nhow are you\n",
            "--api", "live", "--model", "gpt-live-1", "--turns", "2")
    assert code == 0, (out[-3000:], err[-3000:])
    sequence = [(r["dir"], r["event"]) for r in records]
    appends = [i for i, (d, e) in enumerate(sequence)
               if d == "out" and e.get("type") == "session.instructions.append"]
    assert [sequence[i][1]["content"] for i in appends] == [
        "The user typed: hello there", "The user typed: how are you"]
    answers = [i for i, (d, e) in enumerate(sequence)
               if e.get("type") == "local.live.turn" and e["speaker"] == "assistant"]
    assert len(answers) == 2
    assert appends[0] < answers[0] < appends[1] < answers[1]  # paced by the answers
    assert "assistant: 'You said: The user typed: hello there'" in out
    assert "assistant: 'You said: The user typed: how are you'" in out
    assert out.splitlines()[-1].startswith("session usage: 2 assistant turn(s)")
    assert any(d == "in" and e.get("type") == "session.closed" for d, e in sequence)


async def test_an_unanswered_line_is_given_up_and_the_input_end_checks_turns(
    tmp_path: Path,
) -> None:
    """The local model keeps appends as silent context by default: nothing answers."""
    async with local_server(asr_phrases=TEST_PHRASES) as server:
        runtime = LiveRuntime(Settings(server="local", api="live", model="gpt-live-1",
                                       transport="websocket", mic="none", speaker="none"),
                              local_server=server)
        notices: list[str] = []
        runtime.subscribe(lambda r: notices.append(str(r.event.get("message")))
                          if r.event.get("type") == "local.notice" else None)
        read, write = os.pipe()
        os.write(write, b"first\nsecond\n")
        os.close(write)
        err = io.StringIO()
        await runtime.start()
        lines = LiveStdinLines(runtime, turns=1, stream=os.fdopen(read), err=err,
                               answer_wait_s=0.5)
        try:
            await until(lambda: runtime.live_view.state == "active", "session.started")
            lines.start()
            await until(lambda: lines.done, "the input ended and was answered", timeout=20)
        finally:
            lines.stop()
            await runtime.stop()
    assert lines.sent == 2 and lines.unanswered == 2 and lines.answered == 0
    assert sum("no answer to line" in n for n in notices) == 2
    assert lines.exit_code == 1
    assert "stdin ended after 0 of 1 completed response(s)" in err.getvalue()
