"""The assistant's side of one GPT-Live session: the conversation so far, replies, delegation.

A finished user utterance starts a reply: the responder (echo, script or ``chat:``) gets the
conversation as chat messages and the user's words, its text is spoken sentence by sentence,
and a call it makes is a *delegation* (the voice model itself has no tools in GPT-Live):

* ``delegation.type: "responses"`` — the session's ``delegation.responses.tools`` are the
  responder's tools; a call goes out as ``session.delegation.created{target: "responses"}`` and
  the backend's nested events (``response.event``: created, the ``function_call`` item,
  completed). The client answers with ``response.item.create{function_call_output}`` per call
  and one ``response.create``; the responder then continues with the outputs, its text relayed
  as nested ``response.output_text.delta`` events and spoken by the voice.
* ``delegation.type: "client"`` (the default) — a call is a client delegation
  (``target: "client"``, no task text); the client answers with ``session.commentary.append``
  naming the delegation, which the voice says. No tools are offered to the responder then (the
  app's tools are the app's), so only a script's ``@call`` delegates.

A barge-in cancels the speaking reply; delegated work is not cancelled (reference §5, pitfall
16). What was really said stays in the history, not what was planned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from voicechat.protocol.live import names
from voicechat.protocol.live.names import estimate_tokens
from voicechat.server.ids import new_id
from voicechat.server.live.backend import BackendRun
from voicechat.server.live.speaker import Speaker
from voicechat.server.live.state import LiveState
from voicechat.server.response import split_sentences
from voicechat.server.tools import new_call_id, tool_offer
from voicechat.server.voice.reply import Message
from voicechat.server.voice.tools import NO_TOOLS, ToolCall, ToolOffer
from voicechat.server.voicekit import VoiceKit

log = logging.getLogger("voicechat.server")
Emit = Callable[[dict[str, Any]], None]


class Replies:
    """Replies and delegations of one session; the engine feeds it turns and commands."""

    def __init__(self, *, kit: VoiceKit, state: LiveState, speaker: Speaker, emit: Emit,
                 timeline: Callable[[], int]) -> None:
        self._kit = kit
        self._state = state
        self.speaker = speaker
        self._emit = emit
        self._timeline = timeline
        self._responder: Any = None
        self.history: list[Message] = []
        self._voice = asyncio.Lock()  # one utterance of the assistant at a time
        self._tasks: set[asyncio.Task[None]] = set()
        self._reply: asyncio.Task[None] | None = None
        #: the backend run waiting for function outputs (Responses delegation)
        self._waiting: tuple[str, str] | None = None  # (delegation id, response id)

    # --- conversation ---------------------------------------------------------------------

    def messages(self) -> list[Message]:
        return [{"role": "system", "content": self._state.instructions},
                *self._state.startup_history(), *self.history]

    def add_context(self, text: str) -> None:
        """An instructions or thinking append: context for the replies that follow."""
        self.history.append({"role": "system", "content": text})

    def steer(self, text: str) -> None:
        """An instructions append the model answers (LiveOptions.answer_instructions): context,
        then a reply to it unless the assistant is speaking or writing a reply already."""
        self.add_context(text)
        if self.speaker.speaking or (self._reply is not None and not self._reply.done()):
            return
        self._reply = self._spawn(self._answer(text))

    @property
    def speaking(self) -> bool:
        return self.speaker.speaking

    # --- turns ----------------------------------------------------------------------------

    def user_said(self, text: str) -> None:
        """A finished user utterance: answer it (a reply still being written is dropped)."""
        self.history.append({"role": "user", "content": text})
        if self._reply is not None and not self._reply.done():
            self._reply.cancel()
        self._reply = self._spawn(self._answer(text))

    def backchannel(self, text: str) -> None:
        """A short sound over the assistant (not a barge-in): heard, not answered."""
        self.history.append({"role": "user", "content": text})

    async def interrupt(self) -> None:
        """The user talks over the assistant: stop talking now (delegations keep running)."""
        reply = self._reply
        if reply is None or reply.done() or not self.speaker.speaking:
            return
        reply.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reply

    def say(self, text: str) -> None:
        """Commentary: the assistant says ``text`` (after what it is saying now)."""
        async def speak() -> None:
            async with self._voice:
                try:
                    await self.speaker.speak(text)
                finally:
                    self._remember_spoken()

        self._spawn(speak())

    # --- the responder --------------------------------------------------------------------

    def _offer(self) -> ToolOffer:
        if self._state.delegation_type == "responses":
            return tool_offer(self._state.responses_config, {})
        return NO_TOOLS

    def _responder_now(self) -> Any:
        if self._responder is None:
            self._responder = self._kit.make_responder()
        return self._responder

    async def _answer(self, user_text: str) -> None:
        async with self._voice:
            try:
                await self._run_responder(user_text, backend=None)
            finally:
                self._remember_spoken()

    async def _run_responder(self, user_text: str, backend: BackendRun | None) -> None:
        """Speak the responder's reply; calls become delegations; a backend run (after tool
        outputs) also relays the text as nested events."""
        pending = ""
        message_id: str | None = None
        said: list[str] = []
        delegation = self._waiting_delegation()
        async for part in self._responder_now().reply(self.messages(), user_text, self._offer()):
            if isinstance(part, ToolCall):
                if pending.strip():
                    await self.speaker.speak(pending)
                pending = ""
                await self._delegate(part, backend)
                continue
            if not part:
                continue
            if backend is not None:
                if message_id is None:
                    message_id, events = backend.message_started()
                    self._relay(events, delegation)
                self._relay([backend.text_delta(message_id, part)], delegation)
            said.append(part)
            sentences, pending = split_sentences(pending + part)
            for sentence in sentences:
                await self.speaker.speak(sentence)
        if pending.strip():
            await self.speaker.speak(pending)
        if backend is not None:
            if message_id is not None:
                self._relay(backend.message_done(message_id, "".join(said)), delegation)
            if self._state.pending_calls:
                self._waiting = (delegation or "", backend.id)
            self._relay([backend.completed(
                input_tokens=sum(estimate_tokens(str(m.get("content") or ""))
                                 for m in self.messages()),
                output_tokens=estimate_tokens("".join(said)))], delegation)

    def _remember_spoken(self) -> None:
        spoken = self.speaker.take_spoken()
        if spoken:
            self.history.append({"role": "assistant", "content": spoken})

    # --- delegation -----------------------------------------------------------------------

    def _waiting_delegation(self) -> str | None:
        return self._waiting[0] if self._waiting else None

    async def _delegate(self, call: ToolCall, backend: BackendRun | None) -> None:
        self._remember_spoken()
        target = "responses" if self._state.delegation_type == "responses" else "client"
        if target == "client":
            delegation_id = new_id("item")
            self._state.client_delegations.add(delegation_id)
            self._created(delegation_id, target, None)
            self._add_call(delegation_id, call)
            return
        call_id = new_call_id()
        if backend is None:  # a new task for the backend: a new delegation and response
            delegation_id = new_id("item")
            backend = BackendRun(response_id=new_id("resp"),
                                 model=str(self._state.responses_config.get("model", "")),
                                 created_at=int(time.time()))
            self._created(delegation_id, target, backend.id)
            self._relay(backend.created(), delegation_id)
            self._relay(backend.function_call(call_id, call.name, call.arguments),
                        delegation_id)
            self._state.pending_calls[call_id] = call.name
            self._waiting = (delegation_id, backend.id)
            self._relay([backend.completed(input_tokens=0, output_tokens=0)], delegation_id)
        else:  # the backend run continuing after outputs calls again
            self._relay(backend.function_call(call_id, call.name, call.arguments),
                        self._waiting_delegation())
            self._state.pending_calls[call_id] = call.name
        self._add_call(call_id, call)

    def _add_call(self, call_id: str, call: ToolCall) -> None:
        entry = {"id": call_id, "type": "function",
                 "function": {"name": call.name, "arguments": call.arguments}}
        last = self.history[-1] if self.history else None
        if last is not None and last["role"] == "assistant" and "tool_calls" in last:
            last["tool_calls"].append(entry)
        else:
            self.history.append({"role": "assistant", "content": "", "tool_calls": [entry]})

    def _created(self, delegation_id: str, target: str, response_id: str | None) -> None:
        delegation: dict[str, Any] = {"id": delegation_id, "type": "delegation",
                                      "target": target}
        if response_id is not None:
            delegation["response_id"] = response_id
        self._emit({"type": names.DELEGATION_CREATED, "offset_ms": self._timeline(),
                    "delegation": delegation})

    def _relay(self, events: list[dict[str, Any]], delegation_id: str | None) -> None:
        for event in events:
            self._emit({"type": names.RESPONSE_EVENT, "delegation_id": delegation_id,
                        "event": event})

    def answer_client_delegation(self, delegation_id: str, text: str) -> None:
        """A commentary append naming a client delegation: its result, said by the voice."""
        self.history.append({"role": "tool", "tool_call_id": delegation_id, "content": text})
        self.say(text)

    def continue_backend(self, user_text: str | None) -> None:
        """``response.create``: the answered calls go to the backend, which continues (or, with
        typed text and no calls, answers that text)."""
        answered = self._state.take_answered_calls()
        for call_id, _name, output in answered:
            self.history.append({"role": "tool", "tool_call_id": call_id, "content": output})
        if user_text:
            self.history.append({"role": "user", "content": user_text})
        delegation_id, response_id = self._waiting or (new_id("item"), "")
        self._waiting = (delegation_id, response_id)
        backend = BackendRun(response_id=new_id("resp"),
                             model=str(self._state.responses_config.get("model", "")),
                             created_at=int(time.time()))
        self._relay(backend.created(), delegation_id)

        async def run() -> None:
            async with self._voice:
                try:
                    await self._run_responder(user_text or "", backend)
                finally:
                    self._remember_spoken()
                    if not self._state.pending_calls:
                        self._waiting = None

        self._reply = self._spawn(run())

    # --- tasks ----------------------------------------------------------------------------

    def _spawn(self, coroutine: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a GPT-Live reply failed: %s", task.exception())

    def stop(self) -> list[asyncio.Task[None]]:
        return list(self._tasks)
