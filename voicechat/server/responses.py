"""Responses: the full server event sequence of one assistant turn, text or audio.

A response streams the responder's text as deltas (``response.output_text.delta`` or the audio
transcript), speaks it sentence by sentence through the session's :class:`AudioSink`, and always
closes every part it opened — also when cancelled (``client_cancelled``, ``turn_detected``) or
failed — so clients see the same well-formed sequence as from the real server
(``realtime-protocol.md`` §7.1, §7.4). Each ``response.created`` is followed by
``rate_limits.updated`` (:mod:`voicechat.server.rate_limits`). Out-of-band responses
(``conversation: "none"``) run beside the conversation's one, see only their ``input`` items when
given, add nothing to the conversation and can be cancelled by id. Mixed into
:class:`voicechat.server.engine.Engine`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from voicechat.server import sessions
from voicechat.server.audio_out import TrackSink
from voicechat.server.ids import new_id
from voicechat.server.rate_limits import RateLimits, estimate_tokens

if TYPE_CHECKING:
    from collections.abc import Callable

    from voicechat.server.audio_out import AudioSink
    from voicechat.server.engine import EngineOptions
    from voicechat.server.voicekit import VoiceKit

log = logging.getLogger("voicechat.server")

JSON = dict[str, Any]
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")


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
    task: asyncio.Task[None] | None = None

    @property
    def audio(self) -> bool:
        return "audio" in self.modalities


class ResponsesMixin:
    """Response generation for :class:`Engine` (uses its items, emit, sink, kit and options)."""

    # state owned by Engine
    items: list[JSON]
    session: JSON
    sink: AudioSink
    kit: VoiceKit
    options: EngineOptions
    response: ResponseRun | None
    side_responses: dict[str, ResponseRun]
    conversation_id: str
    counters: dict[str, int]
    closed: bool
    emit: Callable[[JSON], None]
    _audio_ms: dict[str, int]
    _transcripts: dict[str, asyncio.Task[str]]
    _heard: dict[str, str]
    _tasks: set[asyncio.Task[Any]]
    _responder: Any
    _last_audio_response: str | None
    audio_sent: bool
    rate_limits: RateLimits
    _find: Callable[[Any], int | None]
    _apply_truncate: Callable[[JSON, int, int], None]
    history: Callable[..., list[dict[str, str]]]
    _arm_idle_timeout: Callable[[float], None]
    _cancel_idle_timeout: Callable[[], None]

    def start_response(
        self, params: Mapping[str, Any], input_items: list[JSON] | None = None
    ) -> ResponseRun:
        """Begin a response; ``input_items`` (from ``response.input``) replace the conversation
        as its context. Emits ``response.created`` then ``rate_limits.updated``."""
        out_section = sessions.output_section(self.session)
        audio_params = params.get("audio") if isinstance(params.get("audio"), Mapping) else {}
        assert isinstance(audio_params, Mapping)
        out_params = (
            audio_params.get("output") if isinstance(audio_params.get("output"), Mapping) else {}
        )
        assert isinstance(out_params, Mapping)
        modalities = params.get("output_modalities") or self.session.get("output_modalities")
        run = ResponseRun(
            id=new_id("resp"),
            modalities=list(modalities or ["audio"]),
            fmt=out_params.get("format") or out_section.get("format") or sessions.PCM24,
            voice=out_params.get("voice") or out_section.get("voice", "alloy"),
            in_conversation=params.get("conversation", "auto") != "none",
            metadata=params.get("metadata"),
            instructions=str(params.get("instructions") or self.session.get("instructions") or ""),
            max_output_tokens=params.get(
                "max_output_tokens", self.session.get("max_output_tokens")
            ),
            input_items=input_items,
        )
        run.input_tokens = estimate_tokens(
            [run.instructions] + [m["content"] for m in self.history(input_items)]
        )
        self.counters["responses"] += 1
        self._cancel_idle_timeout()
        if run.in_conversation:
            self.response = run
        # response.created goes out before anything else is handled, as the real server does
        self.emit(
            {
                "type": "response.created",
                "response": self._response_object(run, "in_progress", None, []),
            }
        )
        # the real server books every response against the project's limits and says so
        self.emit(
            {
                "type": "rate_limits.updated",
                "rate_limits": self.rate_limits.charge(time.monotonic(), run.input_tokens),
            }
        )
        run.task = asyncio.ensure_future(self._run_response(run))
        if not run.in_conversation:
            self.side_responses[run.id] = run
            self._tasks.add(run.task)
            run.task.add_done_callback(self._tasks.discard)
        return run

    async def cancel_response(self, reason: str, run: ResponseRun | None = None) -> None:
        """Cancel ``run`` (default: the conversation's active response) and wait for its end."""
        run = run or self.response
        if run is None or run.task is None:
            return
        run.cancel_reason = reason
        run.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await run.task

    async def barge_in(self) -> None:
        """User speech while the assistant talks: cut playback (WebRTC) and the response."""
        cut = (
            self.sink.clear() if isinstance(self.sink, TrackSink) and self.sink.is_playing else None
        )
        if cut is not None and cut.response_id:
            self.emit({"type": "output_audio_buffer.cleared", "response_id": cut.response_id})
        if self.response is not None:
            await self.cancel_response("turn_detected")
        if cut is not None:
            self._truncate_after_cut(cut)

    def _truncate_after_cut(self, cut: Any) -> None:
        if cut.item_id is None or cut.played_ms is None:
            return
        index = self._find(cut.item_id)
        if index is None:
            return
        audio_ms = self._audio_ms.get(cut.item_id, 0)
        if cut.played_ms < audio_ms:
            self._apply_truncate(self.items[index], cut.played_ms, audio_ms)

    def _response_object(
        self, run: ResponseRun, status: str, details: Any, output: list[JSON]
    ) -> JSON:
        words = len(run.text.split())
        inp = run.input_tokens
        return {
            "id": run.id,
            "object": "realtime.response",
            "status": status,
            "status_details": details,
            "output": output,
            "conversation_id": self.conversation_id if run.in_conversation else None,
            "output_modalities": run.modalities,
            "audio": {"output": {"format": dict(run.fmt), "voice": run.voice}},
            "max_output_tokens": run.max_output_tokens,
            "usage": None
            if status == "in_progress"
            else {
                "total_tokens": words + inp,
                "input_tokens": inp,
                "output_tokens": words,
                "input_token_details": {"text_tokens": inp, "audio_tokens": 0, "cached_tokens": 0},
                "output_token_details": {
                    "text_tokens": words,
                    "audio_tokens": run.audio_samples // 480,
                },
            },
            "metadata": run.metadata,
        }

    def _item_object(self, run: ResponseRun, status: str) -> JSON:
        content: list[JSON] = []
        if run.part_added:
            content.append(
                {"type": "output_audio", "transcript": run.text}
                if run.audio
                else {"type": "output_text", "text": run.text}
            )
        return {
            "id": run.item_id,
            "type": "message",
            "object": "realtime.item",
            "status": status,
            "role": "assistant",
            "content": content,
        }

    async def _run_response(self, run: ResponseRun) -> None:
        status: str = "completed"
        details: Any = None
        try:
            await self._generate(run)
        except asyncio.CancelledError:
            status = "cancelled"
            details = {"type": "cancelled", "reason": run.cancel_reason or "client_cancelled"}
        except Exception as exc:
            log.exception("response generation failed")
            status = "failed"
            details = {
                "type": "failed",
                "error": {"type": "server_error", "code": None, "message": str(exc)},
            }
        if self.closed:
            return
        self._finish(run, status, details)

    async def _generate(self, run: ResponseRun) -> None:
        item = self._item_object(run, "in_progress")
        self.emit(
            {
                "type": "response.output_item.added",
                "response_id": run.id,
                "output_index": 0,
                "item": item,
            }
        )
        if run.in_conversation:
            previous = self.items[-1]["id"] if self.items else None
            self.items.append(copy.deepcopy(item))
            self.emit(
                {"type": "conversation.item.added", "previous_item_id": previous, "item": item}
            )
        run.item_added = True
        part = {"type": "audio", "transcript": ""} if run.audio else {"type": "text", "text": ""}
        self.emit({"type": "response.content_part.added", **self._where(run), "part": part})
        run.part_added = True
        user_text = await self._last_user_text(run.input_items)
        history = self.history(run.input_items)
        if run.instructions and history and history[0]["role"] == "system":
            history[0]["content"] = run.instructions
        if self._responder is None:
            self._responder = self.kit.make_responder()
        delta_type = (
            "response.output_audio_transcript.delta" if run.audio else "response.output_text.delta"
        )
        pending = ""
        async for delta in self._responder.reply(history, user_text):
            if not delta:
                continue
            run.text += delta
            self.emit({"type": delta_type, **self._where(run), "delta": delta})
            if run.audio:
                pending += delta
                parts = _SENTENCE_END.split(pending)
                for sentence in parts[:-1]:
                    await self._speak(run, sentence)
                pending = parts[-1]
            if self.options.text_delta_interval_s:
                await asyncio.sleep(self.options.text_delta_interval_s)
        if run.audio and pending.strip():
            await self._speak(run, pending)

    async def _speak(self, run: ResponseRun, text: str) -> None:
        if not text.strip():
            return
        loop = asyncio.get_running_loop()
        pcm = await loop.run_in_executor(None, self.kit.synthesize, text)
        if pcm.size == 0:
            return
        run.audio_samples += int(pcm.size)
        self._audio_ms[run.item_id] = run.audio_samples * 1000 // 24000
        self._last_audio_response = run.id
        self.audio_sent = True  # from now on the voice is fixed (``cannot_update_voice``)
        await self.sink.write(run.id, run.item_id, pcm, run.fmt)

    async def _last_user_text(self, items: list[JSON] | None = None) -> str:
        """The last user message of the context (waiting for its transcript if pending)."""
        for item in reversed(self.items if items is None else items):
            if item.get("role") != "user":
                continue
            task = self._transcripts.get(item["id"])
            if task is not None:
                with contextlib.suppress(Exception):
                    return await asyncio.shield(task)
            text = " ".join(t for t in (part_text(p) for p in item.get("content") or []) if t)
            return text or self._heard.get(item["id"], "")
        return ""

    def _where(self, run: ResponseRun) -> JSON:
        return {
            "response_id": run.id,
            "item_id": run.item_id,
            "output_index": 0,
            "content_index": 0,
        }

    def _finish(self, run: ResponseRun, status: str, details: Any) -> None:
        item_status = "completed" if status == "completed" else "incomplete"
        if run.part_added:
            where = self._where(run)
            if run.audio:
                self.emit({"type": "response.output_audio.done", **where})
                self.emit(
                    {
                        "type": "response.output_audio_transcript.done",
                        **where,
                        "transcript": run.text,
                    }
                )
                part: JSON = {"type": "audio", "transcript": run.text}
            else:
                self.emit({"type": "response.output_text.done", **where, "text": run.text})
                part = {"type": "text", "text": run.text}
            self.emit({"type": "response.content_part.done", **where, "part": part})
        output: list[JSON] = []
        if run.item_added:
            item = self._item_object(run, item_status)
            output.append(item)
            self.emit(
                {
                    "type": "response.output_item.done",
                    "response_id": run.id,
                    "output_index": 0,
                    "item": item,
                }
            )
            if run.in_conversation:
                index = self._find(run.item_id)
                if index is not None:
                    self.items[index] = copy.deepcopy(item)
                previous = self.items[index - 1]["id"] if index else None
                self.emit(
                    {"type": "conversation.item.done", "previous_item_id": previous, "item": item}
                )
        if self.response is run:
            self.response = None
        self.side_responses.pop(run.id, None)
        self.emit(
            {
                "type": "response.done",
                "response": self._response_object(run, status, details, output),
            }
        )
        self.sink.response_finished(run.id)
        if status == "completed":
            self._arm_idle_timeout(run.audio_samples / 24000)


def part_text(part: Any) -> str:
    if not isinstance(part, Mapping):
        return ""
    for key in ("text", "transcript"):
        value = part.get(key)
        if isinstance(value, str) and value:
            return value
    return ""
