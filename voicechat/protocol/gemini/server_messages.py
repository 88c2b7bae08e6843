"""Builders of the service's frames, in the camelCase spelling the service sends.

The local peer (:mod:`voicechat.server.gemini`) sends these; tests and the doctor's corpus can
build realistic logs from them. Each is one frame; the shapes follow the SDK's
``LiveServerMessage`` (google-genai 3.3.0), which the peer's tests check every frame against.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from voicechat.protocol.gemini import names
from voicechat.protocol.gemini.audio import format_duration, pcm_mime

JSON = dict[str, Any]


def setup_complete() -> JSON:
    return {names.SETUP_COMPLETE: {}}


def model_audio(data_b64: str, rate: int = names.OUTPUT_RATE) -> JSON:
    return {names.SERVER_CONTENT: {names.MODEL_TURN: {"parts": [
        {"inlineData": {"mimeType": pcm_mime(rate), "data": data_b64}}]}}}


def model_text(text: str) -> JSON:
    return {names.SERVER_CONTENT: {names.MODEL_TURN: {"parts": [{"text": text}]}}}


def input_transcription(text: str, *, finished: bool = False) -> JSON:
    body: JSON = {"text": text}
    if finished:
        body["finished"] = True
    return {names.SERVER_CONTENT: {names.INPUT_TRANSCRIPTION: body}}


def output_transcription(text: str, *, finished: bool = False) -> JSON:
    body: JSON = {"text": text}
    if finished:
        body["finished"] = True
    return {names.SERVER_CONTENT: {names.OUTPUT_TRANSCRIPTION: body}}


def generation_complete() -> JSON:
    return {names.SERVER_CONTENT: {names.GENERATION_COMPLETE: True}}


def turn_complete(usage: Mapping[str, Any] | None = None) -> JSON:
    frame: JSON = {names.SERVER_CONTENT: {names.TURN_COMPLETE: True}}
    if usage is not None:
        frame[names.USAGE_METADATA] = dict(usage)
    return frame


def interrupted() -> JSON:
    return {names.SERVER_CONTENT: {names.INTERRUPTED: True}}


def tool_call(calls: Sequence[tuple[str, str, Mapping[str, Any]]]) -> JSON:
    """Calls as ``(id, name, args)``."""
    return {names.TOOL_CALL: {"functionCalls": [
        {"id": call_id, "name": name, "args": dict(args)} for call_id, name, args in calls]}}


def tool_call_cancellation(ids: Sequence[str]) -> JSON:
    return {names.TOOL_CALL_CANCELLATION: {"ids": list(ids)}}


def go_away(time_left_s: float) -> JSON:
    return {names.GO_AWAY: {"timeLeft": format_duration(time_left_s)}}


def resumption_update(new_handle: str | None, *, resumable: bool = True,
                      last_consumed_index: int | None = None) -> JSON:
    """A handle to resume from; ``resumable: false`` (no handle) while a turn is mid-way."""
    body: JSON = {"resumable": resumable}
    if new_handle is not None:
        body["newHandle"] = new_handle
    if last_consumed_index is not None:
        body["lastConsumedClientMessageIndex"] = last_consumed_index
    return {names.SESSION_RESUMPTION_UPDATE: body}


def usage(prompt_tokens: int, response_tokens: int, *,
          prompt_details: Sequence[tuple[str, int]] = (),
          response_details: Sequence[tuple[str, int]] = ()) -> JSON:
    """``usageMetadata`` with per-modality details as ``(modality, tokens)``."""
    body: JSON = {"promptTokenCount": prompt_tokens, "responseTokenCount": response_tokens,
                  "totalTokenCount": prompt_tokens + response_tokens}
    if prompt_details:
        body["promptTokensDetails"] = [{"modality": m, "tokenCount": n}
                                       for m, n in prompt_details]
    if response_details:
        body["responseTokensDetails"] = [{"modality": m, "tokenCount": n}
                                         for m, n in response_details]
    return body
