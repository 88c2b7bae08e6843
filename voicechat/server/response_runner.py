"""Generating responses: the asyncio side of :mod:`voicechat.server.response`.

The runner owns the tasks: one per response, the conversation's active one plus any out-of-band
ones (``conversation: "none"``), which run beside it and can be cancelled by id. It builds the
response's tool offer (:func:`~voicechat.server.tools.tool_offer`, then each of
:attr:`ResponseRunner.tool_sources`), streams the responder's text as deltas, paced like a
model streaming tokens, speaks it sentence by sentence (synthesis off the event loop) through
the session's :class:`AudioSink`, hands each tool call to the first of
:attr:`ResponseRunner.producers` that takes it (after the spoken preamble is finished), and on
cancel or barge-in cuts playback and truncates the item to what was heard. Which event goes out
when is decided by :class:`ResponseEvents`; this module only decides when to call it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from voicechat.protocol.dialect import Dialect
from voicechat.server.audio_out import AudioSink
from voicechat.server.conversation import Conversation
from voicechat.server.item_producers import (
    FunctionCallProducer,
    ItemProducer,
    ProduceContext,
    pick,
)
from voicechat.server.options import EngineOptions
from voicechat.server.rate_limits import RateLimits
from voicechat.server.response import (
    VOICE_RATE,
    ResponseEvents,
    ResponseRun,
    new_run,
    split_sentences,
)
from voicechat.server.sessions import SessionState
from voicechat.server.tools import new_call_id, tool_offer
from voicechat.server.voice.reply import ResponderError
from voicechat.server.voice.tools import ToolCall, ToolOffer
from voicechat.server.voicekit import VoiceKit

log = logging.getLogger("voicechat.server")

JSON = dict[str, Any]
Emit = Callable[[JSON], None]
#: adds the tools of one source (e.g. a hosted MCP server) to a response's offer
ToolSource = Callable[[ToolOffer, Mapping[str, Any]], ToolOffer]


class InputSide(Protocol):
    """What a response needs from the input side: the idle timer and pending transcripts."""

    def cancel_idle_timeout(self) -> None: ...

    def arm_idle_timeout(self, playback_s: float) -> None: ...

    async def transcript(self, item_id: str) -> str | None: ...


class ResponseRunner:
    """Starts, runs, cancels and interrupts the responses of one session."""

    def __init__(
        self,
        *,
        emit: Emit,
        session: SessionState,
        conversation: Conversation,
        sink: AudioSink,
        kit: VoiceKit,
        options: EngineOptions,
        rate_limits: RateLimits,
        input_side: InputSide,
        dialect: Dialect = Dialect.GA,
    ) -> None:
        self._emit = emit
        self._session = session
        self._conversation = conversation
        self._sink = sink
        self._kit = kit
        self._options = options
        self._rate_limits = rate_limits
        self._input = input_side
        self.events = ResponseEvents(emit, conversation, dialect)
        self.active: ResponseRun | None = None  # the conversation's response
        self.side: dict[str, ResponseRun] = {}  # out-of-band responses, by id
        self._tasks: dict[str, asyncio.Task[None]] = {}
        #: responses that ended with status failed (counted among the session's errors)
        self.failed = 0
        self._responder: Any = None
        self.last_audio_response: str | None = None
        self.audio_sent = False  # any assistant audio yet? (then the voice is fixed)
        self.started = 0
        self.closed = False
        #: who makes a call's output item, first match wins (hosted tools go before the
        #: function call producer, which takes any call)
        self.producers: list[ItemProducer] = [FunctionCallProducer()]
        #: extend each response's offer beyond the function tools of the session/response
        self.tool_sources: list[ToolSource] = []

    def offer_for(self, params: Mapping[str, Any]) -> ToolOffer:
        """The tools a response with ``params`` may call, built anew for each response."""
        offer = tool_offer(self._session.current, params)
        for source in self.tool_sources:
            offer = source(offer, params)
        return offer

    def start(
        self, params: Mapping[str, Any], input_items: list[JSON] | None = None
    ) -> ResponseRun:
        """Begin a response; ``input_items`` (from ``response.input``) replace the conversation
        as its context. Emits ``response.created`` then ``rate_limits.updated``."""
        offer = self.offer_for(params)
        run = new_run(params, self._session, self._conversation, input_items, offer)
        self.started += 1
        self._input.cancel_idle_timeout()
        if run.in_conversation:
            self.active = run
        # response.created goes out before anything else is handled, as the real server does
        self.events.created(run, self._rate_limits.charge(time.monotonic(), run.input_tokens))
        task = asyncio.ensure_future(self._run(run))
        self._tasks[run.id] = task
        task.add_done_callback(lambda _t: self._tasks.pop(run.id, None))
        if not run.in_conversation:
            self.side[run.id] = run
        return run

    def find(self, response_id: Any) -> ResponseRun | None:
        """The response ``response.cancel`` names (out-of-band ones by id), else the active one."""
        if isinstance(response_id, str) and response_id in self.side:
            return self.side[response_id]
        return self.active

    async def cancel(self, reason: str, run: ResponseRun | None = None) -> None:
        """Cancel ``run`` (default: the conversation's active response) and wait for its end."""
        run = run or self.active
        task = self._tasks.get(run.id) if run is not None else None
        if run is None or task is None:
            return
        run.cancel_reason = reason
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if not run.ended and not self.closed:
            # cancelled before its first step: the body of ``_run``, which ends it, never ran.
            # The VAD's speech_stopped (its turn's response started) and the next
            # speech_started (interrupt_response) came in one feed on a loaded machine, and
            # the response stayed active for good, without a response.done: every later turn
            # was skipped as "one already runs" (voicechat test timed out on a busy core)
            self._finish(run, "cancelled", {"type": "cancelled", "reason": reason})

    async def barge_in(self) -> None:
        """User speech while the assistant talks: cut playback (WebRTC) and the response."""
        cut = self._sink.clear() if self._sink.is_playing else None
        if cut is not None and cut.response_id:
            self._emit({"type": "output_audio_buffer.cleared", "response_id": cut.response_id})
        if self.active is not None:
            await self.cancel("turn_detected")
        if cut is not None:
            self._conversation.truncate_to_played(cut.item_id, cut.played_ms)

    def clear_output(self) -> None:
        """``output_audio_buffer.clear`` (WebRTC): drop unplayed audio, keep what was heard."""
        cut = self._sink.clear()
        self._conversation.truncate_to_played(cut.item_id, cut.played_ms)
        self._emit(
            {
                "type": "output_audio_buffer.cleared",
                "response_id": cut.response_id or self.last_audio_response,
            }
        )

    def stop(self) -> list[asyncio.Task[Any]]:
        """The session closes: no response finishes from now on; returns the tasks to end."""
        self.closed = True
        return list(self._tasks.values())

    # --- one response -------------------------------------------------------------------------

    async def _run(self, run: ResponseRun) -> None:
        status: str = "completed"
        details: Any = None
        try:
            await self._generate(run)
        except asyncio.CancelledError:
            status = "cancelled"
            details = {"type": "cancelled", "reason": run.cancel_reason or "client_cancelled"}
        except Exception as exc:
            # The responder's own failures (an unreachable or refusing chat: endpoint, a bad
            # script) say what is wrong and what to do: one line, no traceback. Anything else
            # is a bug of ours, and keeps its traceback.
            if isinstance(exc, ResponderError):
                log.error("response %s failed: %s", run.id, exc)
            else:
                log.exception("response generation failed")
            self.failed += 1
            status = "failed"
            details = {
                "type": "failed",
                "error": {"type": "server_error", "code": None, "message": str(exc)},
            }
        if self.closed:
            return
        self._finish(run, status, details)

    async def _generate(self, run: ResponseRun) -> None:
        user_text = await self._last_user_text(run.input_items)
        history = self._conversation.history(
            self._session.current.get("instructions"), run.input_items
        )
        if run.instructions and history and history[0]["role"] == "system":
            history[0]["content"] = run.instructions
        if self._responder is None:
            self._responder = self._kit.make_responder()
        pending = ""
        async for part in self._responder.reply(history, user_text, run.offer):
            if isinstance(part, ToolCall):
                if not run.offer.calls_allowed:  # tool_choice "none": the model cannot call
                    log.info("tool_choice is 'none': dropped a call to %r", part.name)
                    continue
                await self._finish_speech(run, pending)
                pending = ""
                await self._produce(run, part)
                continue
            if not part:
                continue
            self.events.delta(run, part)
            if run.audio:
                sentences, pending = split_sentences(pending + part)
                for sentence in sentences:
                    await self._speak(run, sentence)
            await self._pace()
        await self._finish_speech(run, pending)

    async def _pace(self) -> None:
        if self._options.text_delta_interval_s:
            await asyncio.sleep(self._options.text_delta_interval_s)

    async def _finish_speech(self, run: ResponseRun, pending: str) -> None:
        """Speak the unfinished sentence of the message being written."""
        if run.audio and run.message is not None and pending.strip():
            await self._speak(run, pending)

    async def _produce(self, run: ResponseRun, call: ToolCall) -> None:
        """One call's output item, made by the first producer that takes it."""
        call = ToolCall(call.name, call.arguments, call.call_id or new_call_id())
        ctx = ProduceContext(run=run, events=self.events, pace=self._pace)
        await pick(self.producers, call, ctx).produce(call, ctx)

    async def _speak(self, run: ResponseRun, text: str) -> None:
        message = run.message
        if not text.strip() or message is None:
            return
        loop = asyncio.get_running_loop()
        pcm = await loop.run_in_executor(None, self._kit.synthesize, text)
        if pcm.size == 0:
            return
        self.events.audio_written(run, message.id, int(pcm.size))
        self.last_audio_response = run.id
        self.audio_sent = True  # from now on the voice is fixed (``cannot_update_voice``)
        await self._sink.write(run.id, message.id, pcm, run.fmt, message.index)

    async def _last_user_text(self, items: list[JSON] | None) -> str:
        """The last user message of the context (waiting for its transcript if pending)."""
        item = self._conversation.last_user(items)
        if item is None:
            return ""
        heard = await self._input.transcript(item["id"])
        if heard is not None:
            return heard
        return self._conversation.text_of(item)

    def _finish(self, run: ResponseRun, status: str, details: Any) -> None:
        run.ended = True
        output = self.events.close_parts(run, status)
        if self.active is run:
            self.active = None
        self.side.pop(run.id, None)
        self.events.done(run, status, details, output)
        self._sink.response_finished(run.id)
        if status == "completed":
            self._input.arm_idle_timeout(run.audio_samples / VOICE_RATE)
