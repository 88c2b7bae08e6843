"""One turn's verdicts (issue 52): tool calls in order with argument subsets, the reply's words,
latency budgets, interruptions, and a judge that is never a pass when it did not run."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from voicechat.scenario.checks import (
    Judgement,
    ObservedCall,
    ObservedTurn,
    check_turn,
    subset_match,
)
from voicechat.scenario.spec import parse


def expect(yaml_expect: str) -> Any:
    """The expectations of a one-turn scenario (a later turn, so interruptions are legal)."""
    text = f"turns:\n  - type: hi\n  - say: stop\n    interrupt_after_ms: 500\n" \
           f"    expect: {yaml_expect}\n"
    return parse(text, "t.yaml").turns[1].expect


def statuses(verdicts: list[Any]) -> list[tuple[str, str]]:
    return [(v.check, v.status) for v in verdicts]


def test_the_example_turn_passes_on_what_a_good_agent_does() -> None:
    seen = ObservedTurn(reply="It is sunny in Paris, 21 degrees.",
                        calls=(ObservedCall("get_weather", '{"city": "Paris", "unit": "C"}'),),
                        first_audio_ms=812.0)
    verdicts = check_turn(expect("{tool_calls: [{name: get_weather, arguments: {city: Paris}}], "
                                 "reply: {contains: [sunny]}, first_audio_ms: {max: 2500}}"),
                          seen)
    assert statuses(verdicts) == [("tool_calls", "passed"), ("reply.contains", "passed"),
                                  ("first_audio_ms", "passed")]
    assert verdicts[2].reason == "812 ms"


def test_failures_say_what_was_seen() -> None:
    seen = ObservedTurn(reply="It is raining.",
                        calls=(ObservedCall("get_weather", '{"city": "Lyon"}'),),
                        first_audio_ms=3100.0)
    verdicts = check_turn(expect("{tool_calls: [{name: get_weather, arguments: {city: Paris}}], "
                                 "reply: {contains: Sunny, not_contains: rain, "
                                 "matches: '\\d+ degrees'}, first_audio_ms: {max: 2500}}"), seen)
    assert [v.status for v in verdicts] == ["failed"] * 5
    reasons = [v.reason for v in verdicts]
    assert reasons[0] == ('no call to get_weather with {"city": "Paris"} (in order); made: '
                          'get_weather({"city": "Lyon"})')
    assert reasons[1] == "'Sunny' not in the reply 'It is raining.'"
    assert reasons[2] == "'rain' is in the reply 'It is raining.'"
    assert reasons[3].startswith("/\\d+ degrees/ does not match")
    assert reasons[4] == "3100 ms, over the 2500 ms allowed"


def test_calls_are_found_in_order_each_by_a_different_call() -> None:
    two = expect("{tool_calls: [{name: a}, {name: a}]}")
    assert check_turn(two, ObservedTurn(calls=(ObservedCall("a", "{}"),)))[0].status == "failed"
    assert check_turn(two, ObservedTurn(calls=(ObservedCall("a", "{}"), ObservedCall("b", "{}"),
                                               ObservedCall("a", "{}"))))[0].status == "passed"
    order = expect("{tool_calls: [{name: b}, {name: a}]}")
    calls = (ObservedCall("a", "{}"), ObservedCall("b", "{}"))
    assert check_turn(order, ObservedTurn(calls=calls))[0].status == "failed"


def test_an_empty_list_means_no_call_and_malformed_arguments_match_only_any() -> None:
    none = expect("{tool_calls: []}")
    assert check_turn(none, ObservedTurn())[0].status == "passed"
    made = check_turn(none, ObservedTurn(calls=(ObservedCall("a", '{"x": 1}'),)))[0]
    assert made.status == "failed" and made.reason == 'expected no tool call; made: a({"x": 1})'
    broken = (ObservedCall("get_weather", '{"city": "Par'),)
    assert check_turn(expect("{tool_calls: [{name: get_weather}]}"),
                      ObservedTurn(calls=broken))[0].status == "passed"
    assert check_turn(expect("{tool_calls: [{name: get_weather, arguments: {city: Par}}]}"),
                      ObservedTurn(calls=broken))[0].status == "failed"


def test_an_interruption_and_its_stop_time() -> None:
    exp = expect("{interrupted: true, stop_ms: {max: 800}}")
    cut = check_turn(exp, ObservedTurn(interrupted=True, stop_ms=420.0))
    assert statuses(cut) == [("interrupted", "passed"), ("stop_ms", "passed")]
    late = check_turn(exp, ObservedTurn(interrupted=True, stop_ms=1310.0))
    assert late[1].reason == "1310 ms, over the 800 ms allowed"
    ignored = check_turn(exp, ObservedTurn(interrupted=False))
    assert [v.reason for v in ignored] == ["the answer played to its end: nothing cut it",
                                           "the assistant's audio never stopped"]


def test_no_audio_fails_a_latency_budget() -> None:
    verdict = check_turn(expect("{first_audio_ms: {max: 2500}}"), ObservedTurn())[0]
    assert (verdict.status, verdict.reason) == ("failed", "no audio came back")


def test_a_judge_is_skipped_with_how_to_enable_it_never_passed() -> None:
    exp = expect("{reply: {judge: offers a table for two}}")
    skipped = check_turn(exp, ObservedTurn(reply="A table for two at eight?"))[0]
    assert skipped.status == "skipped"
    assert "--judge-url" in skipped.reason and "--judge-model" in skipped.reason
    judged = check_turn(exp, ObservedTurn(reply="No."), Judgement(False, "it refused"))[0]
    assert (judged.status, judged.reason) == ("failed", "it refused")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                max_size=3),
    max_leaves=12,
)


@given(JSON)
def test_a_value_matches_itself_and_its_json_round_trip(value: Any) -> None:
    assert subset_match(value, value)
    assert subset_match(value, json.loads(json.dumps(value)))


@given(st.dictionaries(st.text(max_size=3), JSON, max_size=4),
       st.dictionaries(st.text(max_size=3), JSON, max_size=4))
def test_a_table_matches_any_table_it_is_part_of(part: dict[str, Any],
                                                 extra: dict[str, Any]) -> None:
    whole = {**extra, **part}
    assert subset_match(part, whole)
    missing = [k for k in extra if k not in part]
    if missing:  # a key the actual table lacks never matches
        assert not subset_match(whole, part)


def test_booleans_are_not_numbers() -> None:
    assert subset_match({"n": 21}, {"n": 21.0})
    assert not subset_match({"ok": True}, {"ok": 1})
    assert not subset_match({"n": 1}, {"n": True})


def test_each_key_is_one_verdict_and_a_pass_says_what_was_seen() -> None:
    """``contains: [a, b]`` gave two verdicts named ``reply.contains``, each with an empty
    reason: a report grouped by check counted one key twice and said nothing of a pass
    (issue 79)."""
    seen = ObservedTurn(reply="Hello there, friend.", calls=(ObservedCall("greet", "{}"),))
    verdicts = check_turn(expect("{tool_calls: [{name: greet}], reply: {contains: [hello, "
                                 "there], not_contains: [bye, ciao], matches: 'fr.end'}, "
                                 "interrupted: false}"), seen)
    assert [(v.check, v.status, v.reason) for v in verdicts] == [
        ("tool_calls", "passed", "made: greet({})"),
        ("reply.contains", "passed", "'hello', 'there' in the reply"),
        ("reply.not_contains", "passed", "none of 'bye', 'ciao' in the reply"),
        ("reply.matches", "passed", "/fr.end/ matches the reply"),
        ("interrupted", "passed", "the answer played to its end")]
    missed = check_turn(expect("{reply: {contains: [hello, sunny, warm], not_contains: "
                               "[there, friend]}}"), seen)
    assert [(v.check, v.status, v.reason) for v in missed] == [
        ("reply.contains", "failed", "'sunny', 'warm' not in the reply 'Hello there, friend.'"),
        ("reply.not_contains", "failed",
         "'there', 'friend' are in the reply 'Hello there, friend.'")]


def test_an_interruption_the_server_never_heard_says_the_caller_may_be_too_quiet() -> None:
    """"The assistant's audio never stopped" came with no hint when the caller was too quiet
    to be heard at all (issue 79)."""
    want = expect("{interrupted: true, stop_ms: {max: 1500}}")
    unheard = check_turn(want, ObservedTurn(caller_heard=False))
    assert [v.status for v in unheard] == ["failed", "failed"]
    assert all("too quiet? raise the turn's level_db" in v.reason for v in unheard)
    heard = check_turn(want, ObservedTurn(caller_heard=True))
    assert [v.reason for v in heard] == ["the answer played to its end: nothing cut it",
                                         "the assistant's audio never stopped"]
