"""A Gemini Live refusal: the close code the service ends the connection with, and its reason.

Wording: where a real close was recorded the reason is that text (the ``mediaChunks`` one;
the deadline). Unknown fields and bad values use the protobuf JSON parser's wording that
Google's APIs answer malformed requests with ("Invalid JSON payload received. Unknown name
…"), [infer] for Live, where no one has quoted it. The rest is ours, marked [infer], written
to say what went wrong and how to fix it. A reason fits a close frame (123 bytes), so each is
short; ``param`` (the field's path) is for our own tools, never on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from voicechat.protocol.gemini import close_codes, names


def clip_reason(text: str) -> str:
    """``text`` cut to the 123 bytes a close frame's reason may hold (whole characters)."""
    data = text.encode("utf-8")
    if len(data) <= names.MAX_CLOSE_REASON_BYTES:
        return text
    cut = data[: names.MAX_CLOSE_REASON_BYTES - 3].decode("utf-8", "ignore")
    return cut + "..."


@dataclass(frozen=True)
class Refusal:
    """One refusal: the connection closes with ``code`` and ``reason``."""

    code: int
    reason: str
    #: the field at fault (``realtimeInput.audio.mimeType``), for messages of our own tools
    param: str | None = None

    @property
    def close_reason(self) -> str:
        """The reason as it goes in the close frame (at most 123 bytes)."""
        return clip_reason(self.reason)

    @property
    def meaning(self) -> close_codes.CloseCode:
        return close_codes.describe(self.code)


def _invalid(reason: str, param: str | None = None) -> Refusal:
    return Refusal(close_codes.INVALID_PAYLOAD, reason, param)


def not_json(detail: str) -> Refusal:
    return _invalid(f"Invalid JSON payload received. {detail}")


def not_an_object(got: str) -> Refusal:
    return _invalid(f"Invalid JSON payload received. Expected an object, got {got}.")


def unknown_name(name: str, at: str = "") -> Refusal:
    """A field the message type does not have (protobuf's wording)."""
    where = f" at '{at}'" if at else ""
    return _invalid(f'Invalid JSON payload received. Unknown name "{name}"{where}: Cannot find '
                    "field.", f"{at}.{name}" if at else name)


def wrong_type(path: str, expected: str, got: str) -> Refusal:
    return _invalid(f"Invalid value at '{path}': expected {expected}, got {got}.", path)


def invalid_value(path: str, value: Any, choices: tuple[str, ...] = ()) -> Refusal:
    shown = f'"{value}"' if isinstance(value, str) else str(value)
    tail = f" (one of {', '.join(choices)})" if choices else ""
    return _invalid(f"Invalid value at '{path}' ({shown}){tail}.", path)


def empty_message() -> Refusal:
    """[infer] A frame with no message in it (``{}``)."""
    return _invalid("Invalid request: send one of setup, clientContent, realtimeInput or "
                    "toolResponse.")


def several_messages(kinds: list[str]) -> Refusal:
    """[infer] Two messages in one frame: the protocol's message is a ``oneof``."""
    return _invalid(f"Invalid request: one message per frame, got {' and '.join(kinds)}.")


def setup_not_first(kind: str) -> Refusal:
    """[infer] The connection's first message is not ``setup``."""
    return _invalid(f"The first message must be 'setup' (got '{kind}'): send setup, wait for "
                    "setupComplete.", kind)


def second_setup() -> Refusal:
    """[infer] ``setup`` once per connection; the config cannot change (LiteLLM refuses it too:
    providers.md §2 "first message")."""
    return _invalid("setup was already sent: the config is fixed per connection; reconnect "
                    "(resuming by handle) to change it.", names.SETUP)


def media_chunks() -> Refusal:
    """The observed close (sokuji#150, mastra#18287): newer models refuse the legacy list."""
    return _invalid("realtime_input.media_chunks is deprecated. Use audio, video, or text "
                    "instead.", f"{names.REALTIME_INPUT}.{names.MEDIA_CHUNKS}")


def several_inputs(fields: list[str]) -> Refusal:
    """[infer] One realtime input at a time (the SDK refuses two in one call)."""
    return _invalid(f"realtimeInput takes one of audio, video, text, audioStreamEnd, "
                    f"activityStart, activityEnd; got {', '.join(fields)}.",
                    names.REALTIME_INPUT)


def activity_without_manual(marker: str) -> Refusal:
    """[infer] ``activityStart``/``activityEnd`` are for manual turns only (Google's docs: sent
    only with automatic activity detection disabled)."""
    return _invalid(f"{marker} needs realtimeInputConfig.automaticActivityDetection.disabled "
                    "in setup.", f"{names.REALTIME_INPUT}.{marker}")


def bad_mime(path: str, mime: Any) -> Refusal:
    """[infer] Audio that is not ``audio/pcm`` with a usable ``rate``."""
    return _invalid(f"Unsupported audio mimeType {mime!r}: send 16-bit PCM as "
                    f"'{names.INPUT_MIME}'.", path)


def bad_base64(path: str) -> Refusal:
    return _invalid(f"Invalid value at '{path}': expected base64 bytes.", path)


def odd_pcm(path: str) -> Refusal:
    """[infer] 16-bit PCM must be whole samples."""
    return _invalid(f"Invalid audio at '{path}': 16-bit PCM needs an even number of bytes.",
                    path)


def missing(path: str) -> Refusal:
    return _invalid(f"Missing required field '{path}'.", path)


def unknown_call(call_id: str) -> Refusal:
    """[infer] A function response naming no pending call."""
    return _invalid(f"toolResponse: no pending function call with id '{call_id}'.",
                    f"{names.TOOL_RESPONSE}.functionResponses.id")


def unsupported(what: str, why: str) -> Refusal:
    """A known message or setting this endpoint does not serve (1008: not supported)."""
    return Refusal(close_codes.POLICY_VIOLATION, f"{what} is not supported here: {why}", what)


def credential(why: str) -> Refusal:
    """[infer] A key or token the endpoint does not accept (Google answers the upgrade with an
    HTTP error for a bad key; over an open socket the local peer closes 1008)."""
    return Refusal(close_codes.POLICY_VIOLATION, why)


def internal(detail: str) -> Refusal:
    """The model failed mid-turn (the local responder's error): 1011, as the service's own
    failures close."""
    return Refusal(close_codes.INTERNAL_ERROR, f"Internal error: {detail}")


def deadline_expired() -> Refusal:
    """The end of a connection's life (after ``goAway``): observed wording, 1011."""
    return Refusal(close_codes.INTERNAL_ERROR, close_codes.DEADLINE_EXPIRED)


def cannot_resume() -> Refusal:
    """A resumption handle the service does not know or that expired: 1007 (a forum report
    saw resumption fail 1007, providers.md §2 "limits"); the wording is ours."""
    return _invalid("Session resumption failed: the handle is unknown or expired; start a new "
                    "session (omit sessionResumption.handle).", "setup.sessionResumption.handle")
