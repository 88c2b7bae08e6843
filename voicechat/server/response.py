"""One response's state and its event sequence, as plain calls (no asyncio).

A response always emits the same well-formed sequence as the real server
(``docs/reference-notes.md``, "Event ordering"): ``response.created`` and
``rate_limits.updated``; the output item and its content part; deltas; and on every ending —
completed, cancelled (``client_cancelled``, ``turn_detected``) or failed — every part it opened is
closed before ``response.done``. Out-of-band responses (``conversation: "none"``) add nothing to the
conversation. The asyncio side (tasks, pacing, synthesis off the loop) is
:mod:`voicechat.server.response_runner`; keeping the sequence here makes it testable by calling the
steps in order (``tests/server/test_response.py``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from voicechat.protocol.dialect import Dialect
from voicechat.server import sessions
from voicechat.server.conversation import Conversation
from voicechat.server.ids import new_id, obfuscation
from voicechat.server.rate_limits import estimate_tokens, reported

JSON = dict[str, Any]
Emit = Callable[[JSON], None]
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")
#: samples per second of the synthesised voice (pcm16 24 kHz, the API's audio unit)
VOICE_RATE = 24000
#: Output audio is billed at about one token per 50 ms of speech (a real GA ``response.done``:
#: 147 audio tokens for a seven-second answer).
AUDIO_OUT_TOKENS_PER_S = 20


def usage(run: ResponseRun) -> JSON:
    """A complete ``response.done`` usage object, every field the real service sends.

    Shape from real GA logs (``cached_tokens_details`` and ``image_tokens`` included) and the
    SDK's ``RealtimeResponseUsage``; beta peers get the same object (their SDK model declares a
    subset and the real beta service sent the rest too). Input tokens are the usual ~4
    characters per token of the context's text; output text tokens likewise, and output audio
    tokens follow the seconds spoken. Nothing is cached locally, so cached counts are 0.
    """
    text_out = math.ceil(len(run.text) / 4)
    audio_out = run.audio_samples * AUDIO_OUT_TOKENS_PER_S // VOICE_RATE
    inp = run.input_tokens
    return {
        "total_tokens": inp + text_out + audio_out,
        "input_tokens": inp,
        "output_tokens": text_out + audio_out,
        "input_token_details": {
            "text_tokens": inp,
            "audio_tokens": 0,
            "image_tokens": 0,
            "cached_tokens": 0,
            "cached_tokens_details": {"text_tokens": 0, "audio_tokens": 0, "image_tokens": 0},
        },
        "output_token_details": {"text_tokens": text_out, "audio_tokens": audio_out},
    }


def split_sentences(pending: str) -> tuple[list[str], str]:
    """Complete sentences in ``pending`` and the unfinished rest (spoken once it completes)."""
    parts = _SENTENCE_END.split(pending)
    return parts[:-1], parts[-1]


@dataclass
class ResponseRun:
    """One response in flight."""

    id: str
    modalities: list[str]
    fmt: Mapping[str, Any]
    voice: Any
    in_conversation: bool
    metadata: Any
    instructions: str
    max_output_tokens: Any
    #: ``response.input`` resolved to items: a fresh context instead of the conversation
    input_items: list[JSON] | None = None
    input_tokens: int = 0
    item_id: str = field(default_factory=lambda: new_id("item"))
    text: str = ""
    audio_samples: int = 0
    item_added: bool = False
    part_added: bool = False
    cancel_reason: str | None = None

    @property
    def audio(self) -> bool:
        return "audio" in self.modalities

    @property
    def where(self) -> JSON:
        """The address fields every delta and part event of this response carries."""
        return {
            "response_id": self.id,
            "item_id": self.item_id,
            "output_index": 0,
            "content_index": 0,
        }

    def item_object(self, status: str) -> JSON:
        content: list[JSON] = []
        if self.part_added:
            content.append(
                {"type": "output_audio", "transcript": self.text}
                if self.audio
                else {"type": "output_text", "text": self.text}
            )
        return {
            "id": self.item_id,
            "type": "message",
            "object": "realtime.item",
            "status": status,
            "role": "assistant",
            "content": content,
        }


def new_run(
    params: Mapping[str, Any],
    session: sessions.SessionState,
    conversation: Conversation,
    input_items: list[JSON] | None = None,
) -> ResponseRun:
    """A response for ``response.create`` parameters over the session's defaults."""
    current = session.current
    out_section = session.output
    audio_params = params.get("audio") if isinstance(params.get("audio"), Mapping) else {}
    assert isinstance(audio_params, Mapping)
    out_params = (
        audio_params.get("output") if isinstance(audio_params.get("output"), Mapping) else {}
    )
    assert isinstance(out_params, Mapping)
    modalities = params.get("output_modalities") or current.get("output_modalities")
    run = ResponseRun(
        id=new_id("resp"),
        modalities=list(modalities or ["audio"]),
        fmt=out_params.get("format") or out_section.get("format") or sessions.PCM24,
        voice=out_params.get("voice") or out_section.get("voice", "alloy"),
        in_conversation=params.get("conversation", "auto") != "none",
        metadata=params.get("metadata"),
        instructions=str(params.get("instructions") or current.get("instructions") or ""),
        max_output_tokens=params.get("max_output_tokens", current.get("max_output_tokens")),
        input_items=input_items,
    )
    history = conversation.history(current.get("instructions"), input_items)
    run.input_tokens = estimate_tokens([run.instructions] + [m["content"] for m in history])
    return run


