"""A Gemini Live conversation that outlives its connection, and the handles that find it.

The service's session (what the model remembers) is not its connection: a connection lasts
about ten minutes, and a client that asked for ``sessionResumption`` gets handles
(``sessionResumptionUpdate.newHandle``) to continue the same session on a new connection with
``setup.sessionResumption.handle``. Here a :class:`Conversation` holds what must survive — the
history, the responder (a script's position is part of the conversation), the tools — and
:class:`Resumptions` maps each handle it gave out to its conversation.

Decided: every handle of a conversation stays valid for ``handle_ttl_s`` after its connection
ended (Google: two hours); a resume with a handle whose conversation is still attached to an
open connection is refused with 1011 (sip-to-ai#14 saw "resume is rejected while the old
socket is open"; providers.md §9), so a client must close the old socket first.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from voicechat.protocol.gemini import close_codes, errors, spelling
from voicechat.protocol.gemini.errors import Refusal
from voicechat.server.voice.reply import Message
from voicechat.server.voice.tools import FunctionTool, ToolOffer

MAX_CONVERSATIONS = 200


@dataclass
class Conversation:
    """What the model remembers across connections."""

    instructions: str
    offer: ToolOffer
    responder: Any
    history: list[Message] = field(default_factory=list)
    #: an open connection serves it
    attached: bool = True
    #: when its last connection ended (monotonic), for the handles' life
    detached_at: float | None = None

    def messages(self) -> list[Message]:
        system: list[Message] = [{"role": "system", "content": self.instructions}]
        return [*system, *self.history] if self.instructions else list(self.history)


def offer_from_setup(setup: Mapping[str, Any]) -> ToolOffer:
    """``setup.tools[].functionDeclarations`` as the responder's offer (Gemini has no
    ``tool_choice``: the model decides, as ``auto``)."""
    tools: list[FunctionTool] = []
    for tool in spelling.get(setup, "tools") or []:
        for declaration in spelling.get(tool, "functionDeclarations") or []:
            if not isinstance(declaration, Mapping):
                continue
            parameters = spelling.get(declaration, "parameters") or spelling.get(
                declaration, "parametersJsonSchema")
            tools.append(FunctionTool(
                name=str(declaration.get("name") or ""),
                description=str(declaration.get("description") or ""),
                parameters=parameters if isinstance(parameters, Mapping) else None))
    return ToolOffer(tuple(tools))


def instructions_from_setup(setup: Mapping[str, Any]) -> str:
    """``systemInstruction``'s text parts, joined (a plain string is taken as it is)."""
    content = spelling.get(setup, "systemInstruction")
    if isinstance(content, str):
        return content
    if not isinstance(content, Mapping):
        return ""
    parts = spelling.get(content, "parts") or []
    return "\n".join(str(p.get("text")) for p in parts
                     if isinstance(p, Mapping) and isinstance(p.get("text"), str))


class Resumptions:
    """Handles given out, and the conversation each continues."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._by_handle: dict[str, Conversation] = {}

    def issue(self, conversation: Conversation) -> str:
        """A new handle for ``conversation`` (the older ones stay valid)."""
        self._forget_expired()
        handle = secrets.token_urlsafe(24)
        self._by_handle[handle] = conversation
        return handle

    def resume(self, handle: str) -> Conversation | Refusal:
        """The conversation ``handle`` continues, attached to the new connection."""
        self._forget_expired()
        conversation = self._by_handle.get(handle)
        if conversation is None:
            return errors.cannot_resume()
        if conversation.attached:
            return Refusal(close_codes.INTERNAL_ERROR, "The session is still open on another "
                           "connection: close it before resuming.",
                           "setup.sessionResumption.handle")
        conversation.attached = True
        conversation.detached_at = None
        return conversation

    def detach(self, conversation: Conversation) -> None:
        conversation.attached = False
        conversation.detached_at = time.monotonic()

    def _forget_expired(self) -> None:
        now = time.monotonic()
        self._by_handle = {
            h: c for h, c in self._by_handle.items()
            if c.attached or c.detached_at is None or now - c.detached_at < self.ttl_s}
        while len({id(c) for c in self._by_handle.values()}) > MAX_CONVERSATIONS:
            oldest = next(iter(self._by_handle))
            victim = self._by_handle[oldest]
            self._by_handle = {h: c for h, c in self._by_handle.items() if c is not victim}
