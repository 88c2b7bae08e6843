"""Event name lists per dialect."""

from __future__ import annotations

from voicechat.protocol import mapping
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.names import (
    SERVER_EVENTS,
    client_events,
    dialect_of_server_event,
    is_client_event,
    is_server_event,
)


def test_client_lists_are_sorted_and_dialect_specific() -> None:
    for dialect in Dialect:
        names = client_events(dialect)
        assert list(names) == sorted(names)
    assert is_client_event("transcription_session.update", Dialect.BETA)
    assert not is_client_event("transcription_session.update", Dialect.GA)
    assert is_client_event("session.close", Dialect.GA, azure=True)
    assert not is_client_event("session.close", Dialect.GA)


def test_server_names_agree_with_mapping() -> None:
    for beta, ga in mapping.BETA_TO_GA_SERVER_NAMES.items():
        assert is_server_event(beta, Dialect.BETA), beta
        assert is_server_event(ga, Dialect.GA), ga
    for ga_only in mapping.GA_ONLY_SERVER_EVENTS:
        assert ga_only in SERVER_EVENTS[Dialect.GA]
        assert ga_only not in SERVER_EVENTS[Dialect.BETA]


def test_dialect_of_server_event() -> None:
    assert dialect_of_server_event("response.output_audio.delta") is Dialect.GA
    assert dialect_of_server_event("response.audio.delta") is Dialect.BETA
    assert dialect_of_server_event("response.done") is None
    assert dialect_of_server_event("no.such.event") is None
