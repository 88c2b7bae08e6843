"""The model's turns: the responder's reply spoken, tool calls that block it, interruption.

A turn starts from the user's words (an utterance the recogniser heard, a ``clientContent``
turn, a ``realtimeInput.text``). The responder (``echo``, ``script:FILE``, ``chat:``) gets the
conversation as chat messages; its text is spoken sentence by sentence (a TEXT session gets
``modelTurn`` text parts instead). A :class:`~voicechat.server.voice.tools.ToolCall` it yields
ends its reply: the calls go out in one ``toolCall`` and the turn *blocks* until every id has
its ``functionResponses`` entry (Gemini's default ``behavior: BLOCKING``: unanswered, the model
stays silent), then the responder continues with the results in the history. The turn ends with
``generationComplete`` and ``turnComplete`` (with ``usageMetadata``).

The user speaking over the turn (confirmed speech, a new typed turn) interrupts it: the
speaking stops, ``interrupted`` goes out and closes the turn (no ``turnComplete`` follows:
decided, as pipecat and LiveKit close a turn on either), and calls still waiting for answers are
withdrawn with ``toolCallCancellation`` (and answered in the history as cancelled, so a chat
responder sees every call answered). An answer to a withdrawn call is ignored (the race is
the client's to lose, not an error); an answer to a call never made closes 1007.

A responder that fails (a ``chat:`` endpoint down) closes the connection 1011 with its message,
as the service's own failures do.

Usage (decided, [infer] for the figures): text tokens estimated at 4 characters a token, audio
at Gemini's documented 32 tokens a second, per modality in the details.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from voicechat.protocol.gemini import errors, server_messages
from voicechat.protocol.gemini.errors import Refusal
from voicechat.server.gemini.conversation import Conversation
from voicechat.server.gemini.output import AudioOut
from voicechat.server.live.speaker import Speaker
from voicechat.server.response import split_sentences
from voicechat.server.voice.reply import ResponderError
from voicechat.server.voice.tools import ToolCall

log = logging.getLogger("voicechat.server")
Send = Callable[[dict[str, Any]], None]

CHARS_PER_TOKEN = 4
AUDIO_TOKENS_PER_S = 32


def new_call_id() -> str:
    """Gemini's call ids look like ``function-call-`` and digits."""
    return f"function-call-{secrets.randbelow(10**19)}"


