"""Any log the doctor reads, or a JSON export, as a :class:`Conversation` (with clear errors).

Logs are read by the one reader (:func:`voicechat.eventlog.read_entries`: our records, bare
JSONL, JSON arrays, text logs, Node's ``console.log``), which redacts secrets and audio on the
way in; exports are recognised by their first bytes (:mod:`voicechat.conversation.jsonform`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from voicechat.conversation.builder import ConversationBuilder
from voicechat.conversation.gemini_builder import GeminiConversationBuilder
from voicechat.conversation.jsonform import from_json, looks_like_export
from voicechat.conversation.live_builder import LiveConversationBuilder
from voicechat.conversation.model import Conversation
from voicechat.eventlog import LogReadError, ReadStats, open_log, read_entries

MAX_EXPORT_BYTES = 64 << 20
"""An export bigger than this is refused (a conversation's text is far smaller)."""


class ConversationError(Exception):
    """The file holds no conversation we can read; the message names the problem and the fix."""


def load_conversation(path: Path | str, *,
                      prices: Mapping[str, Mapping[str, Any]] | None = None) -> Conversation:
    """The conversation in ``path``: a log of any format the doctor reads, or a JSON export.

    Raises :class:`ConversationError` for a missing or unreadable file, a file with no events,
    and a log with events but no conversation in them.
    """
    path = Path(path)
    try:
        handle = open_log(path)  # once: a pipe can be read only once
    except LogReadError as exc:
        raise ConversationError(str(exc)) from None
    head = handle.read(256)
    handle.seek(0)
    if looks_like_export(head):
        with handle:
            return _read_export(handle, path)
    stats = ReadStats()
    source = source_name(path)
    builder = ConversationBuilder(prices=prices, source=source)
    live = LiveConversationBuilder(source=source)  # GPT-Live: no items, timed fragments
    gemini = GeminiConversationBuilder(source=source)  # Gemini Live: transcription frames
    try:
        for entry in read_entries(handle, stats, name=path):
            builder.feed(entry.dir, entry.t, entry.ts, entry.canonical)
            live.feed(entry.dir, entry.t, entry.ts, entry.canonical)
            gemini.feed(entry.dir, entry.t, entry.ts, entry.canonical)
    except LogReadError as exc:  # a read that failed after the open
        raise ConversationError(str(exc)) from None
    if stats.events == 0:
        raise ConversationError(
            f"{path}: no Realtime events found in {stats.lines} lines. Pass an event log "
            "(voicechat --record FILE writes one; JSON/JSONL dumps of events and text logs with "
            "the event JSON inline work too) or a voicechat export --format json file.")
    conversation = builder.conversation()
    if not conversation.turns and live.is_live:
        conversation = live.conversation()
    if not conversation.turns and gemini.is_gemini:
        conversation = gemini.conversation()
    if not conversation.turns:
        raise ConversationError(
            f"{path}: {stats.events} events but no conversation in them (no user, assistant "
            "or tool turn). Check that this is the session you meant; voicechat doctor "
            f"{path} shows what the log holds.")
    return _with_format(conversation, stats.format)


#: What a conversation read from a pipe says it came from (``export <(zcat log.gz)``).
PIPED = "piped input"


def source_name(path: Path) -> str:
    """How the conversation names where it came from: the file's name, or :data:`PIPED` for
    a file descriptor's path (``<(zcat log.gz)`` is ``/dev/fd/63``: "from 63" named nothing;
    ``/dev/stdin``). A named FIFO keeps its name: the user chose it."""
    if str(path.parent) in ("/dev/fd", "/proc/self/fd", "/dev"):
        return PIPED
    return path.name


def _read_export(handle: TextIO, path: Path) -> Conversation:
    if os.fstat(handle.fileno()).st_size > MAX_EXPORT_BYTES:
        raise ConversationError(f"{path}: larger than {MAX_EXPORT_BYTES >> 20} MB, too large "
                                "for a conversation export; pass the event log instead.")
    try:
        conversation = from_json(handle.read(), str(path))
    except ValueError as exc:
        raise ConversationError(str(exc)) from None
    if not conversation.turns:
        raise ConversationError(f"{path}: the export holds no turns; there is nothing to use.")
    return conversation


def _with_format(conversation: Conversation, log_format: str) -> Conversation:
    from dataclasses import replace

    return replace(conversation, log_format=log_format)
