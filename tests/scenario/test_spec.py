"""The scenario file's contract (issue 52): every key of the issue's example read, and bad
scenarios refused naming the file, the line and the key, with "did you mean" for near misses."""

from __future__ import annotations

import re
from pathlib import Path, PurePath
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from voicechat.scenario.spec import (
    EXPECT_KEYS,
    REPLY_KEYS,
    TOOL_KEYS,
    TOP_KEYS,
    TURN_KEYS,
    Bound,
    ExpectedCall,
    ScenarioError,
    missing_files,
    parse,
)

#: The issue's example, as written there.
EXAMPLE = """\
name: weather in Paris                 # default: the file's name
session:                               # the agent under test: any session field voicechat takes
  instructions: You answer questions about the weather. Always call get_weather.
  voice: marin
tools:                                 # function tools offered to the model, answered by the test
  - name: get_weather
    description: Current weather for a city.
    parameters: {type: object, properties: {city: {type: string}}, required: [city]}
    result: {city: Paris, sky: sunny, temp_c: 21}   # the canned output sent for every call
turns:
  - say: What's the weather in Paris?  # spoken: synthesized offline, streamed as mic audio
    expect:
      tool_calls: [{name: get_weather, arguments: {city: Paris}}]   # arguments: a subset match
      reply: {contains: [sunny]}       # also: not_contains, matches (a regex), judge (below)
      first_audio_ms: {max: 2500}
  - type: And tomorrow?                # a typed message
  - audio: clips/stop.wav              # a recording (any format FFmpeg reads)
    interrupt_after_ms: 800            # spoken this long after the previous answer's first audio
    expect:
      interrupted: true                # the answer was cut
      stop_ms: {max: 800}              # from this utterance's onset to the audio stopping
doctor: clean                          # no doctor finding at warning level or above
"""


def error_of(text: str, file: str = "s.yaml") -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        parse(text, file)
    return caught.value


def test_the_issues_example_reads_whole() -> None:
    scenario = parse(EXAMPLE, "weather.yaml", base=PurePath("/suite"))
    assert scenario.name == "weather in Paris"
    assert scenario.session == {"instructions": "You answer questions about the weather. "
                                                "Always call get_weather.", "voice": "marin"}
    (tool,) = scenario.tools
    assert tool.name == "get_weather" and tool.result == {"city": "Paris", "sky": "sunny",
                                                          "temp_c": 21}
    assert tool.parameters == {"type": "object", "properties": {"city": {"type": "string"}},
                               "required": ["city"]}
    say, typed, audio = scenario.turns
    assert (say.kind, say.content, say.line) == ("say", "What's the weather in Paris?", 11)
    assert say.expect.tool_calls == (ExpectedCall("get_weather", {"city": "Paris"}),)
    assert say.expect.reply is not None and say.expect.reply.contains == ("sunny",)
    assert say.expect.first_audio == Bound(max_ms=2500)
    assert (typed.kind, typed.content, typed.expect.empty) == ("type", "And tomorrow?", True)
    assert (audio.kind, audio.content) == ("audio", "/suite/clips/stop.wav")
    assert audio.interrupt_after_ms == 800
    assert audio.expect.interrupted is True and audio.expect.stop == Bound(max_ms=800)
    assert scenario.doctor_clean


def test_the_name_defaults_to_the_files() -> None:
    assert parse("turns: [{type: hi}]", "suite/greeting.yaml").name == "greeting"


