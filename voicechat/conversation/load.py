"""Any log the doctor reads, or a JSON export, as a :class:`Conversation` (with clear errors).

Logs are read by the one reader (:func:`voicechat.eventlog.read_entries`: our records, bare
JSONL, JSON arrays, text logs, Node's ``console.log``), which redacts secrets and audio on the
way in; exports are recognised by their first bytes (:mod:`voicechat.conversation.jsonform`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voicechat.conversation.builder import ConversationBuilder
from voicechat.conversation.jsonform import from_json, looks_like_export
from voicechat.conversation.model import Conversation
from voicechat.eventlog import LogReadError, ReadStats, read_entries

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
    head = _head(path)
    if looks_like_export(head):
        return _read_export(path)
    stats = ReadStats()
    builder = ConversationBuilder(prices=prices, source=path.name)
    try:
        for entry in read_entries(path, stats):
            builder.feed(entry.dir, entry.t, entry.ts, entry.canonical)
    except LogReadError as exc:
        raise ConversationError(str(exc)) from None
    if stats.events == 0:
        raise ConversationError(
            f"{path}: no Realtime events found in {stats.lines} lines. Pass an event log "
            "(voicechat --record FILE writes one; JSON/JSONL dumps of events and text logs with "
            "the event JSON inline work too) or a voicechat export --format json file.")
    conversation = builder.conversation()
    if not conversation.turns:
        raise ConversationError(
            f"{path}: {stats.events} events but no conversation in them (no user, assistant "
            "or tool turn). Check that this is the session you meant; voicechat doctor "
            f"{path} shows what the log holds.")
    return _with_format(conversation, stats.format)


def _head(path: Path) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(256)
    except FileNotFoundError:
        raise ConversationError(f"{path}: no such file. Check the path of the log.") from None
    except IsADirectoryError:
        raise ConversationError(f"{path} is a directory; pass the log file inside it.") from None
    except PermissionError:
        raise ConversationError(
            f"{path}: permission denied. Check the file's permissions.") from None
    except OSError as exc:
        raise ConversationError(f"{path}: cannot open ({exc.strerror}).") from None


def _read_export(path: Path) -> Conversation:
    if path.stat().st_size > MAX_EXPORT_BYTES:
        raise ConversationError(f"{path}: larger than {MAX_EXPORT_BYTES >> 20} MB, too large "
                                "for a conversation export; pass the event log instead.")
    try:
        conversation = from_json(path.read_text(encoding="utf-8", errors="replace"), str(path))
    except ValueError as exc:
        raise ConversationError(str(exc)) from None
    if not conversation.turns:
        raise ConversationError(f"{path}: the export holds no turns; there is nothing to use.")
    return conversation


def _with_format(conversation: Conversation, log_format: str) -> Conversation:
    from dataclasses import replace

    return replace(conversation, log_format=log_format)
