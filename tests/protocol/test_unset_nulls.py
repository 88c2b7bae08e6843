"""Nulls the service reads as "not set" (issue 56): LiveKit's ``response.create`` and its kin.

The real service answers ``{"response": {"instructions": null, ...}}`` (LiveKit Agents sends it on
every reply in production); the SDK's request types, which our schemas come from, have no null
there. These tests pin the decision field by field, and that a real type error keeps the
service's wording.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicechat.protocol.dialect import Dialect
from voicechat.protocol.unset_nulls import UNSET_WHEN_NULL, drop_unset_nulls
from voicechat.protocol.validation import validate_client_event

#: Exactly what livekit-agents 1.8.9's ``generate_reply()`` sends with no per-call instructions.
LIVEKIT_REPLY = {
    "type": "response.create",
    "event_id": "response_create_4b2f8c1e9a7d",
    "response": {
        "instructions": None,
        "metadata": {"client_event_id": "response_create_4b2f8c1e9a7d"},
    },
}

RESPONSE_FIELDS = {d: UNSET_WHEN_NULL[d]["response.create"]["response"] for d in Dialect}

#: A valid value per field, so "null accepted" is compared with "value accepted".
GA_VALUES: dict[str, Any] = {
    "audio": {"output": {"voice": "marin"}},
    "conversation": "none",
    "input": [],
    "instructions": "Be brief.",
    "max_output_tokens": "inf",
    "metadata": {"k": "v"},
    "output_modalities": ["text"],
    "parallel_tool_calls": True,
    "prompt": {"id": "pmpt_1"},
    "reasoning": {"effort": "low"},
    "tool_choice": "auto",
    "tools": [],
}
BETA_VALUES: dict[str, Any] = {
    "conversation": "none",
    "input": [],
    "instructions": "Be brief.",
    "max_response_output_tokens": 200,
    "metadata": {"k": "v"},
    "modalities": ["text"],
    "output_audio_format": "pcm16",
    "temperature": 0.8,
    "tool_choice": "auto",
    "tools": [],
    "voice": "alloy",
}
VALUES = {Dialect.GA: GA_VALUES, Dialect.BETA: BETA_VALUES}


def test_livekits_reply_request_is_valid() -> None:
    assert validate_client_event(LIVEKIT_REPLY, Dialect.GA) is None


def test_a_number_for_instructions_keeps_the_services_wording() -> None:
    event = {"type": "response.create", "response": {"instructions": 5}}
    problem = validate_client_event(event, Dialect.GA)
    assert problem is not None
    assert problem.code == "invalid_type"
    assert problem.param == "response.instructions"
    assert problem.message == (
        "Invalid type for 'response.instructions': expected a string, but got an integer instead."
    )


def test_the_list_covers_every_field_of_the_response_object() -> None:
    """A field the SDK adds to ``response`` must be decided here, not fall through."""
    assert set(GA_VALUES) == RESPONSE_FIELDS[Dialect.GA]
    assert set(BETA_VALUES) == RESPONSE_FIELDS[Dialect.BETA]
    for dialect, values in VALUES.items():
        for field, value in values.items():
            event = {"type": "response.create", "response": {field: value}}
            assert validate_client_event(event, dialect) is None, (dialect, field)


@pytest.mark.parametrize("dialect", list(Dialect))
def test_each_field_takes_null_as_unset(dialect: Dialect) -> None:
    for field in sorted(RESPONSE_FIELDS[dialect]):
        event = {"type": "response.create", "response": {field: None}}
        assert validate_client_event(event, dialect) is None, field


@pytest.mark.parametrize("dialect", list(Dialect))
def test_a_null_response_is_a_default_response(dialect: Dialect) -> None:
    assert validate_client_event({"type": "response.create", "response": None}, dialect) is None


def test_the_other_dialects_name_is_still_unknown_when_null() -> None:
    """Dropping nulls must not hide a misspelt or wrong-dialect key."""
    ga = validate_client_event({"type": "response.create", "response": {"modalities": None}},
                               Dialect.GA)
    assert ga is not None and ga.code == "unknown_parameter"
    assert ga.param == "response.modalities"
    beta = validate_client_event(
        {"type": "response.create", "response": {"output_modalities": None}}, Dialect.BETA
    )
    assert beta is not None and beta.code == "unknown_parameter"


def test_nulls_elsewhere_are_still_refused() -> None:
    """Only the decided fields: a null VAD threshold stays an error, and a null in another
    event's same-named field (``session.instructions``) is not swept along."""
    threshold = {
        "type": "session.update",
        "session": {"type": "realtime",
                    "audio": {"input": {"turn_detection": {"type": "server_vad",
                                                           "threshold": None}}}},
    }
    assert validate_client_event(threshold, Dialect.GA) is not None
    instructions = {"type": "session.update",
                    "session": {"type": "realtime", "instructions": None}}
    problem = validate_client_event(instructions, Dialect.GA)
    assert problem is not None and problem.param == "session.instructions"


@given(
    dialect=st.sampled_from(list(Dialect)),
    data=st.data(),
)
def test_a_null_is_accepted_exactly_where_leaving_the_key_out_is(
    dialect: Dialect, data: st.DataObject
) -> None:
    """For any mix of set, null and absent fields (plus an unknown key sometimes), the verdict
    equals the verdict on the event without the nulls; the caller's event is never changed."""
    fields = sorted(VALUES[dialect])
    chosen = data.draw(st.lists(st.sampled_from(fields), unique=True, max_size=len(fields)))
    nulls = data.draw(st.sets(st.sampled_from(chosen))) if chosen else set()
    response: dict[str, Any] = {
        f: None if f in nulls else VALUES[dialect][f] for f in chosen
    }
    if data.draw(st.booleans()):
        response["instructoins"] = data.draw(st.none() | st.text(max_size=3))
    event = {"type": "response.create", "response": response}
    before = copy.deepcopy(event)
    without = {"type": "response.create",
               "response": {k: v for k, v in response.items() if k not in nulls}}
    assert validate_client_event(event, dialect) == validate_client_event(without, dialect)
    assert drop_unset_nulls(event, dialect) == without
    assert event == before


def test_events_without_unset_nulls_pass_through_as_the_same_object() -> None:
    for event in ({"type": "response.create"}, {"type": "session.update", "session": None},
                  {"type": ["not", "a", "string"]}, {}):
        assert drop_unset_nulls(event, Dialect.GA) is event
