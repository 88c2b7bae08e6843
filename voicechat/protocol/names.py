"""Every client and server event type name, per dialect, in one place.

Why a hand-kept list next to generated schemas: the schemas only describe client events, while
the local server, the session core and the doctor also need the server-side vocabulary (and need
it without loading any schema). A test checks the client lists against the generated schemas, so
the two cannot drift apart silently.
"""

from __future__ import annotations

from collections.abc import Mapping

from voicechat.protocol.dialect import Dialect

# --- client → server --------------------------------------------------------------------------

_CLIENT_COMMON: tuple[str, ...] = (
    "conversation.item.create",
    "conversation.item.delete",
    "conversation.item.retrieve",
    "conversation.item.truncate",
    "input_audio_buffer.append",
    "input_audio_buffer.clear",
    "input_audio_buffer.commit",
    "output_audio_buffer.clear",
    "response.cancel",
    "response.create",
    "session.update",
)

#: Client event types each dialect accepts, sorted (the order the server lists them in errors).
CLIENT_EVENTS: Mapping[Dialect, tuple[str, ...]] = {
    Dialect.GA: _CLIENT_COMMON,
    Dialect.BETA: tuple(sorted((*_CLIENT_COMMON, "transcription_session.update"))),
}

#: Extra client event types Azure OpenAI's GA endpoint was observed to accept (undocumented).
AZURE_EXTRA_CLIENT_EVENTS: Mapping[Dialect, tuple[str, ...]] = {
    Dialect.GA: ("session.close",),
    Dialect.BETA: (),
}

# --- server → client --------------------------------------------------------------------------

_SERVER_COMMON: tuple[str, ...] = (
    "error",
    "session.created",
    "session.updated",
    "conversation.created",
    "conversation.item.retrieved",
    "conversation.item.deleted",
    "conversation.item.truncated",
    "conversation.item.input_audio_transcription.delta",
    "conversation.item.input_audio_transcription.completed",
    "conversation.item.input_audio_transcription.failed",
    "input_audio_buffer.committed",
    "input_audio_buffer.cleared",
    "input_audio_buffer.speech_started",
    "input_audio_buffer.speech_stopped",
    "response.created",
    "response.done",
    "response.output_item.added",
    "response.output_item.done",
    "response.content_part.added",
    "response.content_part.done",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "rate_limits.updated",
    "output_audio_buffer.started",
    "output_audio_buffer.stopped",
    "output_audio_buffer.cleared",
)

_SERVER_BETA_ONLY: tuple[str, ...] = (
    "conversation.item.created",
    "response.text.delta",
    "response.text.done",
    "response.audio.delta",
    "response.audio.done",
    "response.audio_transcript.delta",
    "response.audio_transcript.done",
    "transcription_session.updated",
)

_SERVER_GA_ONLY: tuple[str, ...] = (
    "conversation.item.added",
    "conversation.item.done",
    "response.output_text.delta",
    "response.output_text.done",
    "response.output_audio.delta",
    "response.output_audio.done",
    "response.output_audio_transcript.delta",
    "response.output_audio_transcript.done",
    "input_audio_buffer.timeout_triggered",
    "input_audio_buffer.dtmf_event_received",
    "conversation.item.input_audio_transcription.segment",
    "mcp_list_tools.in_progress",
    "mcp_list_tools.completed",
    "mcp_list_tools.failed",
    "response.mcp_call_arguments.delta",
    "response.mcp_call_arguments.done",
    "response.mcp_call.in_progress",
    "response.mcp_call.completed",
    "response.mcp_call.failed",
)

#: Server event types each dialect sends. GA keeps ``conversation.created`` in its union.
SERVER_EVENTS: Mapping[Dialect, frozenset[str]] = {
    Dialect.GA: frozenset((*_SERVER_COMMON, *_SERVER_GA_ONLY)),
    Dialect.BETA: frozenset((*_SERVER_COMMON, *_SERVER_BETA_ONLY)),
}

#: Server events sent only over WebRTC/SIP (there is no server-side playback on WebSocket).
WEBRTC_ONLY_SERVER_EVENTS: frozenset[str] = frozenset(
    {"output_audio_buffer.started", "output_audio_buffer.stopped", "output_audio_buffer.cleared"}
)


def client_events(dialect: Dialect, *, azure: bool = False) -> tuple[str, ...]:
    """Client event types accepted by an endpoint, sorted as the server lists them."""
    names = CLIENT_EVENTS[dialect]
    if azure:
        names = tuple(sorted((*names, *AZURE_EXTRA_CLIENT_EVENTS[dialect])))
    return names


def is_client_event(name: str, dialect: Dialect, *, azure: bool = False) -> bool:
    return name in client_events(dialect, azure=azure)


def is_server_event(name: str, dialect: Dialect) -> bool:
    return name in SERVER_EVENTS[dialect]


def dialect_of_server_event(name: str) -> Dialect | None:
    """The dialect a server event name gives away, or ``None`` when both dialects use it."""
    in_ga = name in SERVER_EVENTS[Dialect.GA]
    in_beta = name in SERVER_EVENTS[Dialect.BETA]
    if in_ga and not in_beta:
        return Dialect.GA
    if in_beta and not in_ga:
        return Dialect.BETA
    return None
