"""A Gemini Live client message checked as the service checks it: the refusal or ``None``.

What is checked, in the order the service would meet it: the frame is one JSON object holding
exactly one message (``setup``, ``clientContent``, ``realtimeInput``, ``toolResponse``,
``contextUpdate``; either spelling, see :mod:`~voicechat.protocol.gemini.spelling`); ``setup``
first and only once; no unknown fields in the messages' own objects (protobuf refuses them);
the legacy ``mediaChunks`` (closed 1007 with Google's observed reason); one realtime input per
message; audio as base64 16-bit PCM under a usable ``audio/pcm;rate=N``; function responses
with their ``id`` and ``name``.

Decided where the service's behaviour is unknown or looser:

* a declared rate other than 16 kHz is *accepted* (Google resamples: "any sample rate can be
  sent"); :func:`audio_notes` says what it costs, for the doctor. Only a mime that is not PCM,
  or a rate outside 8–48 kHz, is refused (1007);
* a function response needs ``name`` as well as ``id`` (the SDK requires ``id``; Gemini 3.8
  treats an unnamed response as a failure: providers.md §2 "tools");
* free-form insides (``generationConfig``, tools' declarations, a response's ``response``) are
  the model's business: only their kind is checked.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from voicechat.protocol.gemini import errors, names, spelling
from voicechat.protocol.gemini.audio import PcmFormat, parse_pcm_mime
from voicechat.protocol.gemini.errors import Refusal

__all__ = [
    "ClientMessage",
    "audio_notes",
    "decode_audio",
    "parse_client_message",
    "validate_client_message",
]


@dataclass(frozen=True)
class ClientMessage:
    """One valid client message: its kind (camelCase key) and its body."""

    kind: str
    body: Mapping[str, Any]


def _kind_name(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "null" if value is None else type(value).__name__


def _closed(obj: Mapping[str, Any], fields: Sequence[str], at: str) -> Refusal | None:
    """Unknown keys (either spelling of a known one passes) and a key given twice."""
    twice = spelling.duplicated(obj)
    if twice is not None:
        return errors.invalid_value(f"{at}.{twice}", "given twice")
    for key in obj:
        if spelling.camel(str(key)) not in fields:
            return errors.unknown_name(str(key), spelling.snake(at))
    return None


def _object(value: Any, path: str) -> Refusal | None:
    return None if isinstance(value, Mapping) else errors.wrong_type(path, "an object",
                                                                    _kind_name(value))


def _string(value: Any, path: str) -> Refusal | None:
    return None if isinstance(value, str) else errors.wrong_type(path, "a string",
                                                                _kind_name(value))


def _boolean(value: Any, path: str) -> Refusal | None:
    return None if isinstance(value, bool) else errors.wrong_type(path, "a boolean",
                                                                 _kind_name(value))


def _array(value: Any, path: str) -> Refusal | None:
    return None if isinstance(value, list) else errors.wrong_type(path, "an array",
                                                                 _kind_name(value))


def parse_client_message(frame: Any, *, setup_done: bool) -> ClientMessage | Refusal:
    """The message in ``frame`` (parsed JSON), or the refusal the service closes with.

    ``setup_done``: whether this connection's ``setup`` was already accepted.
    """
    if not isinstance(frame, Mapping):
        return errors.not_an_object(_kind_name(frame))
    if spelling.duplicated(frame) is not None:
        return errors.several_messages([str(k) for k in frame])
    for key in frame:
        if spelling.camel(str(key)) not in names.CLIENT_MESSAGES:
            return errors.unknown_name(str(key))
    if not frame:
        return errors.empty_message()
    if len(frame) > 1:
        return errors.several_messages([spelling.camel(str(k)) for k in frame])
    raw_key, body = next(iter(frame.items()))
    kind = spelling.camel(str(raw_key))
    if not setup_done and kind != names.SETUP:
        return errors.setup_not_first(kind)
    if setup_done and kind == names.SETUP:
        return errors.second_setup()
    problem = _object(body, kind) or _CHECKS[kind](body)
    return problem if problem is not None else ClientMessage(kind, body)


def validate_client_message(frame: Any, *, setup_done: bool = True) -> Refusal | None:
    """The refusal for ``frame`` (parsed JSON), or ``None`` when the service would take it."""
    parsed = parse_client_message(frame, setup_done=setup_done)
    return parsed if isinstance(parsed, Refusal) else None


# --- setup ------------------------------------------------------------------------------------

def _setup(body: Mapping[str, Any]) -> Refusal | None:
    at = names.SETUP
    problem = _closed(body, names.SETUP_FIELDS, at)
    if problem is not None:
        return problem
    if not spelling.has(body, "model"):
        return errors.missing(f"{at}.model")
    problem = _string(spelling.get(body, "model"), f"{at}.model")
    if problem is not None:
        return problem
    for name in ("generationConfig", "systemInstruction", "sessionResumption",
                 "contextWindowCompression", "inputAudioTranscription",
                 "outputAudioTranscription", "realtimeInputConfig", "historyConfig",
                 "proactivity"):
        if spelling.get(body, name) is not None:
            problem = _object(spelling.get(body, name), f"{at}.{name}")
            if problem is not None:
                return problem
    tools = spelling.get(body, "tools")
    if tools is not None:
        problem = _array(tools, f"{at}.tools") or next(
            (p for i, t in enumerate(tools) if (p := _object(t, f"{at}.tools[{i}]"))), None)
        if problem is not None:
            return problem
    return _modalities(body) or _resumption(body)


def _modalities(body: Mapping[str, Any]) -> Refusal | None:
    config = spelling.get(body, "generationConfig") or {}
    modalities = spelling.get(config, "responseModalities")
    path = "setup.generationConfig.responseModalities"
    if modalities is None:
        return None
    problem = _array(modalities, path)
    if problem is not None:
        return problem
    for index, value in enumerate(modalities):
        if value not in names.MODALITIES:
            return errors.invalid_value(f"{path}[{index}]", value, names.MODALITIES)
    if len(modalities) > 1:  # one of AUDIO or TEXT per session (providers.md §2)
        return errors.invalid_value(path, "+".join(modalities), names.MODALITIES)
    return None


def _resumption(body: Mapping[str, Any]) -> Refusal | None:
    config = spelling.get(body, "sessionResumption")
    if config is None:
        return None
    problem = _closed(config, ("handle", "transparent"), "setup.sessionResumption")
    handle = spelling.get(config, "handle")
    if problem is None and handle is not None:
        problem = _string(handle, "setup.sessionResumption.handle")
    return problem


# --- realtimeInput ----------------------------------------------------------------------------

def _realtime_input(body: Mapping[str, Any]) -> Refusal | None:
    at = names.REALTIME_INPUT
    problem = _closed(body, names.REALTIME_INPUT_FIELDS, at)
    if problem is not None:
        return problem
    if spelling.has(body, names.MEDIA_CHUNKS):
        return errors.media_chunks()
    fields = [spelling.camel(str(k)) for k in body]
    if len(fields) > 1:
        return errors.several_inputs(fields)
    if not fields:
        return errors.several_inputs([])
    field = fields[0]
    value = spelling.get(body, field)
    path = f"{at}.{field}"
    if field == names.AUDIO:
        decoded = decode_audio(value, path)
        return decoded if isinstance(decoded, Refusal) else None
    if field == names.VIDEO:
        return _blob(value, path)
    if field == names.TEXT:
        return _string(value, path)
    if field == names.AUDIO_STREAM_END:
        return _boolean(value, path)
    problem = _object(value, path)  # activityStart / activityEnd: empty objects
    return problem or (_closed(value, (), path) if isinstance(value, Mapping) else None)


def _blob(value: Any, path: str) -> Refusal | None:
    problem = _object(value, path)
    if problem is not None:
        return problem
    problem = _closed(value, ("data", "mimeType", "displayName"), path)
    if problem is not None:
        return problem
    for name in ("data", "mimeType"):
        if not spelling.has(value, name):
            return errors.missing(f"{path}.{name}")
        problem = _string(spelling.get(value, name), f"{path}.{name}")
        if problem is not None:
            return problem
    return None


def decode_audio(blob: Any, path: str = "realtimeInput.audio") -> (
    tuple[bytes, PcmFormat] | Refusal
):
    """An audio Blob's PCM bytes and format, or the refusal (not base64, odd bytes, a mime
    that is not ``audio/pcm`` with a usable rate)."""
    problem = _blob(blob, path)
    if problem is not None:
        return problem
    fmt = parse_pcm_mime(spelling.get(blob, "mimeType"))
    if fmt is None:
        return errors.bad_mime(f"{path}.mimeType", spelling.get(blob, "mimeType"))
    try:
        data = binascii.a2b_base64(str(spelling.get(blob, "data")).encode("ascii"),
                                   strict_mode=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return errors.bad_base64(f"{path}.data")
    if len(data) % 2:
        return errors.odd_pcm(f"{path}.data")
    return data, fmt


def audio_notes(blob: Mapping[str, Any]) -> list[str]:
    """What a valid audio Blob costs, though the service takes it (for the doctor)."""
    fmt = parse_pcm_mime(spelling.get(blob, "mimeType"))
    if fmt is None:
        return []
    if not fmt.stated:
        return [f"the mimeType states no rate: the service reads it as {names.INPUT_RATE} Hz; "
                f"say '{names.INPUT_MIME}' so a 24 kHz mic is not played slow"]
    if fmt.rate != names.INPUT_RATE:
        return [f"audio declared at {fmt.rate} Hz: Gemini resamples it to its native "
                f"{names.INPUT_RATE} Hz (send 16 kHz to save the bandwidth and the step)"]
    return []


# --- clientContent ----------------------------------------------------------------------------

_PART_FIELDS = ("text", "inlineData", "fileData", "functionCall", "functionResponse",
                "thought", "thoughtSignature", "executableCode", "codeExecutionResult",
                "videoMetadata", "mediaResolution", "partMetadata")


def _content(value: Any, path: str) -> Refusal | None:
    problem = _object(value, path) or _closed(value, ("role", "parts"), path)
    if problem is not None:
        return problem
    role = spelling.get(value, "role")
    if role is not None and role not in ("user", "model"):
        return errors.invalid_value(f"{path}.role", role, ("user", "model"))
    parts = spelling.get(value, "parts")
    if parts is None:
        return None
    problem = _array(parts, f"{path}.parts")
    if problem is not None:
        return problem
    for index, part in enumerate(parts):
        where = f"{path}.parts[{index}]"
        problem = _object(part, where) or _closed(part, _PART_FIELDS, where)
        if problem is None and spelling.get(part, "text") is not None:
            problem = _string(spelling.get(part, "text"), f"{where}.text")
        if problem is not None:
            return problem
    return None


def _client_content(body: Mapping[str, Any]) -> Refusal | None:
    at = names.CLIENT_CONTENT
    problem = _closed(body, ("turns", "turnComplete"), at)
    if problem is not None:
        return problem
    complete = spelling.get(body, "turnComplete")
    if complete is not None and (problem := _boolean(complete, f"{at}.turnComplete")):
        return problem
    turns = spelling.get(body, "turns")
    if turns is None:
        return None
    problem = _array(turns, f"{at}.turns")
    if problem is not None:
        return problem
    return next((p for i, t in enumerate(turns) if (p := _content(t, f"{at}.turns[{i}]"))),
                None)


# --- toolResponse -----------------------------------------------------------------------------

_RESPONSE_FIELDS = ("id", "name", "response", "scheduling", "willContinue", "parts")


def _tool_response(body: Mapping[str, Any]) -> Refusal | None:
    at = names.TOOL_RESPONSE
    problem = _closed(body, ("functionResponses",), at)
    if problem is not None:
        return problem
    responses = spelling.get(body, "functionResponses")
    if responses is None:
        return errors.missing(f"{at}.functionResponses")
    problem = _array(responses, f"{at}.functionResponses")
    if problem is not None:
        return problem
    for index, response in enumerate(responses):
        where = f"{at}.functionResponses[{index}]"
        problem = _object(response, where) or _closed(response, _RESPONSE_FIELDS, where)
        if problem is not None:
            return problem
        for name in ("id", "name"):
            if spelling.get(response, name) is None:
                return errors.missing(f"{where}.{name}")
            problem = _string(spelling.get(response, name), f"{where}.{name}")
            if problem is not None:
                return problem
        if spelling.get(response, "response") is not None:
            problem = _object(spelling.get(response, "response"), f"{where}.response")
        scheduling = spelling.get(response, "scheduling")
        if problem is None and scheduling is not None and scheduling not in names.SCHEDULING:
            problem = errors.invalid_value(f"{where}.scheduling", scheduling, names.SCHEDULING)
        if problem is not None:
            return problem
    return None


def _context_update(body: Mapping[str, Any]) -> Refusal | None:
    return _closed(body, ("systemInstruction", "tools"), names.CONTEXT_UPDATE)


_CHECKS = {
    names.SETUP: _setup,
    names.REALTIME_INPUT: _realtime_input,
    names.CLIENT_CONTENT: _client_content,
    names.TOOL_RESPONSE: _tool_response,
    names.CONTEXT_UPDATE: _context_update,
}