class ResponseEvents:
    """Emits a response's events and keeps the conversation in step with them.

    Events are canonical (GA); ``dialect`` only decides what the real service puts in them
    differently per dialect (``rate_limits.updated``'s entries).
    """

    def __init__(
        self, emit: Emit, conversation: Conversation, dialect: Dialect = Dialect.GA
    ) -> None:
        self._emit = emit
        self._conversation = conversation
        self._dialect = dialect

    def response_object(
        self, run: ResponseRun, status: str, details: Any, output: list[JSON]
    ) -> JSON:
        return {
            "id": run.id,
            "object": "realtime.response",
            "status": status,
            "status_details": details,
            "output": output,
            "conversation_id": self._conversation.id if run.in_conversation else None,
            "output_modalities": run.modalities,
            "audio": {"output": {"format": dict(run.fmt), "voice": run.voice}},
            "max_output_tokens": run.max_output_tokens,
            "usage": None if status == "in_progress" else usage(run),
            "metadata": run.metadata,
        }

    def created(self, run: ResponseRun, rate_limits: list[JSON]) -> None:
        """``response.created``, then the limits the real server books every response against."""
        self._emit(
            {
                "type": "response.created",
                "response": self.response_object(run, "in_progress", None, []),
            }
        )
        shown = reported(rate_limits, self._dialect)
        self._emit({"type": "rate_limits.updated", "rate_limits": shown})

    def opened(self, run: ResponseRun) -> None:
        """The output item (also in the conversation) and its one content part."""
        item = run.item_object("in_progress")
        self._emit(
            {
                "type": "response.output_item.added",
                "response_id": run.id,
                "output_index": 0,
                "item": item,
            }
        )
        if run.in_conversation:
            self._conversation.begin_response_item(item)
        run.item_added = True
        part = {"type": "audio", "transcript": ""} if run.audio else {"type": "text", "text": ""}
        self._emit({"type": "response.content_part.added", **run.where, "part": part})
        run.part_added = True

    def delta(self, run: ResponseRun, delta: str) -> None:
        """Streamed text: the audio transcript for audio responses, output text otherwise."""
        run.text += delta
        kind = (
            "response.output_audio_transcript.delta" if run.audio else "response.output_text.delta"
        )
        self._emit({"type": kind, **run.where, "delta": delta, "obfuscation": obfuscation(delta)})

    def audio_written(self, run: ResponseRun, samples: int) -> None:
        """Spoken audio grows the item's length (the bound of a later truncate)."""
        run.audio_samples += samples
        self._conversation.set_audio_ms(run.item_id, run.audio_samples * 1000 // VOICE_RATE)

    def close_parts(self, run: ResponseRun, status: str) -> list[JSON]:
        """Close every part the response opened; returns the response's final output."""
        item_status = "completed" if status == "completed" else "incomplete"
        if run.part_added:
            where = run.where
            if run.audio:
                self._emit({"type": "response.output_audio.done", **where})
                self._emit(
                    {
                        "type": "response.output_audio_transcript.done",
                        **where,
                        "transcript": run.text,
                    }
                )
                part: JSON = {"type": "audio", "transcript": run.text}
            else:
                self._emit({"type": "response.output_text.done", **where, "text": run.text})
                part = {"type": "text", "text": run.text}
            self._emit({"type": "response.content_part.done", **where, "part": part})
        output: list[JSON] = []
        if run.item_added:
            item = run.item_object(item_status)
            output.append(item)
            self._emit(
                {
                    "type": "response.output_item.done",
                    "response_id": run.id,
                    "output_index": 0,
                    "item": item,
                }
            )
            if run.in_conversation:
                self._conversation.finish_response_item(item)
        return output

    def done(self, run: ResponseRun, status: str, details: Any, output: list[JSON]) -> None:
        """``response.done``: the last event of every response, whatever its ending."""
        self._emit(
            {
                "type": "response.done",
                "response": self.response_object(run, status, details, output),
            }
        )
