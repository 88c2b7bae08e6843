"""The running conversation kept for saving: ``ctrl+s`` and ``save_transcripts``.

A subscriber of the runtime's record stream feeds a :class:`ConversationSaver` (in memory; a
file is written only when asked). With ``save_transcripts = true`` it saves after each
completed answer and at the end; a failure to write is said once, as a notice naming the path
and the fix, and the conversation goes on.
"""

from __future__ import annotations

from pathlib import Path

from voicechat.config import Settings
from voicechat.conversation.saving import ConversationSaver
from voicechat.eventlog.record import LogRecord
from voicechat.protocol.dialect import Dialect
from voicechat.runtime.fanout import EventFanout


class ConversationKeeping:
    """See the module docstring."""

    def __init__(self, settings: Settings, events: EventFanout) -> None:
        from voicechat.paths import conversations_dir

        self._auto = settings.save_transcripts
        self._events = events
        self.saver = ConversationSaver(conversations_dir(), Dialect(settings.dialect),
                                       prices=settings.prices)
        self._autosave_failed = False
        events.subscribe(self._keep)

    def save(self) -> Path | None:
        """Write the conversation so far as Markdown: the file's path, or ``None`` when there
        is no turn yet. Raises :class:`OSError` naming the path."""
        return self.saver.save()

    def started(self) -> None:
        """The session is up: with ``save_transcripts``, say where the file will be."""
        if self._auto:
            self._events.notice("info", f"this conversation is saved to {self.saver.path} "
                                "(save_transcripts = true)", topic="conversation")

    def stopping(self) -> None:
        """The run ends: with ``save_transcripts``, the last save."""
        if self._auto:
            self._autosave()

    def _keep(self, record: LogRecord) -> None:
        self.saver.record(record)
        if (self._auto and record.dir == "in"
                and record.event.get("type") == "response.done"):
            self._autosave()

    def _autosave(self) -> None:
        try:
            self.saver.save()
        except OSError as exc:
            if not self._autosave_failed:
                self._autosave_failed = True
                self._events.notice("warning", f"cannot save the conversation to "
                                    f"{self.saver.path}: {exc.strerror or exc}. Check that the "
                                    "folder is writable, or set save_transcripts = false",
                                    topic="conversation")
