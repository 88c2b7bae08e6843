"""Input transcription events: what a recognised (or failed) user item sends, as plain calls.

The recogniser runs in :mod:`voicechat.server.input_driver` (off the event loop); this module
holds the protocol side: the ``conversation.item.input_audio_transcription.*`` events when the
session asked for transcription, the item's transcript, and what the responder hears when the
transcription model fails (the real model still hears the audio).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import Any

from voicechat.protocol import errors
from voicechat.server.conversation import Conversation
from voicechat.server.ids import obfuscation
from voicechat.server.sessions import SessionState

log = logging.getLogger("voicechat.server")

JSON = dict[str, Any]
Emit = Callable[[JSON], None]


def serves_transcription_model(model: str | None) -> bool:
    """Whether this server transcribes for ``model`` (one local recogniser serves them all).

    The validator accepts any string (Azure uses deployment names), so a name nothing serves
    only shows up when audio arrives: Azure then answers every item with
    ``conversation.item.input_audio_transcription.failed`` (openai-agents-js#297), and so does
    this server. Served: OpenAI's transcription models and any name mentioning ``transcribe`` or
    ``whisper`` (``whisper-1``, ``gpt-4o-mini-transcribe``, ``gpt-realtime-whisper``, an Azure
    deployment ``my-gpt-4o-transcribe``).
    """
    if model is None:
        return True
    name = model.lower()
    return "transcribe" in name or "whisper" in name


#: Input audio is billed at about one token per 100 ms (a real GA transcription: 1.63 s of
#: speech, 16 audio tokens).
AUDIO_IN_TOKENS_PER_S = 10


def bills_by_duration(model: str | None) -> bool:
    """``whisper-1`` is billed by the second; the gpt-4o-*-transcribe models by tokens.

    Real GA recordings show ``{"type": "tokens", ...}`` for ``gpt-4o-mini-transcribe`` and the
    SDK's completed event declares both usage shapes. Azure deployments named after whisper
    count as whisper; the default (no model named) is ``gpt-4o-transcribe``'s.
    """
    if model is None:
        return False
    name = model.lower()
    return "whisper" in name and "transcribe" not in name and "realtime" not in name


def transcription_usage(model: str | None, text: str, seconds: float) -> JSON:
    """The ``usage`` of ``conversation.item.input_audio_transcription.completed``."""
    if bills_by_duration(model):
        return {"type": "duration", "seconds": round(seconds, 3)}
    audio = max(1, round(seconds * AUDIO_IN_TOKENS_PER_S))
    output = math.ceil(len(text) / 4)
    return {
        "type": "tokens",
        "total_tokens": audio + output,
        "input_tokens": audio,
        "input_token_details": {"text_tokens": 0, "audio_tokens": audio},
        "output_tokens": output,
    }


class TranscriptionEvents:
    """Turns a recogniser's result for one user item into the session's events."""

    def __init__(self, session: SessionState, conversation: Conversation, emit: Emit) -> None:
        self._session = session
        self._conversation = conversation
        self._emit = emit

    @property
    def enabled(self) -> bool:
        return self._session.input.get("transcription") is not None

    @property
    def model(self) -> str | None:
        transcription = self._session.input.get("transcription")
        model = transcription.get("model") if isinstance(transcription, Mapping) else None
        return model if isinstance(model, str) else None

    def recognised(self, item_id: str, text: str, seconds: float) -> str:
        """The recogniser heard ``text``; returns what the responder hears of the item."""
        model = self.model
        if self.enabled and not serves_transcription_model(model):
            log.warning(
                "input transcription failed for %s: no transcription model %r here; this "
                "server answers to OpenAI's names (whisper-1, gpt-4o-transcribe, ...) and "
                "Azure deployment names that contain 'transcribe' or 'whisper'",
                item_id,
                model,
            )
            self.failed(item_id)
            self._conversation.set_heard(item_id, text)
            return text
        self._conversation.set_transcript(item_id, text)
        if self.enabled:
            if text:
                self._emit(
                    {
                        "type": "conversation.item.input_audio_transcription.delta",
                        "item_id": item_id,
                        "content_index": 0,
                        "delta": text,
                        "obfuscation": obfuscation(text),
                    }
                )
            self._emit(
                {
                    "type": "conversation.item.input_audio_transcription.completed",
                    "item_id": item_id,
                    "content_index": 0,
                    "transcript": text,
                    "usage": transcription_usage(model, text, seconds),
                }
            )
        return text

    def recogniser_failed(self, item_id: str, exc: BaseException) -> str:
        """A broken recogniser must not break the session: report the item failed, go on."""
        log.warning("input transcription failed for %s: %s", item_id, exc)
        self.failed(item_id)
        return ""

    def failed(self, item_id: str) -> None:
        """``…input_audio_transcription.failed`` in the real wording; the item keeps
        ``transcript: null`` and the session goes on."""
        if not self.enabled:
            return
        err = errors.transcription_failed(item_id)
        self._emit(
            {
                "type": "conversation.item.input_audio_transcription.failed",
                "item_id": item_id,
                "content_index": 0,
                "error": {
                    "type": err.type,
                    "code": err.code,
                    "message": err.message,
                    "param": err.param,
                },
            }
        )
