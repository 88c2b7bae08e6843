"""One Gemini Live server frame decoded into typed events, in the order a client acts on them.

A frame may carry several things (``serverContent`` with its ``usageMetadata``; a model turn
with audio parts and a transcription), so :func:`decode_server_frame` returns a list. Nothing
from the wire raises: a frame that is not JSON, or a field of the wrong kind, becomes
:class:`Malformed` with what was wrong; a message this version does not know becomes
:class:`Unknown`, so a newer service never breaks an older client.

Order within ``serverContent`` (decided; the service documents none): the user's transcript,
the model's parts, the model's transcript, then ``interrupted``, ``generationComplete`` and
``turnComplete`` — what was said before the turn closes; ``usageMetadata`` last.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from voicechat.protocol.gemini import names, spelling
from voicechat.protocol.gemini.audio import b64_length, parse_duration, parse_pcm_mime


@dataclass(frozen=True)
class SetupComplete:
    session_id: str | None = None


@dataclass(frozen=True)
class ModelAudio:
    """Base64 PCM of the model's speech (``modelTurn.parts[].inlineData``)."""

    data: str
    rate: int = names.OUTPUT_RATE

    @property
    def byte_count(self) -> int:
        return b64_length(self.data)


@dataclass(frozen=True)
class ModelText:
    """A text part of the model's turn (TEXT sessions; ``thought`` parts are thinking)."""

    text: str
    thought: bool = False


@dataclass(frozen=True)
class InputTranscript:
    """A fragment of what the user said: fragments concatenate verbatim."""

    text: str
    finished: bool = False


@dataclass(frozen=True)
class OutputTranscript:
    """A fragment of what the model said: fragments concatenate verbatim."""

    text: str
    finished: bool = False


@dataclass(frozen=True)
class Interrupted:
    """The user spoke over the model: flush playback (the server already stopped)."""


@dataclass(frozen=True)
class GenerationComplete:
    """The model finished generating this turn (its audio may still be playing)."""


@dataclass(frozen=True)
class TurnComplete:
    reason: str | None = None
    waiting_for_input: bool | None = None


@dataclass(frozen=True)
class FunctionCall:
    id: str
    name: str
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolCall:
    """Calls the model waits on: every ``id`` needs a function response."""

    calls: tuple[FunctionCall, ...]


@dataclass(frozen=True)
class ToolCallCancellation:
    """Calls the model no longer wants (the user interrupted): do not answer them."""

    ids: tuple[str, ...]


@dataclass(frozen=True)
class GoAway:
    """The connection closes soon: reconnect with the last handle within ``time_left_s``."""

    time_left_s: float | None
    time_left: str | None = None


@dataclass(frozen=True)
class ResumptionUpdate:
    new_handle: str | None
    resumable: bool
    last_consumed_client_message_index: int | None = None


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int | None
    response_tokens: int | None
    total_tokens: int | None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VoiceActivity:
    """SDK-only speech markers (``ACTIVITY_START``/``ACTIVITY_END``): treat as optional."""

    kind: str


@dataclass(frozen=True)
class Unknown:
    """A message key this version does not know."""

    key: str
    value: Any


@dataclass(frozen=True)
class Malformed:
    """A frame or field that could not be read, and why."""

    why: str


ServerEvent = (
    SetupComplete | ModelAudio | ModelText | InputTranscript | OutputTranscript | Interrupted
    | GenerationComplete | TurnComplete | ToolCall | ToolCallCancellation | GoAway
    | ResumptionUpdate | Usage | VoiceActivity | Unknown | Malformed
)


def decode_server_frame(frame: str | bytes | Mapping[str, Any]) -> list[ServerEvent]:
    """The events of one server frame (text, bytes — the SDK's ``recv(decode=False)`` — or
    parsed JSON)."""
    if isinstance(frame, (str, bytes)):
        try:
            frame = json.loads(frame)
        except (ValueError, UnicodeDecodeError) as exc:
            return [Malformed(f"not JSON: {exc}")]
    if not isinstance(frame, Mapping):
        return [Malformed("a server frame is a JSON object")]
    out: list[ServerEvent] = []
    usage: Any = None
    for raw_key, value in frame.items():
        key = spelling.camel(str(raw_key))
        if key == names.USAGE_METADATA:
            usage = value
            continue
        reader = _READERS.get(key)
        if reader is None:
            out.append(Unknown(key, value))
        elif not isinstance(value, Mapping):
            out.append(Malformed(f"{key} is not an object"))
        else:
            out.extend(reader(value))
    if usage is not None:
        out.append(_usage(usage))
    return out


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _setup_complete(body: Mapping[str, Any]) -> list[ServerEvent]:
    return [SetupComplete(_str(spelling.get(body, "sessionId")))]


