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
