"""The script responder's call syntax: ``@call NAME {JSON}``, preambles, several calls, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from voicechat.server.voice.reply import ReplyPart, ResponderError
from voicechat.server.voice.responders import make_responder
from voicechat.server.voice.script import ScriptResponder, ScriptSyntaxError, parse_line
from voicechat.server.voice.tools import FunctionTool, ToolCall, ToolOffer
from voicechat.server.voicekit import VoiceKit


async def collect(stream: AsyncIterator[ReplyPart]) -> list[ReplyPart]:
    return [part async for part in stream]


def test_a_plain_line_has_no_call() -> None:
    line = parse_line("  It is sunny, email me@call.example.  ")
    assert line.preamble == "It is sunny, email me@call.example." and line.calls == ()


def test_a_call_alone_with_a_preamble_and_several_on_a_line() -> None:
    assert parse_line('@call get_weather {"city": "Paris"}').calls == (
        ToolCall("get_weather", '{"city":"Paris"}'),
    )
    line = parse_line('Let me check that. @call get_weather {"city": "Paris", "n": [1, 2]}')
    assert line.preamble == "Let me check that."
    assert line.calls == (ToolCall("get_weather", '{"city":"Paris","n":[1,2]}'),)
    many = parse_line('@call a {"x": "@call b {}"} @call b{} @call get-time')
    assert many.preamble == ""
    assert many.calls == (
        ToolCall("a", '{"x":"@call b {}"}'),
        ToolCall("b", "{}"),
        ToolCall("get-time", "{}"),
    )
    assert parse_line('@call f {"s": "Café"}').calls[0].arguments == '{"s":"Café"}'


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("@call", "needs a function name"),
        ("@call {}", "needs a function name"),
        ('@call get.weather {"a": 1}', "needs a function name"),
        ("@call f {broken", "are not valid JSON"),
        ("@call f [1, 2]", "must be a JSON object, got list"),
        ('@call f {"a": 1} and then more words', "unexpected text 'and then more words'"),
        ("Hi. @call f {} Bye.", "after a call"),
    ],
)
def test_malformed_calls_say_what_is_wrong(line: str, problem: str) -> None:
    with pytest.raises(ScriptSyntaxError, match=problem):
        parse_line(line)


def test_a_malformed_line_fails_at_start_up_naming_file_and_line(tmp_path: Path) -> None:
    script = tmp_path / "tools.txt"
    script.write_text('# a demo\nHello.\n\n@call get_weather {"city": Paris}\n', encoding="utf-8")
    with pytest.raises(ResponderError) as info:
        VoiceKit(voice="tone", responder=f"script:{script}").check()
    message = str(info.value)
    assert f"responder script {str(script)!r} line 4:" in message
    assert "not valid JSON" in message
    assert "Fix: write a call as '@call NAME {JSON object}'" in message
    as_json = tmp_path / "tools.json"
    as_json.write_text('["Hi.", "@call"]', encoding="utf-8")
    with pytest.raises(ResponderError, match="entry 2: '@call' needs a function name"):
        make_responder(f"script:{as_json}")


async def test_a_call_ends_its_turn_and_the_next_line_answers(tmp_path: Path) -> None:
    script = tmp_path / "s.txt"
    script.write_text(
        'Let me check. @call get_weather {"city": "Paris"}\nIt is sunny in Paris.\n',
        encoding="utf-8",
    )
    responder = make_responder(f"script:{script}")
    first = await collect(responder.reply([], "weather?"))
    assert first == ["Let ", "me ", "check.", ToolCall("get_weather", '{"city":"Paris"}')]
    assert "".join(await collect(responder.reply([], ""))) == "It is sunny in Paris."  # type: ignore[arg-type]


WEATHER = FunctionTool("get_weather")


async def test_tool_choice_none_drops_the_calls_and_keeps_the_preamble() -> None:
    responder = ScriptResponder(["Let me check. @call get_weather {}", "@call get_weather {}"])
    offer = ToolOffer((WEATHER,), "none")
    assert await collect(responder.reply([], "", offer)) == ["Let ", "me ", "check."]
    assert await collect(responder.reply([], "", offer)) == []


async def test_required_and_forced_choices_fail_a_line_that_does_not_call() -> None:
    responder = ScriptResponder(["Just talk.", "@call other {}", "@call get_weather {}"])
    with pytest.raises(ResponderError, match=r"line 1: tool_choice 'required' requires a call"):
        await collect(responder.reply([], "", ToolOffer((WEATHER,), "required")))
    forced = ToolOffer((WEATHER,), {"type": "function", "name": "get_weather"})
    with pytest.raises(
        ResponderError,
        match=r"line 2: .*requires a call to 'get_weather', but "
        r"the line has calls to 'other'",
    ):
        await collect(responder.reply([], "", forced))
    assert await collect(responder.reply([], "", forced)) == [ToolCall("get_weather", "{}")]


async def test_a_call_to_an_undeclared_tool_is_sent_as_written() -> None:
    """Real models do it too; clients must answer it (decided in script.py's docstring)."""
    responder = ScriptResponder(["@call nope {}"])
    assert await collect(responder.reply([], "", ToolOffer((WEATHER,)))) == [ToolCall("nope", "{}")]
