"""``voicechat --api live --no-ui`` at a real terminal: a typed line goes in as an instruction
append, a delegated task's tool asks for approval on a line (``tool_approval`` ask, the default)
and runs once allowed, and Ctrl+C ends the session gracefully."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from tests.commands.no_ui import at_terminal
from tests.helpers import local_server
from tests.speech import TEST_PHRASES, speech_wav

DELEGATE = "import json, sys; json.load(sys.stdin); print('Three parcels are on their way.')"


@pytest.mark.slow
async def test_typed_text_approval_on_a_line_and_ctrl_c(tmp_path: Path) -> None:
    script = tmp_path / "script.txt"
    script.write_text("One moment. @call lookup {}\nDone.\n", encoding="utf-8")
    (tmp_path / "cfg.toml").write_text(
        f'[voicechat.tools.delegate]\ncommand = [{sys.executable!r}, "-c", {DELEGATE!r}]\n',
        encoding="utf-8")
    wav = speech_wav(tmp_path / "ask.wav", [TEST_PHRASES[0]], lead_s=3.0, tail_s=20.0)
    async with (
        local_server(responder=f"script:{script}", asr_phrases=TEST_PHRASES) as srv,
        at_terminal(tmp_path, srv.base_url, "--api", "live", "--mic", str(wav)) as term,
    ):
        await term.line_with("<- session.started")
        term.type("hello there")
        sent = await term.line_with("-> session.instructions.append")
        assert "The user typed: hello there" in sent
        await term.line_with("<- session.instructions.appended")
        asked = await term.line_with("?? the model wants to run tool delegate")
        assert "(command)" in asked
        term.type("y")
        await term.line_with("local.tool.approved")
        answer = await term.line_with("-> session.commentary.append")
        assert "Three parcels are on their way." in answer
        await term.line_with("<- session.commentary.appended")
        term.proc.send_signal(signal.SIGINT)
        assert term.proc.stdout is not None
        rest = (await asyncio.wait_for(term.proc.stdout.read(), 30)).decode()
        assert await asyncio.wait_for(term.proc.wait(), 30) == 0
    assert "-> session.close" in rest and "<- session.closed close_requested" in rest
    assert "(confirmed by session.closed)" in rest.splitlines()[-1]
