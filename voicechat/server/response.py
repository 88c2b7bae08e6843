"""One response's state and its event sequence, as plain calls (no asyncio).

A response always emits the same well-formed sequence as the real server
(``docs/reference-notes.md``, "Event ordering"; for calls ``realtime-tools.md`` §2):
``response.created`` and ``rate_limits.updated``; then its output items in order
(:mod:`voicechat.server.output_items`), each announced by ``response.output_item.added`` and
``conversation.item.added``, streamed (a message's content part and deltas, a call's argument
deltas) and closed (``….done``, ``response.output_item.done``, ``conversation.item.done``)
before the next one opens; and on every ending — completed, cancelled (``client_cancelled``,
``turn_detected``) or failed — every item it opened is closed before ``response.done``.
Out-of-band responses (``conversation: "none"``) add nothing to the conversation. The asyncio
side (tasks, pacing, synthesis off the loop) is :mod:`voicechat.server.response_runner`;
keeping the sequence here makes it testable by calling the steps in order
(``tests/server/test_response.py``).
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
from voicechat.server.history import message_chars
from voicechat.server.ids import new_id, obfuscation
from voicechat.server.output_items import FunctionCallItem, MessageItem, OutputItem
from voicechat.server.rate_limits import estimate_tokens, reported
from voicechat.server.voice.tools import NO_TOOLS, ToolOffer

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
    tokens follow the seconds spoken; a call's arguments count as output text. Nothing is
    cached locally, so cached counts are 0.
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
    """One response in flight: its parameters and its output items so far."""

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
    #: the tools this response may call (built per response by the runner)
    offer: ToolOffer = NO_TOOLS
    items: list[OutputItem] = field(default_factory=list)
    #: all text produced (messages, call names and arguments), for ``usage``
    text: str = ""
    audio_samples: int = 0
    cancel_reason: str | None = None
    #: its ``response.done`` has gone out
    ended: bool = False

    @property
    def audio(self) -> bool:
        return "audio" in self.modalities

    @property
    def message(self) -> MessageItem | None:
        """The message being written, if the last item is one and still open."""
        last = self.items[-1] if self.items else None
        return last if isinstance(last, MessageItem) and last.final is None else None


def new_run(
    params: Mapping[str, Any],
    session: sessions.SessionState,
    conversation: Conversation,
    input_items: list[JSON] | None = None,
    offer: ToolOffer = NO_TOOLS,
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
        offer=offer,
    )
    history = conversation.history(current.get("instructions"), input_items)
    run.input_tokens = estimate_tokens([run.instructions] + [message_chars(m) for m in history])
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

    def emit(self, event: JSON) -> None:
        """Send one event of a response (item producers use it for their own events)."""
        self._emit(event)

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

    # --- any item -------------------------------------------------------------------------

    def open_item(self, run: ResponseRun, item: OutputItem) -> None:
        """Announce a new output item: ``output_item.added``, and in the conversation
        ``conversation.item.added``. One item streams at a time, so whatever is still open
        (the preamble's message) is completed first."""
        for earlier in run.items:
            if earlier.final is None:
                self.close_item(run, earlier, "completed")
        run.items.append(item)
        obj = item.obj("in_progress")
        self._emit(
            {
                "type": "response.output_item.added",
                "response_id": run.id,
                "output_index": item.index,
                "item": obj,
            }
        )
        if run.in_conversation:
            self._conversation.begin_response_item(obj)

    def close_item(self, run: ResponseRun, item: OutputItem, status: str) -> None:
        """Close the item's parts, then ``output_item.done`` and ``conversation.item.done``."""
        for event in item.closing_events(run.id):
            self._emit(event)
        item.final = item.obj(status)
        self._emit(
            {
                "type": "response.output_item.done",
                "response_id": run.id,
                "output_index": item.index,
                "item": item.final,
            }
        )
        if run.in_conversation:
            self._conversation.finish_response_item(item.final)

    # --- messages ---------------------------------------------------------------------------

    def opened(self, run: ResponseRun) -> MessageItem:
        """A new message item (also in the conversation) and its one content part."""
        message = MessageItem(index=len(run.items), audio=run.audio)
        self.open_item(run, message)
        part = {"type": "audio", "transcript": ""} if run.audio else {"type": "text", "text": ""}
        self._emit({"type": "response.content_part.added", **message.where(run.id), "part": part})
        message.part_added = True
        return message

    def delta(self, run: ResponseRun, delta: str) -> None:
        """Streamed text: the audio transcript for audio responses, output text otherwise.
        The first text after a call (or of the response) opens a message."""
        message = run.message or self.opened(run)
        message.text += delta
        run.text += delta
        kind = (
            "response.output_audio_transcript.delta" if run.audio else "response.output_text.delta"
        )
        where = message.where(run.id)
        self._emit({"type": kind, **where, "delta": delta, "obfuscation": obfuscation(delta)})

    def audio_written(self, run: ResponseRun, item_id: str, samples: int) -> None:
        """Spoken audio grows the item's length (the bound of a later truncate)."""
        run.audio_samples += samples
        message = next((i for i in run.items if i.id == item_id), None)
        if isinstance(message, MessageItem):
            message.audio_samples += samples
            ms = message.audio_samples * 1000 // VOICE_RATE
            self._conversation.set_audio_ms(item_id, ms)

    # --- function calls ---------------------------------------------------------------------

    def open_function_call(self, run: ResponseRun, name: str, call_id: str) -> FunctionCallItem:
        """A ``function_call`` item, in progress with empty arguments."""
        call = FunctionCallItem(index=len(run.items), name=name, call_id=call_id)
        self.open_item(run, call)
        return call

    def arguments_delta(self, run: ResponseRun, call: FunctionCallItem, delta: str) -> None:
        call.arguments += delta
        run.text += delta
        self._emit(
            {
                "type": "response.function_call_arguments.delta",
                **call.where(run.id),
                "delta": delta,
            }
        )

    # --- the end ----------------------------------------------------------------------------

    def close_parts(self, run: ResponseRun, status: str) -> list[JSON]:
        """Close every item still open; returns the response's final output."""
        item_status = "completed" if status == "completed" else "incomplete"
        for item in run.items:
            if item.final is None:
                self.close_item(run, item, item_status)
        return [item.final for item in run.items if item.final is not None]

    def done(self, run: ResponseRun, status: str, details: Any, output: list[JSON]) -> None:
        """``response.done``: the last event of every response, whatever its ending."""
        self._emit(
            {
                "type": "response.done",
                "response": self.response_object(run, status, details, output),
            }
        )
