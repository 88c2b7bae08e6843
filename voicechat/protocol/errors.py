"""The real server's error wording, in one place.

The local server sends these, the validator reports them, and the doctor recognises them in
logs. Messages follow what the OpenAI Realtime API was observed to send (see
``docs/reference-notes.md``, "Error events"); where the exact wording was never observed the
general OpenAI API pattern is used and the docstring says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INVALID_REQUEST = "invalid_request_error"
SERVER_ERROR = "server_error"


@dataclass(frozen=True)
class ProtocolError:
    """One error as the server reports it in an ``error`` event."""

    code: str | None
    message: str
    param: str | None = None
    type: str = INVALID_REQUEST

    def to_event(
        self, client_event_id: str | None = None, event_id: str | None = None
    ) -> dict[str, Any]:
        """The ``error`` server event carrying this error (echoing the client's ``event_id``)."""
        event: dict[str, Any] = {
            "type": "error",
            "error": {
                "type": self.type,
                "code": self.code,
                "message": self.message,
                "param": self.param,
                "event_id": client_event_id,
            },
        }
        if event_id is not None:
            event["event_id"] = event_id
        return event


def unknown_parameter(path: str) -> ProtocolError:
    return ProtocolError("unknown_parameter", f"Unknown parameter: '{path}'.", path)


def missing_required_parameter(path: str) -> ProtocolError:
    return ProtocolError(
        "missing_required_parameter", f"Missing required parameter: '{path}'.", path
    )


def invalid_type(path: str, expected: str, got: str) -> ProtocolError:
    return ProtocolError(
        "invalid_type",
        f"Invalid type for '{path}': expected {expected}, but got {got} instead.",
        path,
    )


def invalid_value(path: str, value: Any, supported: list[Any]) -> ProtocolError:
    return ProtocolError(
        "invalid_value",
        f"Invalid value: {quote(value)}. Supported values are: {join_choices(supported)}.",
        path,
    )


def below_minimum(path: str, kind: str, minimum: Any, got: Any) -> ProtocolError:
    """Range wording follows the general OpenAI API pattern (not verified for Realtime)."""
    return ProtocolError(
        f"{kind}_below_min_value",
        f"Invalid '{path}': {kind} below minimum value. "
        f"Expected a value >= {minimum}, but got {got} instead.",
        path,
    )


def above_maximum(path: str, kind: str, maximum: Any, got: Any) -> ProtocolError:
    """Range wording follows the general OpenAI API pattern (not verified for Realtime)."""
    return ProtocolError(
        f"{kind}_above_max_value",
        f"Invalid '{path}': {kind} above maximum value. "
        f"Expected a value <= {maximum}, but got {got} instead.",
        path,
    )


def missing_event_type() -> ProtocolError:
    return ProtocolError("invalid_event", "The 'type' field is missing.", "type")


def invalid_json(detail: str) -> ProtocolError:
    """Wording for a frame that is not JSON (observed shape: ``invalid_json``)."""
    return ProtocolError(
        "invalid_json",
        f"We could not parse the JSON body of your request. ({detail}) "
        "Please make sure your request body is valid JSON.",
    )


def commit_too_small(buffered_ms: float) -> ProtocolError:
    return ProtocolError(
        "input_audio_buffer_commit_empty",
        "Error committing input audio buffer: buffer too small. Expected at least 100ms of "
        f"audio, but buffer only has {buffered_ms:.2f}ms of audio.",
    )


def active_response(response_id: str) -> ProtocolError:
    return ProtocolError(
        "conversation_already_has_active_response",
        f"Conversation already has an active response in progress: {response_id}. "
        "Wait until the response is finished before creating a new one.",
    )


def cancel_not_active() -> ProtocolError:
    return ProtocolError(
        "response_cancel_not_active", "Cancellation failed: no active response found"
    )


def session_expired(minutes: int = 60) -> ProtocolError:
    return ProtocolError(
        "session_expired", f"Your session hit the maximum duration of {minutes} minutes."
    )


def transcription_failed(item_id: str) -> ProtocolError:
    return ProtocolError(
        None, f"Input transcription failed for item '{item_id}'.", type=SERVER_ERROR
    )


def item_not_found(path: str, item_id: str) -> ProtocolError:
    """Wording for an unknown item id (observed shape, exact text not verified)."""
    return ProtocolError("item_not_found", f"Item with item_id not found: {item_id}", path)


def truncate_out_of_range(audio_end_ms: int, audio_ms: int) -> ProtocolError:
    """Wording for ``audio_end_ms`` past the item's audio (exact text not verified)."""
    return ProtocolError(
        "invalid_value",
        f"Audio content of {audio_ms}ms is already shorter than {audio_end_ms}ms",
        "audio_end_ms",
    )


def transcription_update_on_realtime() -> ProtocolError:
    return ProtocolError(
        "invalid_value",
        "Passing a transcription session update event to a realtime session is not allowed.",
        "session.type",
    )


def quote(value: Any) -> str:
    """Render a value the way the server quotes it in messages (strings in single quotes)."""
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def join_choices(values: list[Any]) -> str:
    """``'a', 'b', and 'c'`` / ``'a' and 'b'`` — the server's list style."""
    quoted = [quote(v) for v in values]
    if len(quoted) <= 1:
        return "".join(quoted)
    if len(quoted) == 2:
        return f"{quoted[0]} and {quoted[1]}"
    return ", ".join(quoted[:-1]) + f", and {quoted[-1]}"


# --- added for the local server (wording not observed from the real server; general pattern) ---


def realtime_update_on_transcription() -> ProtocolError:
    """Mirror of :func:`transcription_update_on_realtime` for the opposite mismatch."""
    return ProtocolError(
        "invalid_value",
        "Passing a realtime session update event to a transcription session is not allowed.",
        "session.type",
    )


def invalid_audio_base64() -> ProtocolError:
    return ProtocolError(
        "invalid_value",
        "Invalid 'audio': the value is not valid base64-encoded audio.",
        "audio",
    )


def duplicate_item_id(item_id: str) -> ProtocolError:
    return ProtocolError(
        "invalid_value", f"Item with id '{item_id}' already exists in the conversation.", "item.id"
    )


def truncate_not_audio(item_id: str) -> ProtocolError:
    return ProtocolError(
        "invalid_value",
        f"Only assistant messages with audio can be truncated; item '{item_id}' has no audio.",
        "item_id",
    )


def response_in_transcription_session() -> ProtocolError:
    return ProtocolError(
        "invalid_value",
        "Transcription sessions do not create responses; 'response.create' is not allowed.",
        "type",
    )


def cannot_update_voice() -> ProtocolError:
    """``session.update`` changing the voice after assistant audio went out.

    Unverified against the live API by this project: the code and wording are as quoted in a
    user's report (openai/openai-python#2607, ``param`` null there); the server sends it as an
    ``error`` event and leaves the session unchanged.
    """
    return ProtocolError(
        "cannot_update_voice",
        "Cannot update a conversation's voice if assistant audio is present.",
    )


def invalid_image_url(path: str) -> ProtocolError:
    """An ``input_image`` whose ``image_url`` is no base64 ``data:`` URL of an image type.

    The wording is the OpenAI API's for a bad image URL in other endpoints (chat completions,
    responses); the Realtime API's own was not observed by this project [unverified].
    """
    return ProtocolError(
        "invalid_value",
        f"Invalid '{path}'. Expected a base64-encoded data URL with an image MIME type (e.g. "
        "'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got a value with an invalid format.",
        path,
    )


def unsupported_image(path: str) -> ProtocolError:
    """An ``input_image`` whose bytes are not PNG, JPEG, GIF or WebP (the API's own wording for
    other endpoints, typo included; not observed on the Realtime API [unverified])."""
    return ProtocolError(
        "invalid_image_format",
        "You uploaded an unsupported image. Please make sure your image has of one the "
        "following formats: ['png', 'jpeg', 'gif', 'webp'].",
        path,
    )
