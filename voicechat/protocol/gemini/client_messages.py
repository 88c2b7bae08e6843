"""Builders of the client's messages, in the camelCase spelling Google's docs use.

For the client family (and tests): each returns one frame's JSON object, valid by
:func:`~voicechat.protocol.gemini.validation.validate_client_message`. Audio goes in as base64
16-bit PCM; saying its rate is the caller's job (16 kHz is native).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from voicechat.protocol.gemini import names
from voicechat.protocol.gemini.audio import pcm_mime

JSON = dict[str, Any]


def setup(
    model: str = names.DEFAULT_MODEL,
    *,
    voice: str | None = None,
    instructions: str | None = None,
    modality: str = "AUDIO",
    transcribe: bool = True,
    tools: Sequence[Mapping[str, Any]] = (),
    resume_handle: str | None = None,
    resumable: bool = True,
    manual_activity: bool = False,
    interruptible: bool = True,
    compression: bool = False,
) -> JSON:
    """The first message: the connection's whole config.

    ``resumable`` asks for ``sessionResumptionUpdate`` handles (``sessionResumption: {}``);
    ``resume_handle`` continues an earlier session. ``manual_activity`` turns the service's
    VAD off, so turns are ``activityStart``/``activityEnd`` (push-to-talk);
    ``interruptible=False`` asks that the user's speech never cut the model off. ``compression``
    turns on context window compression with the service's default sliding window
    (``contextWindowCompression: {slidingWindow: {}}``): without it an audio session stops at
    about 15 minutes of context, resumption or not (providers.md §2 "limits").
    """
    body: JSON = {"model": names.model_name(model),
                  "generationConfig": {"responseModalities": [modality]}}
    if voice is not None:
        body["generationConfig"]["speechConfig"] = {
            "voiceConfig": {"prebuiltVoiceConfig": {"voiceName": voice}}}
    if instructions:
        body["systemInstruction"] = {"parts": [{"text": instructions}]}
    if tools:
        body["tools"] = [{"functionDeclarations": [dict(t) for t in tools]}]
    if transcribe:
        body["inputAudioTranscription"] = {}
        body["outputAudioTranscription"] = {}
    if resumable or resume_handle is not None:
        body["sessionResumption"] = {"handle": resume_handle} if resume_handle else {}
    if compression:
        body["contextWindowCompression"] = {"slidingWindow": {}}
    realtime: JSON = {}
    if manual_activity:
        realtime["automaticActivityDetection"] = {"disabled": True}
    if not interruptible:
        realtime["activityHandling"] = names.NO_INTERRUPTION
    if realtime:
        body["realtimeInputConfig"] = realtime
    return {names.SETUP: body}


def audio(data_b64: str, rate: int = names.INPUT_RATE) -> JSON:
    """One chunk of mic audio (base64 16-bit little-endian mono PCM)."""
    return {names.REALTIME_INPUT: {names.AUDIO: {"data": data_b64, "mimeType": pcm_mime(rate)}}}


def audio_stream_end() -> JSON:
    """The mic paused (for a second or more): the service flushes what it holds."""
    return {names.REALTIME_INPUT: {names.AUDIO_STREAM_END: True}}


def activity_start() -> JSON:
    return {names.REALTIME_INPUT: {names.ACTIVITY_START: {}}}


def activity_end() -> JSON:
    return {names.REALTIME_INPUT: {names.ACTIVITY_END: {}}}


def realtime_text(text: str) -> JSON:
    """Text into the realtime stream (the model treats it like speech)."""
    return {names.REALTIME_INPUT: {names.TEXT: text}}


def user_turn(text: str, *, turn_complete: bool = True) -> JSON:
    """A typed turn (or, with ``turn_complete=False``, history seeded ahead of one)."""
    return {names.CLIENT_CONTENT: {"turns": [{"role": "user", "parts": [{"text": text}]}],
                                   "turnComplete": turn_complete}}


def user_turn_with_image(mime_type: str, data_b64: str, text: str = "") -> JSON:
    """A typed turn carrying a picture as inline data (``image/png``, ``image/jpeg``…), with
    the user's words after it if any: one complete turn the model answers. Decided over
    ``realtimeInput.video``, which is a frame of a live stream with no turn of its own."""
    parts: list[JSON] = [{"inlineData": {"mimeType": mime_type, "data": data_b64}}]
    if text.strip():
        parts.append({"text": text})
    return {names.CLIENT_CONTENT: {"turns": [{"role": "user", "parts": parts}],
                                   "turnComplete": True}}


def history(turns: Sequence[tuple[str, str]], *, turn_complete: bool = False) -> JSON:
    """Earlier turns as ``(role, text)`` (``user``/``model``), seeded without a reply."""
    return {names.CLIENT_CONTENT: {
        "turns": [{"role": role, "parts": [{"text": text}]} for role, text in turns],
        "turnComplete": turn_complete}}


def tool_response(responses: Sequence[tuple[str, str, Mapping[str, Any]]]) -> JSON:
    """Answers as ``(id, name, response)``; every call of a ``toolCall`` needs one."""
    return {names.TOOL_RESPONSE: {"functionResponses": [
        {"id": call_id, "name": name, "response": dict(response)}
        for call_id, name, response in responses]}}
