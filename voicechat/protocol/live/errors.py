"""The GPT-Live server's errors, in its words where they are known, and the envelope they ride in.

The envelope differs from Realtime's in one field and one rule: the client's ``event_id`` comes
back as ``client_event_id`` (on the ``error`` event and inside ``error``), and ``error.code`` is
a required string in the SDK's types (``openai.types.live.Error``), so every error here has one.

Wording: where the reference quotes the service (unknown parameter, odd PCM bytes, the append
and instructions limits, ``immutable_field_update``, the startup ``input`` limit) the message is
that text. Where nobody has recorded it (a command before ``session.start``, a second
``session.start``, a ``delegation_id`` the session does not know) the message is ours, marked
[infer] in the docstring, written to say what went wrong and how to fix it. Codes are constants
so the doctor and the client core match them rather than the prose.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from voicechat.protocol.live import names

INVALID_REQUEST = "invalid_request_error"

UNKNOWN_PARAMETER = "unknown_parameter"
MISSING_REQUIRED_PARAMETER = "missing_required_parameter"
INVALID_TYPE = "invalid_type"
INVALID_VALUE = "invalid_value"
INVALID_JSON = "invalid_json"
INVALID_AUDIO = "invalid_audio"
#: [infer] code of the error for a command before ``session.start`` (no public record)
SESSION_NOT_STARTED = "session_not_started"
#: [infer] code of a second ``session.start`` (or one on a WebRTC data channel / sideband)
SESSION_ALREADY_STARTED = "session_already_started"
IMMUTABLE_FIELD_UPDATE = "immutable_field_update"
#: [infer] code for an append over 500 tokens (the message is the observed one)
APPEND_TOO_LONG = "context_append_too_long"
#: [infer] code for instructions over 16,384 tokens (the message is the observed one)
INSTRUCTIONS_TOO_LONG = "instructions_too_long"
ARRAY_TOO_LONG = "array_above_max_length"
UNKNOWN_DELEGATION = "unknown_delegation"
DELEGATION_ID_NOT_ALLOWED = "delegation_id_not_allowed"
RESPONSES_DELEGATION_REQUIRED = "responses_delegation_required"
FUNCTION_CALL_OUTPUTS_REQUIRED = "function_call_outputs_required"
UNKNOWN_CALL = "unknown_call_id"
UNSUPPORTED = "unsupported_event"


class LiveError(NamedTuple):
    """One error as a GPT-Live server reports it."""

    code: str
    message: str
    param: str | None = None
    type: str = INVALID_REQUEST

    def to_event(self, client_event_id: str | None = None, event_id: str | None = None) -> (
        dict[str, Any]
    ):
        """The ``error`` server event (SDK ``ErrorEvent``): ``client_event_id`` both on the
        event and inside ``error`` when the command had an ``event_id``."""
        error: dict[str, Any] = {"type": self.type, "code": self.code, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        event: dict[str, Any] = {"type": names.ERROR}
        if event_id is not None:
            event["event_id"] = event_id
        if client_event_id is not None:
            error["client_event_id"] = client_event_id
            event["client_event_id"] = client_event_id
        event["error"] = error
        return event


def unknown_parameter(path: str) -> LiveError:
    """The strict schema's refusal (SDK-N doc comment: ``invalid_request_error`` /
    ``unknown_parameter``); the message follows OpenAI's wording for the same mistake."""
    return LiveError(UNKNOWN_PARAMETER, f"Unknown parameter: '{path}'.", path)


def missing_required_parameter(path: str) -> LiveError:
    return LiveError(MISSING_REQUIRED_PARAMETER, f"Missing required parameter: '{path}'.", path)


def invalid_type(path: str, expected: str, got: str) -> LiveError:
    return LiveError(
        INVALID_TYPE,
        f"Invalid type for '{path}': expected {expected}, but got {got} instead.",
        path,
    )


def invalid_value(path: str, value: Any, supported: list[Any] | tuple[Any, ...]) -> LiveError:
    choices = ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in supported)
    shown = f"'{value}'" if isinstance(value, str) else str(value)
    return LiveError(
        INVALID_VALUE, f"Invalid value: {shown}. Supported values are: {choices}.", path
    )


def below_minimum(path: str, minimum: int, got: Any) -> LiveError:
    return LiveError(
        "integer_below_min_value",
        f"Invalid '{path}': integer below minimum value. Expected a value >= {minimum}, but "
        f"got {got} instead.",
        path,
    )


def array_too_long(path: str, maximum: int, got: int) -> LiveError:
    """Observed for ``session.input`` (https://github.com/unarbos/arbos/pull/758)."""
    return LiveError(
        ARRAY_TOO_LONG,
        f"Invalid '{path}': array too long. Expected an array with maximum length {maximum}, "
        f"but got an array with length {got} instead.",
        path,
    )


def invalid_json(detail: str) -> LiveError:
    return LiveError(INVALID_JSON, f"The event is not valid JSON ({detail}). Send one JSON "
                     "object per text frame.")


