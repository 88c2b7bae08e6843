"""Saving a conversation as Markdown, only when the user asks (``ctrl+s``, ``save_transcripts``).

The running conversation is kept by a :class:`ConversationBuilder` fed the runtime's record
stream (the same redacted records the event log stores), so what is saved is exactly what
``voicechat export`` would make of this session's ``--record`` log, rendered by the same
Markdown renderer. Keeping it in memory writes nothing; a file is written only by
:meth:`ConversationSaver.save`, which the TUI's ``ctrl+s`` calls, and which
``save_transcripts = true`` calls after each completed response and at the end.

Decisions: one file per session, named when the session starts
(``conversations/voicechat-YYYYMMDD-HHMMSS.md`` in the user data folder) and rewritten whole on
each save, so saving twice never makes two copies and a crash loses at most the current turn.
The folder is created readable by its owner only (0700) and the file 0600, as event logs are.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voicechat.conversation.builder import ConversationBuilder
from voicechat.conversation.render import markdown
from voicechat.eventlog.record import LogRecord
from voicechat.protocol.dialect import Dialect


def file_name(started: float) -> str:
    """``voicechat-20261123-221200.md`` for a session started at ``started`` (epoch, local)."""
    return time.strftime("voicechat-%Y%m%d-%H%M%S.md", time.localtime(started))


class ConversationSaver:
    """The live conversation, and writing it to :attr:`path` on request."""

    def __init__(self, folder: Path, dialect: Dialect, *,
                 prices: Mapping[str, Mapping[str, Any]] | None = None,
                 started: float | None = None) -> None:
        self.path = folder / file_name(time.time() if started is None else started)
        self._dialect = dialect
        self._builder = ConversationBuilder(prices=prices)
        self.saved = False  # a file was written

    def record(self, record: LogRecord) -> None:
        """A record of the running session (a subscriber of the runtime's event stream)."""
        self._builder.feed_wire(record.dir, record.t, record.ts, record.event, self._dialect)

    def has_turns(self) -> bool:
        return bool(self._builder.conversation().turns)

    def save(self) -> Path | None:
        """Write the conversation so far; the path, or ``None`` when there is no turn yet.
        Raises :class:`OSError` (its message names the path) when the file cannot be written."""
        conversation = self._builder.conversation()
        if not conversation.turns:
            return None
        folder = self.path.parent
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(markdown(conversation))
        self.saved = True
        return self.path