@pytest.mark.parametrize(
    ("text", "line", "where", "words"),
    [
        ("turns:\n  - say: hi\n    expect:\n      reply: {contians: [a]}\n", 4,
         "turns[0].expect.reply.contians", "unknown key 'contians' (did you mean 'contains'?)"),
        ("name: x\nturn:\n  - say: hi\n", 2, "turn", "(did you mean 'turns'?)"),
        ("turns:\n  - say: hi\n    expect: {first_audio_ms: 2500}\n", 3,
         "turns[0].expect.first_audio_ms", "expected a table of max, min, got 2500"),
        ("turns:\n  - say: hi\n    rate: fast\n", 3, "turns[0].rate",
         "expected a number, got 'fast'"),
        ("turns:\n  - say: hi\n    rate: 9000\n", 3, "turns[0].rate", "out of range: 80 to 450"),
        ("turns:\n  - say: hi\n    type: hi\n", 2, "turns[0]", "exactly one of say, type or audio"),
        ("turns:\n  - voice: en-us\n", 2, "turns[0]", "got none"),
        ("turns:\n  - type: hi\n    voice: en-us\n", 3, "turns[0].voice", "only a 'say' turn"),
        ("turns:\n  - say: hi\n    interrupt_after_ms: 500\n", 3,
         "turns[0].interrupt_after_ms", "after the first"),
        ("turns:\n  - type: a\n  - say: b\n    expect: {interrupted: true}\n", 4,
         "turns[1].expect.interrupted", "needs 'interrupt_after_ms'"),
        ("turns:\n  - type: a\n  - say: b\n    expect: {stop_ms: {max: 1}}\n", 4,
         "turns[1].expect.stop_ms", "needs 'interrupted: true'"),
        ("turns:\n  - say: hi\n    expect: {reply: {matches: '(unclosed'}}\n", 3,
         "turns[0].expect.reply.matches", "not a regular expression"),
        ("tools:\n  - name: get_weather\n    result: 1\n    comand: [x]\nturns: [{type: a}]\n",
         4, "tools[0].comand", "(did you mean 'command'?)"),
        ("tools:\n  - name: get_weather\nturns: [{type: a}]\n", 2, "tools[0]",
         "exactly one of 'result'"),
        ("tools:\n  - {name: a, result: 1}\n  - {name: a, result: 2}\nturns: [{type: a}]\n", 3,
         "tools[1].name", "a second tool named 'a'"),
        ("tools:\n  - {name: 'get weather', result: 1}\nturns: [{type: a}]\n", 2,
         "tools[0].name", "not a function name"),
        ("turns: []\n", 1, "turns", "at least one turn"),
        ("name: x\n", 1, "", "needs 'turns'"),
        ("doctor: tidy\nturns: [{type: a}]\n", 1, "doctor", "the only value is 'clean'"),
        ("turns:\n  - type: a\n    type: b\n", 3, "", "'type' is given twice"),
        ("turns:\n  - say: [oops\n", 3, "", "not valid YAML"),
        ("turns:\n  - say: hi\n    expect:\n      first_audio_ms: {max: 100, min: 200}\n", 4,
         "turns[0].expect.first_audio_ms", "min 200 is above max 100"),
        ("- say: hi\n", 1, "", "expected a table of name, agent, session"),
        ("agent: sever\nturns: [{type: a}]\n", 1, "agent", "(did you mean 'server'?)"),
        ("agent: server\nsession: {instructions: Be brief.}\nturns: [{type: a}]\n", 2,
         "session", "'agent: server' leaves session to the agent's own server"),
        ("agent: server\ntools:\n  - {name: a, result: 1}\nturns: [{type: a}]\n", 2, "tools",
         "drop the key, or drop 'agent: server'"),
    ],
)
def test_bad_scenarios_name_the_file_line_and_key(
    text: str, line: int, where: str, words: str
) -> None:
    error = error_of(text)
    assert (error.file, error.line, error.where) == ("s.yaml", line, where), str(error)
    assert words in error.message, error.message
    prefix = f"s.yaml:{line}: {where}: " if where else f"s.yaml:{line}: "
    assert str(error).startswith(prefix)


def test_an_empty_file_is_refused() -> None:
    error = error_of("# nothing yet\n")
    assert "empty" in str(error) and str(error).startswith("s.yaml: ")


def test_a_missing_recording_is_named_with_its_line() -> None:
    scenario = parse("turns:\n  - type: hi\n  - audio: clips/stop.wav\n", "s.yaml",
                     base=PurePath("/suite"))
    problem = missing_files(scenario, lambda path: False)
    assert problem is not None
    assert str(problem) == "s.yaml:3: audio: no such file: /suite/clips/stop.wav"
    assert missing_files(scenario, lambda path: True) is None


def test_a_single_string_is_a_list_of_one() -> None:
    scenario = parse("turns:\n  - type: hi\n    expect: {reply: {contains: sunny, "
                     "not_contains: [rain, snow]}}\n", "s.yaml")
    reply = scenario.turns[0].expect.reply
    assert reply is not None
    assert reply.contains == ("sunny",) and reply.not_contains == ("rain", "snow")


def test_the_documented_keys_are_the_parsers() -> None:
    """docs/howto/scenarios.md documents every key the parser takes, and no other: the first
    column of its key tables is the parser's lists."""
    page = Path(__file__).resolve().parents[2] / "docs" / "howto" / "scenarios.md"
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", page.read_text(encoding="utf-8"),
                                re.MULTILINE))
    parsed = {*TOP_KEYS, *TURN_KEYS, *EXPECT_KEYS, *REPLY_KEYS, *TOOL_KEYS}
    assert documented == parsed, (documented - parsed, parsed - documented)


YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=12)
    | st.sampled_from(["say", "type", "audio", "expect", "turns", "reply", "max"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from([*TOP_KEYS, *TURN_KEYS, *EXPECT_KEYS, *REPLY_KEYS, "max", "min",
                         "name", "arguments", "result", "x"]), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(YAML_VALUES)
def test_any_document_is_a_scenario_or_a_located_error(value: Any) -> None:
    """Whatever the file holds, the parser answers with a scenario or a ScenarioError: never
    another exception (a traceback for the user)."""
    text = yaml.safe_dump(value)
    try:
        parse(text, "p.yaml")
    except ScenarioError as exc:
        assert str(exc).startswith("p.yaml")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_a_scenario_or_a_located_error(text: str) -> None:
    try:
        parse(text, "p.yaml")
    except ScenarioError as exc:
        assert str(exc).startswith("p.yaml")
