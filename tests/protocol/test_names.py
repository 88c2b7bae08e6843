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


def _sdk_server_event_names(module: str) -> set[str]:
    """Every ``type`` literal of the official SDK's server event union in ``module``."""
    import importlib
    import typing

    union = typing.get_args(importlib.import_module(module).RealtimeServerEvent)[0]
    return {
        typing.get_args(model.model_fields["type"].annotation)[0]
        for model in typing.get_args(union)
    }


def test_server_names_match_the_sdk_unions() -> None:
    """Our lists are the SDK's (openai 3.52), except ``conversation.item.created``: the GA
    union still declares it, but the GA service sends ``conversation.item.added``/``.done``."""
    ga = _sdk_server_event_names("openai.types.realtime.realtime_server_event")
    beta = _sdk_server_event_names("openai.types.beta.realtime.realtime_server_event")
    assert SERVER_EVENTS[Dialect.GA] == ga - {"conversation.item.created"}
    assert SERVER_EVENTS[Dialect.BETA] == beta
    # the GA->beta filter drops exactly the GA-only families beta gets under no name
    assert ga - beta - set(mapping.GA_TO_BETA_SERVER_NAMES) == mapping.GA_ONLY_SERVER_EVENTS
    for family in (
        "input_audio_buffer.dtmf_event_received",
        "mcp_list_tools.completed",
        "response.mcp_call.failed",
        "conversation.item.input_audio_transcription.segment",
    ):
        assert mapping.server_event_from_canonical({"type": family}, Dialect.BETA) is None