class Turns:
    """One connection's turns over a (possibly resumed) conversation."""

    def __init__(self, *, conversation: Conversation, speaker: Speaker, audio: AudioOut,
                 send: Send, text_mode: bool, heard_s: Callable[[], float],
                 on_turn_complete: Callable[[], None],
                 on_failure: Callable[[Refusal], None]) -> None:
        self.conversation = conversation
        self._speaker = speaker
        self._audio = audio
        self._send = send
        self._text_mode = text_mode
        self._heard_s = heard_s
        self._on_turn_complete = on_turn_complete
        self._on_failure = on_failure
        self._task: asyncio.Task[None] | None = None
        #: calls of the running turn waiting for their answers (id → name)
        self.pending: dict[str, str] = {}
        self._answers: dict[str, Any] = {}
        self._answered = asyncio.Event()
        self._withdrawn: set[str] = set()
        self._heard_at_start = 0.0
        self._sent_at_start = 0.0
        self.count = 0

    @property
    def active(self) -> bool:
        return self._task is not None and not self._task.done()

    # --- what starts and stops a turn -------------------------------------------------------

    async def user_said(self, text: str, *, interrupting: bool = True) -> None:
        """The user's words: answer them. A turn under way is interrupted first, or, with
        ``interrupting`` off (``activityHandling: NO_INTERRUPTION``), finished first."""
        if interrupting:
            await self.interrupt()
        elif self._task is not None and not self._task.done():
            await asyncio.wait({self._task})  # its end, whatever it is; our cancel still stops us
        if text:  # a clientContent turnComplete with no words of the user's asks for more
            self.conversation.history.append({"role": "user", "content": text})
        self._task = asyncio.ensure_future(self._run(text))
        self._task.add_done_callback(_log_failure)

    async def interrupt(self) -> bool:
        """Stop the turn under way (``interrupted``; waiting calls withdrawn)."""
        task = self._task
        if task is None or task.done():
            return False
        waiting = list(self.pending)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self._send(server_messages.interrupted())
        if waiting:
            self._withdrawn.update(waiting)
            self._send(server_messages.tool_call_cancellation(waiting))
            for call_id in waiting:  # every call in the history keeps its answer
                self.conversation.history.append({
                    "role": "tool", "tool_call_id": call_id,
                    "content": json.dumps({"error": "cancelled: the user interrupted"})})
        return True

    async def stop(self) -> None:
        """The connection ends: stop without a word (the conversation keeps what was said)."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def answer(self, responses: Sequence[Mapping[str, Any]]) -> Refusal | None:
        """``toolResponse.functionResponses`` (validated): each must answer a waiting call."""
        for response in responses:
            call_id = str(response.get("id"))
            if call_id in self._withdrawn:
                continue
            if call_id not in self.pending or call_id in self._answers:
                return errors.unknown_call(call_id)
            self._answers[call_id] = response.get("response") or {}
        if self.pending and all(c in self._answers for c in self.pending):
            self._answered.set()
        return None

    # --- the turn ---------------------------------------------------------------------------

    async def _run(self, user_text: str) -> None:
        self._heard_at_start = self._heard_s()
        self._sent_at_start = self._audio.sent_s
        said: list[str] = []
        try:
            text = user_text
            while True:
                calls = await self._reply(text, said)
                if not calls:
                    break
                await self._call_tools(calls)
                text = ""
            self._send(server_messages.generation_complete())
            self._send(server_messages.turn_complete(self._usage("".join(said))))
            self.count += 1
            self._on_turn_complete()
        except ResponderError as exc:
            self._on_failure(errors.internal(str(exc)))
        except Exception as exc:
            log.exception("a Gemini Live turn failed")
            self._on_failure(errors.internal(f"{type(exc).__name__}: {exc}"))
        finally:
            self.pending.clear()
            self._answers.clear()

    async def _reply(self, user_text: str, said: list[str]) -> list[ToolCall]:
        """Speak (or write) the responder's reply; return the calls it ended with."""
        conversation = self.conversation
        pending = ""
        calls: list[ToolCall] = []
        written: list[str] = []  # a TEXT session's words
        try:
            async for part in conversation.responder.reply(conversation.messages(), user_text,
                                                           conversation.offer):
                if isinstance(part, ToolCall):
                    calls.append(part)
                    continue
                if not part:
                    continue
                if self._text_mode:
                    written.append(part)
                    self._send(server_messages.model_text(part))
                    continue
                sentences, pending = split_sentences(pending + part)
                for sentence in sentences:
                    await self._speaker.speak(sentence)
            if pending.strip() and not self._text_mode:
                await self._speaker.speak(pending)
        finally:
            text = "".join(written).strip()
            if text:
                said.append(text + " ")
                conversation.history.append({"role": "assistant", "content": text})
            self._remember_spoken(said)
        return calls

    async def _call_tools(self, calls: list[ToolCall]) -> None:
        """One ``toolCall`` for the reply's calls; wait until every id is answered."""
        made = [(new_call_id(), call) for call in calls]
        self.pending = {call_id: call.name for call_id, call in made}
        self._answers = {}
        self._answered = asyncio.Event()
        self.conversation.history.append({"role": "assistant", "content": "", "tool_calls": [
            {"id": call_id, "type": "function",
             "function": {"name": call.name, "arguments": call.arguments}}
            for call_id, call in made]})
        self._send(server_messages.tool_call(
            [(call_id, call.name, _args(call.arguments)) for call_id, call in made]))
        await self._answered.wait()
        for call_id, _call in made:
            self.conversation.history.append({
                "role": "tool", "tool_call_id": call_id,
                "content": json.dumps(self._answers[call_id], ensure_ascii=False)})
        self.pending = {}
        self._answers = {}

    def _remember_spoken(self, said: list[str]) -> None:
        """What was really said (up to an interruption) joins the history, not what was
        planned."""
        spoken = self._speaker.take_spoken()
        if spoken:
            said.append(spoken + " ")
            self.conversation.history.append({"role": "assistant", "content": spoken})

    def _usage(self, said: str) -> dict[str, Any]:
        text_in = sum(len(str(m.get("content") or "")) for m in self.conversation.messages())
        text_tokens = text_in // CHARS_PER_TOKEN + 1
        audio_in = round((self._heard_s() - self._heard_at_start) * AUDIO_TOKENS_PER_S)
        audio_out = round((self._audio.sent_s - self._sent_at_start) * AUDIO_TOKENS_PER_S)
        prompt = [("TEXT", text_tokens)] + ([("AUDIO", audio_in)] if audio_in else [])
        if self._text_mode:
            response = [("TEXT", len(said) // CHARS_PER_TOKEN + 1)]
        else:
            response = [("AUDIO", audio_out)]
        return server_messages.usage(sum(n for _, n in prompt), sum(n for _, n in response),
                                     prompt_details=prompt, response_details=response)


def _args(arguments: str) -> dict[str, Any]:
    """A call's arguments as the object Gemini sends (a script's are JSON; anything else is
    passed under ``input``, decided: Gemini's ``args`` is always an object)."""
    try:
        value = json.loads(arguments or "{}")
    except ValueError:
        return {"input": arguments}
    return value if isinstance(value, dict) else {"input": value}


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("a Gemini Live turn failed: %s", task.exception())
