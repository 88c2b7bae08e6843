"""A family that cannot run a scenario's keys names them all at once, in the file's order
(issue 79: three refused keys took three runs to hear of, and the session's came sorted)."""

from __future__ import annotations

import pytest

from voicechat.commands.scenario_settings import refuse_inexpressible, scenario_settings
from voicechat.config import resolve
from voicechat.families import Family, family_for
from voicechat.scenario.errors import ScenarioError, ScenarioErrors
from voicechat.scenario.spec import parse

SCENARIO = """\
session:
  temperature: 0.7
  instructions: Be brief.
  max_output_tokens: 9
tools:
  - name: check
    result: ok
turns:
  - type: hi
    expect:
      tool_calls: [{name: check}]
  - say: hello
    interrupt_after_ms: 300
"""


def _family(**flags: str) -> Family:
    return family_for(resolve({"server": "local", "no_ui": True, **flags}, config_path=None))


def test_gemini_names_each_session_key_it_lacks_in_the_file_s_order() -> None:
    scenario = parse(SCENARIO, "s.yaml")
    with pytest.raises(ScenarioErrors) as refused:
        refuse_inexpressible(scenario, _family(provider="gemini"))
    assert [error.where for error in refused.value.errors] == [
        "session.temperature", "session.max_output_tokens"]


def test_gpt_live_names_every_key_with_its_line() -> None:
    scenario = parse(SCENARIO, "s.yaml")
    with pytest.raises(ScenarioErrors) as refused:
        refuse_inexpressible(scenario, _family(api="live"))
    assert [(error.line, error.where) for error in refused.value.errors] == [
        (0, "session.temperature"), (0, "session.max_output_tokens"), (0, "tools"),
        (9, "turns[0].expect.tool_calls"), (12, "turns[1].interrupt_after_ms")]
    assert str(refused.value).count("\n") == 4  # one a line


def test_one_refusal_is_a_plain_error_and_none_is_nothing() -> None:
    lone = parse("session:\n  temperature: 0.7\nturns:\n  - type: hi\n", "s.yaml")
    with pytest.raises(ScenarioError) as refused:
        refuse_inexpressible(lone, _family(provider="gemini"))
    assert not isinstance(refused.value, ScenarioErrors)
    refuse_inexpressible(lone, _family())  # Realtime runs every key


@pytest.mark.parametrize(("flags", "voice", "said"), [
    ({}, "shimmerx", "'shimmerx' is not a Realtime voice (did you mean 'shimmer'?); one of "
                     "alloy, ash, ballad"),
    ({"provider": "gemini"}, "alloy", "'alloy' is not a Gemini Live voice; one of Puck, "),
    ({"api": "live"}, "marine", "'marine' is not a GPT-Live voice (did you mean 'marin'?)"),
])
def test_a_voice_the_family_lacks_is_refused_with_its_list(
        flags: dict[str, str], voice: str, said: str) -> None:
    """An unknown ``session.voice`` and a Realtime voice under Gemini passed the lint, and the
    run went on in the server's default voice (issue 79)."""
    scenario = parse(f"session:\n  voice: {voice}\nturns:\n  - type: hi\n", "s.yaml")
    base = resolve({"server": "local", "no_ui": True, **flags}, config_path=None)
    with pytest.raises(ScenarioError) as refused:
        scenario_settings(base, scenario, family_for(base), record=None)
    assert refused.value.where == "session.voice" and said in refused.value.message


@pytest.mark.parametrize(("flags", "voice"), [
    ({}, "Marin"), ({"provider": "gemini"}, "kore"), ({"api": "live"}, "juni"),
    # a gateway's or another provider's upstream has voices of its own: not judged here
    ({"server": "http://127.0.0.1:9/v1"}, "en-US-AvaNeural"),
])
def test_the_family_s_own_voices_pass_in_any_case(flags: dict[str, str], voice: str) -> None:
    scenario = parse(f"session:\n  voice: {voice}\nturns:\n  - type: hi\n", "s.yaml")
    base = resolve({"server": "local", "no_ui": True, **flags}, config_path=None)
    assert scenario_settings(base, scenario, family_for(base), record=None).voice == voice


@pytest.mark.parametrize("flags", [{"provider": "gemini"}, {"api": "live"}])
def test_only_a_realtime_server_can_be_the_agent_itself(flags: dict[str, str]) -> None:
    """``agent: server`` sends no set-up; Gemini Live and GPT-Live are set up by the
    client's first message, so they have no agent of their own to test (issue 79)."""
    scenario = parse("agent: server\nturns:\n  - type: hi\n", "s.yaml")
    with pytest.raises(ScenarioError) as refused:
        refuse_inexpressible(scenario, _family(**flags))
    assert (refused.value.line, refused.value.where) == (1, "agent")
    assert "Realtime server" in refused.value.message
    refuse_inexpressible(scenario, _family())
    assert scenario_settings(resolve({"server": "local", "no_ui": True}, config_path=None),
                             scenario, _family(), record=None).send_session is False
