"""A conversation as people read it: ordered turns with a speaker, a time and text.

What the export, resume and saving share. A :class:`Conversation` is a plain value built from an
event log (:mod:`voicechat.conversation.builder`) or read back from a JSON export
(:mod:`voicechat.conversation.load`); the renderers (:mod:`voicechat.conversation.render`) and
the resume seed (:mod:`voicechat.conversation.seed`) only read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from voicechat.latency.model import TurnLatency
from voicechat.protocol.pricing import ESTIMATE_LABEL, Tokens

Speaker = Literal["user", "assistant", "tool"]
TurnStatus = Literal["done", "interrupted", "incomplete", "untranscribed", "failed", "pending"]


@dataclass(frozen=True)
class ToolUse:
    """A tool call the model made and, once sent, its result (``output``)."""

    name: str
    arguments: str
    call_id: str | None = None
    output: str | None = None
    server: str | None = None  # a hosted MCP call's server label
    kind: str = "function_call"  # function_call | mcp_call | mcp_list_tools | mcp_approval_request


@dataclass(frozen=True)
class Interruption:
    """Where the user cut an answer off: ``heard_ms`` of ``audio_ms`` of its audio played.

    ``audio_ms`` is measured from the audio deltas the log shows, or, when the audio went over
    WebRTC and the log has none, estimated from the text (``estimated``).
    """

    heard_ms: int
    audio_ms: int | None
    estimated: bool
    unheard_text: str


@dataclass(frozen=True)
class AnswerUsage:
    """The tokens and estimated cost of the response that produced a turn."""

    response_id: str | None
    tokens: Tokens
    cost_usd: float | None


@dataclass(frozen=True)
class Turn:
    """One turn: who, when (``t`` seconds into the log, ``ts`` UTC wall clock), what."""

    speaker: Speaker
    text: str
    t: float | None = None
    ts: str | None = None
    item_id: str | None = None
    status: TurnStatus = "done"
    interruption: Interruption | None = None
    tool: ToolUse | None = None
    usage: AnswerUsage | None = None
    latency: TurnLatency | None = None  # an answer: how long it took to start, and where
    model: str | None = None  # the session's model, once the conversation used more than one


@dataclass(frozen=True)
class Conversation:
    """The turns in conversation order, and what the whole cost."""

    turns: tuple[Turn, ...]
    source: str = ""
    log_format: str = ""
    model: str | None = None  # the model the conversation started with
    models: tuple[str, ...] = ()  # every model in order of use, when there was more than one
    responses: int = 0
    total: Tokens = field(default_factory=Tokens)
    cost_usd: float | None = None
    cost_label: str = ESTIMATE_LABEL

    @property
    def spoken(self) -> tuple[Turn, ...]:
        """The user's and the assistant's turns with text (what a new session is seeded with)."""
        return tuple(t for t in self.turns if t.speaker != "tool" and t.text.strip())