def odd_pcm_bytes() -> LiveError:
    """Azure's reference wording for PCM16 audio with an odd byte count."""
    return LiveError(INVALID_AUDIO, "PCM16 audio must contain an even number of bytes", "audio")


def audio_not_base64() -> LiveError:
    return LiveError(
        INVALID_AUDIO,
        "Invalid 'audio': expected base64-encoded raw audio in the session's format, without a "
        "WAV header.",
        "audio",
    )


def empty_audio() -> LiveError:
    return LiveError(INVALID_AUDIO, "Invalid 'audio': the audio must not be empty.", "audio")


def session_not_started(kind: str) -> LiveError:
    """[infer] A command before ``session.start`` on a primary WebSocket. The docs say only
    that ``session.start`` must come first; the wording is ours."""
    return LiveError(
        SESSION_NOT_STARTED,
        f"The session has not started: send 'session.start' (with 'session.model') as the "
        f"first event and wait for 'session.started' before sending '{kind}'.",
        "type",
    )


def session_already_started(*, webrtc: bool = False) -> LiveError:
    """[infer] A second ``session.start``, or one on a WebRTC data channel (the POST that
    created the call started the session). The session is unchanged."""
    if webrtc:
        message = ("The session has already started: a WebRTC session starts with the POST "
                   "that created it, so do not send 'session.start' on its data channel.")
    else:
        message = ("The session has already started: send 'session.start' once per "
                   "connection; the startup config cannot change (open a new session).")
    return LiveError(SESSION_ALREADY_STARTED, message, "type")


def start_on_sideband() -> LiveError:
    return LiveError(
        SESSION_ALREADY_STARTED,
        "A sideband attaches to a session that has already started: do not send "
        "'session.start' on it.",
        "type",
    )


def audio_on_sideband() -> LiveError:
    return LiveError(
        UNSUPPORTED,
        "A sideband cannot send audio: 'session.input_audio.append' is for the primary "
        "WebSocket (WebRTC sends audio on its media track).",
        "type",
    )


def audio_on_webrtc() -> LiveError:
    return LiveError(
        UNSUPPORTED,
        "WebRTC sessions send audio on their media track; 'session.input_audio.append' is for "
        "a primary WebSocket.",
        "type",
    )


def append_too_long(kind: str) -> LiveError:
    """The observed wording; the session survives it."""
    return LiveError(APPEND_TOO_LONG, "Context append text must not exceed 500 tokens",
                     "content")


def instructions_too_long() -> LiveError:
    """The observed wording; a startup error (no ``session.started``)."""
    return LiveError(
        INSTRUCTIONS_TOO_LONG,
        f"Instructions must not exceed {names.INSTRUCTIONS_MAX_TOKENS} tokens",
        "session.instructions",
    )


def immutable_delegation_type(current: str, wanted: Any) -> LiveError:
    """``session.update`` changing ``delegation.type`` (code and param documented)."""
    return LiveError(
        IMMUTABLE_FIELD_UPDATE,
        f"Cannot change 'session.delegation.type' from '{current}' to '{wanted}' during a "
        "session; start a new session for another delegation mode.",
        "session.delegation.type",
    )


def unknown_delegation(delegation_id: str) -> LiveError:
    """[infer] A non-null ``delegation_id`` that names no client delegation of this session."""
    return LiveError(
        UNKNOWN_DELEGATION,
        f"Unknown 'delegation_id' '{delegation_id}': use the id of a client delegation from "
        "'session.delegation.created', or null for session-wide context.",
        "delegation_id",
    )


def delegation_id_under_responses() -> LiveError:
    """Non-null ``delegation_id`` is not accepted with Responses delegation (SDK docstring)."""
    return LiveError(
        DELEGATION_ID_NOT_ALLOWED,
        "Non-null 'delegation_id' is not accepted with Responses delegation: send null, and "
        "answer the backend with 'response.item.create' and 'response.create'.",
        "delegation_id",
    )


def responses_delegation_required(kind: str) -> LiveError:
    """``response.item.create`` / ``response.create`` need Responses delegation (SDK)."""
    return LiveError(
        RESPONSES_DELEGATION_REQUIRED,
        f"'{kind}' requires 'session.delegation.type' \"responses\"; with client delegation, "
        "answer a delegation with 'session.commentary.append' and its 'delegation_id'.",
        "type",
    )


def function_call_outputs_required(missing: list[str]) -> LiveError:
    """``response.create`` before every pending call has its output (code observed)."""
    calls = ", ".join(f"'{c}'" for c in missing)
    return LiveError(
        FUNCTION_CALL_OUTPUTS_REQUIRED,
        f"Send a 'function_call_output' for every pending call before 'response.create'; "
        f"missing: {calls}.",
        None,
    )


def unknown_call(call_id: str) -> LiveError:
    return LiveError(
        UNKNOWN_CALL,
        f"No pending function call with call_id '{call_id}'.",
        "item.call_id",
    )


def unsupported(kind: str, why: str) -> LiveError:
    """An event the SDK knows that this server does not implement (``why`` says what to do)."""
    return LiveError(UNSUPPORTED, f"'{kind}' is not supported here: {why}", "type")
