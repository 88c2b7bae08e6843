"""Conversations you can keep: a log (or a live session) as ordered turns, rendered as
Markdown, text or JSON; read back for ``--resume``; saved on the user's request.

It reads logs through :mod:`voicechat.eventlog` and keeps the session core's transcript rules
(:mod:`voicechat.core.transcript`), so it imports ``core``, ``eventlog`` and ``protocol`` and
nothing above them: the commands, the runtime and the UI use it.
"""

from __future__ import annotations

from voicechat.conversation.builder import ConversationBuilder
from voicechat.conversation.load import ConversationError, load_conversation
from voicechat.conversation.model import (
    AnswerUsage,
    Conversation,
    Interruption,
    ToolUse,
    Turn,
)

__all__ = [
    "AnswerUsage",
    "Conversation",
    "ConversationBuilder",
    "ConversationError",
    "Interruption",
    "ToolUse",
    "Turn",
    "load_conversation",
]
