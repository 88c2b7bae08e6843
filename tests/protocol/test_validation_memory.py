"""The validator remembers its verdicts (issue 54: a load run sends the same events in every
conversation, and the local server judges each): a remembered verdict must be the one the
schema gives, whatever came before it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voicechat.protocol import validation
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.validation import validate_client_event

values = st.one_of(st.none(), st.booleans(), st.integers(-3, 5000), st.floats(allow_nan=False),
                   st.text(max_size=8),
                   st.lists(st.sampled_from(["audio", "text", "x"]), max_size=3),
                   st.tuples(st.sampled_from(["audio", "text"])))
responses = st.dictionaries(
    st.sampled_from(["instructions", "modalities", "output_modalities", "temperature",
                     "voice", "max_output_tokens", "conversation", "nonsense"]),
    values, max_size=4)
ids = st.one_of(st.none(), st.text(max_size=5), st.just("e" * 513), st.integers(0, 3))


def _event(response: dict[str, Any], event_id: object) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "response.create", "response": response}
    if event_id is not None:
        event["event_id"] = event_id
    return event


def _fresh(event: dict[str, Any], dialect: Dialect) -> Any:
    kept = dict(validation._VERDICTS)
    validation._VERDICTS.clear()
    try:
        return validate_client_event(event, dialect)
    finally:
        validation._VERDICTS.update(kept)


@settings(max_examples=300)
@given(st.lists(st.tuples(responses, ids), min_size=1, max_size=6),
       st.sampled_from([Dialect.GA, Dialect.BETA]))
def test_a_remembered_verdict_is_the_schema_s(events: list[tuple[dict[str, Any], object]],
                                              dialect: Dialect) -> None:
    for response, event_id in events + events:  # each seen twice, in between the others
        event = _event(response, event_id)
        assert validate_client_event(event, dialect) == _fresh(event, dialect)


def test_a_long_or_odd_event_id_is_judged_not_remembered() -> None:
    long_id = _event({}, "e" * 600)
    problem = validate_client_event(long_id, Dialect.GA)
    assert problem is not None and problem.param == "event_id"
    assert validate_client_event(_event({}, "vc_1"), Dialect.GA) is None
    assert validate_client_event(long_id, Dialect.GA) == problem


@pytest.mark.parametrize("size", [10, 10_000])
def test_the_memory_is_bounded_in_entries_and_in_size(size: int) -> None:
    validation._VERDICTS.clear()
    for n in range(validation.VERDICTS_KEPT + 10):
        validate_client_event(_event({"instructions": f"{n:0{size}d}"}, "vc_1"), Dialect.GA)
    kept = validation._VERDICTS
    assert len(kept) <= validation.VERDICTS_KEPT
    assert (len(kept) > 0) is (size < validation.VERDICT_KEY_MAX)
