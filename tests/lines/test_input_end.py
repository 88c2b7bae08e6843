"""When stdin ends a ``--no-ui`` run, for every API family (issue 55, items 1, 2 and 9).

* An input with no line at all (empty, blank lines, ``/dev/null``) and no mic ends the run,
  exit code 0, with a notice: nothing more can be said (it used to hang for ever).
* ``--turns N`` with more piped lines than that ends after N answers: the rest is not sent.
* Ctrl+D at a terminal ends the run once the last typed line is answered, as the end of
  piped input does (it used to only stop reading).

The installed client against the real local server on 127.0.0.1, as a user runs it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.commands.no_ui import (
    PROVIDER_VARIABLES,
    VOICECHAT,
    Terminal,
    at_terminal,
    run_no_ui,
)
from tests.helpers import local_server
from tests.speech import TEST_PHRASES
from voicechat.protocol.gemini import names

NOTHING_TO_SAY = "notice info: stdin ended with no line to send and there is no mic: nothing " \
                 "more can be said"

#: each API family as the command line picks it, with the server path it needs
FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "realtime": ("", ("--transport", "websocket")),
    "gpt-live": ("", ("--api", "live", "--model", "gpt-live-1", "--transport", "websocket")),
    "gemini": (names.PATH, ("--provider", "gemini")),
}


def said(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(("user:", "assistant:"))]


async def run_family(tmp_path: Path, family: str, text: str,
                     *extra: str) -> tuple[int, str, str, list[dict[str, Any]]]:
    path, flags = FAMILIES[family]
    async with local_server(asr_phrases=TEST_PHRASES) as srv:  # GPT-Live answers typed lines
        return await run_no_ui(tmp_path, srv.base_url + path, None, text, *flags, *extra,
                               events=False)


@pytest.mark.parametrize("family", list(FAMILIES))
async def test_an_empty_input_with_no_mic_ends_the_run(tmp_path: Path, family: str) -> None:
    code, out, err, _ = await run_family(tmp_path, family, "")
    assert code == 0, (out[-2000:], err[-2000:])
    assert NOTHING_TO_SAY in out.splitlines(), out
    # nothing was answered: Realtime says so in words (issue 55, item 19), the others count 0
    last = out.splitlines()[-1]
    assert last == "session usage: none (no response completed)" if family == "realtime" \
        else last.startswith("session usage: 0 "), last


async def test_blank_lines_are_no_line_and_turns_not_reached_is_exit_1(tmp_path: Path) -> None:
    code, out, err, records = await run_family(tmp_path, "realtime", "\n   \n\n", "--turns", "2")
    assert code == 1, (out[-2000:], err[-2000:])
    assert f"{NOTHING_TO_SAY}, 0 of --turns 2 done".replace("info", "error") in out.splitlines()
    assert not [r for r in records if r["event"].get("type") == "conversation.item.create"]


def test_dev_null_with_no_mic_ends_the_run(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.toml"
    cfg.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROVIDER_VARIABLES)}
    proc = subprocess.run([str(VOICECHAT), "--no-ui", "--mic", "none", "--speaker", "none",
                           "--transport", "websocket", "--config", str(cfg)],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                          env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert NOTHING_TO_SAY in proc.stdout.splitlines()


def typed(records: list[dict[str, Any]]) -> list[str]:
    """What the client sent as the user's words, whatever the family's wire."""
    words = []
    for record in records:
        event = record["event"]
        if record["dir"] != "out":
            continue
        if event.get("type") == "conversation.item.create":  # Realtime
            words.append(event["item"]["content"][0]["text"])
        elif event.get("type") == "session.instructions.append":  # GPT-Live
            words.append(str(event.get("instructions")))
        elif "clientContent" in event or "client_content" in event:  # Gemini
            words.append(str(event))
    return words


@pytest.mark.parametrize("family", list(FAMILIES))
async def test_turns_stops_sending_lines(tmp_path: Path, family: str) -> None:
    code, out, err, records = await run_family(tmp_path, family, "one\ntwo\nthree\n",
                                               "--turns", "1")
    assert code == 0, (out[-2000:], err[-2000:])
    assert [line for line in said(out) if line.startswith("user:")] == ["user: one"], out
    assert len(typed(records)) == 1, typed(records)
    assert "two" not in out and "three" not in out


async def finish_at_terminal(term: Terminal) -> tuple[int, list[str]]:
    """The exit code and the rest of the output of a run that should end by itself."""
    assert term.proc.stdout is not None
    rest = (await asyncio.wait_for(term.proc.stdout.read(), 60)).decode()
    return await asyncio.wait_for(term.proc.wait(), 30), rest.splitlines()


ANSWERS = {"realtime": "assistant: You said: hello there",
           "gpt-live": "assistant: You said: The user typed: hello there",
           "gemini": "assistant: You said: hello there"}


@pytest.mark.parametrize("family", list(FAMILIES))
async def test_ctrl_d_at_a_terminal_ends_after_the_answer(tmp_path: Path, family: str) -> None:
    path, flags = FAMILIES[family]
    async with local_server(asr_phrases=TEST_PHRASES) as srv, \
            at_terminal(tmp_path, srv.base_url + path, *flags, events=False) as term:
        term.type("hello there")
        term.end_input()  # at once: the answer to the line is still awaited and printed
        code, lines = await finish_at_terminal(term)
    assert code == 0, lines
    assert ANSWERS[family] in lines, lines
    assert "notice info: end of the input and of the last answer" in lines
    assert lines[-1].startswith("session usage: 1 "), lines


async def test_ctrl_d_before_any_line_ends_the_run(tmp_path: Path) -> None:
    async with local_server() as srv, at_terminal(tmp_path, srv.base_url, events=False) as term:
        term.end_input()
        code, lines = await finish_at_terminal(term)
    assert code == 0, lines
    assert "notice info: end of the input (Ctrl+D)" in lines
    assert lines[-1] == "session usage: none (no response completed)"