def _transcript(body: Mapping[str, Any], key: str) -> tuple[str, bool] | Malformed | None:
    value = spelling.get(body, key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        return Malformed(f"serverContent.{key} is not an object")
    text = spelling.get(value, "text")
    if text is not None and not isinstance(text, str):
        return Malformed(f"serverContent.{key}.text is not a string")
    return text or "", spelling.get(value, "finished") is True


def _parts(turn: Any) -> list[ServerEvent]:
    if not isinstance(turn, Mapping):
        return [Malformed("serverContent.modelTurn is not an object")]
    parts = spelling.get(turn, "parts") or []
    if not isinstance(parts, list):
        return [Malformed("serverContent.modelTurn.parts is not an array")]
    out: list[ServerEvent] = []
    for part in parts:
        if not isinstance(part, Mapping):
            out.append(Malformed("a modelTurn part is not an object"))
            continue
        blob = spelling.get(part, "inlineData")
        if isinstance(blob, Mapping):
            data = spelling.get(blob, "data")
            fmt = parse_pcm_mime(spelling.get(blob, "mimeType"), names.OUTPUT_RATE)
            if not isinstance(data, str) or fmt is None:
                out.append(Malformed("modelTurn inlineData is not base64 audio/pcm"))
            else:
                out.append(ModelAudio(data, fmt.rate))
        text = spelling.get(part, "text")
        if isinstance(text, str):
            out.append(ModelText(text, spelling.get(part, "thought") is True))
    return out


def _server_content(body: Mapping[str, Any]) -> list[ServerEvent]:
    out: list[ServerEvent] = []
    heard = _transcript(body, names.INPUT_TRANSCRIPTION)
    if isinstance(heard, Malformed):
        out.append(heard)
    elif heard is not None:
        out.append(InputTranscript(*heard))
    if spelling.get(body, names.MODEL_TURN) is not None:
        out.extend(_parts(spelling.get(body, names.MODEL_TURN)))
    said = _transcript(body, names.OUTPUT_TRANSCRIPTION)
    if isinstance(said, Malformed):
        out.append(said)
    elif said is not None:
        out.append(OutputTranscript(*said))
    if spelling.get(body, names.INTERRUPTED) is True:
        out.append(Interrupted())
    if spelling.get(body, names.GENERATION_COMPLETE) is True:
        out.append(GenerationComplete())
    if spelling.get(body, names.TURN_COMPLETE) is True:
        waiting = spelling.get(body, "waitingForInput")
        out.append(TurnComplete(_str(spelling.get(body, "turnCompleteReason")),
                                waiting if isinstance(waiting, bool) else None))
    return out


def _tool_call(body: Mapping[str, Any]) -> list[ServerEvent]:
    calls = spelling.get(body, "functionCalls") or []
    if not isinstance(calls, list):
        return [Malformed("toolCall.functionCalls is not an array")]
    read: list[FunctionCall] = []
    for call in calls:
        if not isinstance(call, Mapping):
            return [Malformed("a function call is not an object")]
        call_id, name = _str(spelling.get(call, "id")), _str(spelling.get(call, "name"))
        args = spelling.get(call, "args") or {}
        if call_id is None or name is None or not isinstance(args, Mapping):
            return [Malformed("a function call lacks its id or name, or its args are not an "
                              "object")]
        read.append(FunctionCall(call_id, name, dict(args)))
    return [ToolCall(tuple(read))]


def _cancellation(body: Mapping[str, Any]) -> list[ServerEvent]:
    ids = spelling.get(body, "ids") or []
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        return [Malformed("toolCallCancellation.ids is not an array of strings")]
    return [ToolCallCancellation(tuple(ids))]


def _go_away(body: Mapping[str, Any]) -> list[ServerEvent]:
    left = _str(spelling.get(body, "timeLeft"))
    return [GoAway(parse_duration(left), left)]


def _resumption(body: Mapping[str, Any]) -> list[ServerEvent]:
    return [ResumptionUpdate(_str(spelling.get(body, "newHandle")),
                             spelling.get(body, "resumable") is True,
                             _int(spelling.get(body, "lastConsumedClientMessageIndex")))]


def _voice_activity(body: Mapping[str, Any]) -> list[ServerEvent]:
    kind = _str(spelling.get(body, "voiceActivityType")) or _str(
        spelling.get(body, "vadSignalType")) or "TYPE_UNSPECIFIED"
    return [VoiceActivity(kind)]


def _usage(body: Any) -> ServerEvent:
    if not isinstance(body, Mapping):
        return Malformed("usageMetadata is not an object")
    return Usage(_int(spelling.get(body, "promptTokenCount")),
                 _int(spelling.get(body, "responseTokenCount")),
                 _int(spelling.get(body, "totalTokenCount")), dict(body))


_READERS = {
    names.SETUP_COMPLETE: _setup_complete,
    names.SERVER_CONTENT: _server_content,
    names.TOOL_CALL: _tool_call,
    names.TOOL_CALL_CANCELLATION: _cancellation,
    names.GO_AWAY: _go_away,
    names.SESSION_RESUMPTION_UPDATE: _resumption,
    names.VOICE_ACTIVITY: _voice_activity,
    names.VOICE_ACTIVITY_DETECTION_SIGNAL: _voice_activity,
}
