"""Property tests: whatever JSON arrives, the validator answers and never raises."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voicechat.protocol.dialect import Dialect
from voicechat.protocol.errors import ProtocolError
from voicechat.protocol.names import client_events
from voicechat.protocol.validation import validate_client_event, validate_session

KEYS = st.sampled_from(
    [
        "type", "session", "audio", "item", "response", "role", "content", "turn_detection",
        "input", "output", "format", "voice", "threshold", "model", "rate", "event_id", "x",
    ]
)  # fmt: skip
SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
)
EVENT_TYPES = st.sampled_from(
    [*client_events(Dialect.BETA), "session.close", "realtime", "message"]
)
JSON = st.recursive(
    SCALARS | EVENT_TYPES,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(KEYS | st.text(max_size=6), children, max_size=5)
    ),
    max_leaves=25,
)
EVENTS = st.builds(
    lambda kind, body: {"type": kind, **body},
    EVENT_TYPES,
    st.dictionaries(KEYS, JSON, max_size=4),
)


def check(result: Any) -> None:
    assert result is None or isinstance(result, ProtocolError)
    if result is not None:
        assert result.message.strip()
        assert isinstance(result.code, str) and result.code


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=JSON | EVENTS, azure=st.booleans())
def test_events_never_raise(payload: Any, azure: bool) -> None:
    for dialect in Dialect:
        check(validate_client_event(payload, dialect, azure=azure))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=JSON, transcription=st.booleans())
def test_sessions_never_raise(payload: Any, transcription: bool) -> None:
    for dialect in Dialect:
        check(validate_session(payload, dialect, transcription=transcription))


@settings(max_examples=100, deadline=None)
@given(session=st.dictionaries(KEYS | st.text(max_size=6), JSON, max_size=5))
def test_error_param_names_a_place_in_the_payload(session: dict[str, Any]) -> None:
    error = validate_session(session, Dialect.BETA)
    if error is not None and error.code == "unknown_parameter":
        assert error.param is not None and error.param.startswith("session.")
        assert error.message == f"Unknown parameter: '{error.param}'."


APPEND_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3),
                          st.lists(st.integers(), max_size=2))


@settings(max_examples=400, deadline=None)
@given(dialect=st.sampled_from([Dialect.GA, Dialect.BETA]), azure=st.booleans(),
       audio=st.one_of(st.just("AAAA"), APPEND_VALUES),
       event_id=st.one_of(st.none(), st.text(min_size=500, max_size=520), APPEND_VALUES),
       extra=st.dictionaries(st.sampled_from(["item", "foo", "audio_end_ms"]), APPEND_VALUES,
                             max_size=1),
       keys=st.sets(st.sampled_from(["audio", "event_id"])))
def test_the_append_fast_path_answers_as_the_schema(dialect: Dialect, azure: bool, audio: Any,
                                                   event_id: Any, extra: dict[str, Any],
                                                   keys: set[str]) -> None:
    """``input_audio_buffer.append`` is judged without the schema when it is plainly valid:
    on any append, with or without its keys, of any types, the answer is the schema's."""
    from voicechat.protocol.error_picker import first_problem
    from voicechat.protocol.unset_nulls import drop_unset_nulls
    from voicechat.protocol.validation import _schemas

    event: dict[str, Any] = {"type": "input_audio_buffer.append", **extra}
    if "audio" in keys:
        event["audio"] = audio
    if "event_id" in keys:
        event["event_id"] = event_id
    by_schema = first_problem(_schemas(dialect, azure).events["input_audio_buffer.append"],
                              drop_unset_nulls(event, dialect))
    assert validate_client_event(event, dialect, azure=azure) == by_schema
