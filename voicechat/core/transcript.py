"""The conversation as ordered text: items placed by ``previous_item_id``, streamed text, marks.

Why a model of its own: the server does not deliver a conversation in reading order. A user's
transcript often lands after the assistant has started answering; over WebRTC with Azure's event
filter, ``output_item.added`` never arrives; events can come out of order. So every entry is
created by whichever event mentions it first, and placed — or moved — when an event finally says
which item it follows. An entry whose predecessor is not known yet waits at the end and slides
into place (with everything that follows it) when that predecessor appears.

Deltas are the hot path (hundreds per answer): they append to a list of fragments and drop the
entry's cached snapshot, nothing more; joining happens when the UI next reads the view.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voicechat.core.heard_text import cut_heard, estimated_audio_ms
from voicechat.core.view import EntryStatus, TranscriptEntry
from voicechat.protocol.images import data_url_label

ROOT = "root"


class _Entry:
    __slots__ = ("audio_ms", "call_id", "error", "heard_ms", "id", "kind", "parts", "phase",
                 "response_id", "role", "snap", "status", "truncated")

    def __init__(self, item_id: str, role: str, status: EntryStatus) -> None:
        self.id = item_id
        self.role = role
        self.status: EntryStatus = status
        self.parts: list[str] = []
        self.truncated = False
        self.heard_ms: int | None = None  # of the answer's audio, when the cut is known
        self.audio_ms: float | None = None  # the answer's audio received (None: unknown)
        self.error: str | None = None
        self.response_id: str | None = None
        self.kind = "message"
        self.phase: str | None = None
        self.call_id: str | None = None
        self.snap: TranscriptEntry | None = None

    def _heard(self, text: str) -> str | None:
        """What the user heard of ``text`` when the cut is known, else ``None`` (the same cut
        as ``voicechat export``: whole words, in the heard share of the audio)."""
        if not self.truncated or self.heard_ms is None:
            return None
        audio_ms = self.audio_ms if self.audio_ms else estimated_audio_ms(text)
        return cut_heard(text, self.heard_ms, round(audio_ms))[0]

    def snapshot(self) -> TranscriptEntry:
        if self.snap is None:
            if len(self.parts) > 1:
                self.parts = ["".join(self.parts)]
            text = self.parts[0] if self.parts else ""
            self.snap = TranscriptEntry(
                id=self.id,
                role=self.role,
                text=text,
                status=self.status,
                truncated=self.truncated,
                heard=self._heard(text),
                error=self.error,
                response_id=self.response_id,
                kind=self.kind,
                phase=self.phase,
                call_id=self.call_id,
            )
        return self.snap


class Transcript:
    """Entries by item id, in conversation order."""

    def __init__(self, *, transcription: bool) -> None:
        self.transcription = transcription
        self._by_id: dict[str, _Entry] = {}
        self._order: list[str] = []
        self._parent: dict[str, str] = {}  # item -> the item it said it follows
        self._children: dict[str, list[str]] = {}
        self._snapshot: tuple[TranscriptEntry, ...] | None = ()
        # The last snapshot as a list, each id's place in it, and the entries changed since:
        # a view read after a delta replaces one element instead of walking every entry.
        # ``_reordered``: an entry came, went or moved; the next read rebuilds all of it.
        self._snaps: list[TranscriptEntry] = []
        self._place_of: dict[str, int] = {}
        self._changed: list[_Entry] = []
        self._reordered = False

    # --- reading ---------------------------------------------------------------------------

    def snapshot(self) -> tuple[TranscriptEntry, ...]:
        if self._snapshot is None:
            if self._reordered:
                by_id = self._by_id
                self._snaps = [by_id[i].snapshot() for i in self._order]
                self._place_of = {item_id: n for n, item_id in enumerate(self._order)}
                self._reordered = False
            else:
                snaps, place_of = self._snaps, self._place_of
                for entry in self._changed:
                    snaps[place_of[entry.id]] = entry.snapshot()
            self._changed.clear()
            self._snapshot = tuple(self._snaps)
        return self._snapshot

    def get(self, item_id: str) -> TranscriptEntry | None:
        entry = self._by_id.get(item_id)
        return entry.snapshot() if entry is not None else None

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._by_id

    # --- streaming -------------------------------------------------------------------------

    def append(self, item_id: str, delta: str, role: str) -> None:
        """Add streamed text to an entry, creating it at the end if nothing mentioned it yet."""
        entry = self._by_id.get(item_id)
        if entry is None:
            entry = self._create(item_id, role, "streaming")
        elif entry.status == "pending":
            entry.status = "streaming"
        entry.parts.append(delta)
        if entry.snap is not None:
            entry.snap = None
            self._changed.append(entry)
        self._snapshot = None

    def set_text(self, item_id: str, text: str, role: str, status: EntryStatus | None) -> None:
        """Replace an entry's text with the server's final version."""
        entry = self._ensure(item_id, role)
        entry.parts = [text]
        if status is not None:
            entry.status = status
        self._touch(entry)

    def set_status(self, item_id: str, status: EntryStatus, error: str | None = None) -> None:
        entry = self._by_id.get(item_id)
        if entry is None:
            return
        entry.status = status
        if error is not None:
            entry.error = error
        self._touch(entry)

    def set_transcription(self, on: bool) -> None:
        """The server reported input transcription on or off; off settles waiting user turns.

        A user turn waiting for a transcript that will never come would say "transcribing"
        forever; with transcription off it says so instead (``untranscribed``).
        """
        self.transcription = on
        if on:
            return
        for entry in self._by_id.values():
            if entry.role == "user" and entry.status == "pending" and not entry.parts:
                entry.status = "untranscribed"
                self._touch(entry)

    def fail(self, item_id: str, error: str) -> None:
        entry = self._ensure(item_id, "user")
        entry.status = "failed"
        entry.error = error
        self._touch(entry)

    def mark_truncated(self, item_id: str, heard_ms: int | None = None,
                       audio_ms: float | None = None) -> None:
        """The user stopped hearing ``item_id`` after ``heard_ms`` of its audio (of
        ``audio_ms`` received; ``None``: unknown, as over WebRTC, estimated from the text)."""
        entry = self._by_id.get(item_id)
        if entry is None or entry.truncated:
            return
        entry.truncated = True
        entry.heard_ms = heard_ms
        entry.audio_ms = audio_ms
        self._touch(entry)

    def remove(self, item_id: str) -> None:
        if self._by_id.pop(item_id, None) is not None:
            self._order.remove(item_id)
            self._reorder()

    # --- items -----------------------------------------------------------------------------

    def user_audio(self, item_id: str, previous_item_id: Any, *, has_prev: bool) -> None:
        """A committed user audio turn: a placeholder until its transcript arrives."""
        self._ensure(item_id, "user", self._audio_status())
        if has_prev:
            self._place(item_id, previous_item_id)

    def item(
        self,
        item: Mapping[str, Any],
        previous_item_id: Any,
        *,
        has_prev: bool,
        final: bool,
        response_id: str | None = None,
    ) -> str | None:
        """Take in an item from ``conversation.item.*`` / ``response.output_item.*``."""
        item_id = item.get("id")
        if not isinstance(item_id, str):
            return None
        role, text, audio_pending = _describe_item(item)
        existed = item_id in self._by_id
        entry = self._ensure(item_id, role, self._initial_status(role, audio_pending, text))
        entry.role = role
        kind, phase, call_id = item.get("type"), item.get("phase"), item.get("call_id")
        if isinstance(kind, str):
            entry.kind = kind
        if isinstance(phase, str):  # gpt-realtime-2: "commentary" (preamble) / "final_answer"
            entry.phase = phase
        if isinstance(call_id, str):
            entry.call_id = call_id
        if response_id is not None:
            entry.response_id = response_id
        if text and (role != "assistant" or final or not entry.parts):
            entry.parts = [text]
        item_status = item.get("status")
        if role == "assistant" or kind in _TOOL_ITEMS:
            if item_status == "incomplete":
                entry.status = "incomplete"
            elif final or item_status == "completed":
                entry.status = "done"
        elif existed and text and entry.status in ("pending", "streaming"):
            entry.status = "done"
        self._touch(entry)
        if has_prev:
            self._place(item_id, previous_item_id)
        return item_id

    # --- internals -------------------------------------------------------------------------

    def _audio_status(self) -> EntryStatus:
        return "pending" if self.transcription else "untranscribed"

    def _initial_status(self, role: str, audio_pending: bool, text: str) -> EntryStatus:
        if role == "assistant":
            return "streaming"
        if audio_pending and not text:
            return self._audio_status()
        return "done"

    def _create(self, item_id: str, role: str, status: EntryStatus) -> _Entry:
        entry = _Entry(item_id, role, status)
        self._by_id[item_id] = entry
        self._order.append(item_id)
        self._reorder()
        if item_id in self._children:
            self._pull(item_id)
        return entry

    def _ensure(self, item_id: str, role: str, status: EntryStatus = "streaming") -> _Entry:
        entry = self._by_id.get(item_id)
        if entry is None:
            entry = self._create(item_id, role, status)
        return entry

    def _touch(self, entry: _Entry) -> None:
        if entry.snap is not None:
            entry.snap = None
            self._changed.append(entry)
        self._snapshot = None

    def _place(self, item_id: str, previous: Any) -> None:
        """Put ``item_id`` right after ``previous`` (``root``: first; null: arrival order)."""
        if previous == ROOT:
            self._move(item_id, 0)
        elif isinstance(previous, str) and previous != item_id:
            old = self._parent.get(item_id)
            if old != previous:
                if old is not None and item_id in self._children.get(old, []):
                    self._children[old].remove(item_id)
                self._parent[item_id] = previous
                self._children.setdefault(previous, []).append(item_id)
            if previous in self._by_id:
                self._move(item_id, None, after=previous)
        self._pull(item_id)

    def _pull(self, parent: str) -> None:
        """Entries that said they follow ``parent`` (and their followers) move in behind it."""
        work, seen = [parent], {parent}
        while work:
            current = work.pop()
            for child in self._children.get(current, ()):
                if child in self._by_id and child not in seen:
                    seen.add(child)
                    self._move(child, None, after=current)
                    work.append(child)

    def _move(self, item_id: str, index: int | None, *, after: str | None = None) -> None:
        order = self._order
        order.remove(item_id)
        if after is not None:
            index = order.index(after) + 1
        assert index is not None
        order.insert(index, item_id)
        self._reorder()

    def _reorder(self) -> None:
        self._reordered = True
        self._snapshot = None


_TOOL_ITEMS = frozenset({"function_call", "mcp_call", "mcp_approval_request", "mcp_list_tools"})


def _describe_item(item: Mapping[str, Any]) -> tuple[str, str, bool]:
    """(role, text, user audio without transcript yet) for any item shape we may meet."""
    kind = item.get("type")
    if kind == "function_call":
        return "tool", f"{item.get('name', '?')}({item.get('arguments', '')})", False
    if kind == "function_call_output":
        return "tool", str(item.get("output", "")), False
    if kind in ("mcp_call", "mcp_approval_request"):
        label, name = item.get("server_label", "?"), item.get("name", "?")
        call = f"{label}.{name}({item.get('arguments', '')})"
        result = item.get("error") or item.get("output")
        return "tool", call + (f" → {result}" if result else ""), False
    if kind == "mcp_list_tools":
        tools = item.get("tools")
        count = len(tools) if isinstance(tools, list) else 0
        return "tool", f"{item.get('server_label', '?')}: {count} tool(s) listed", False
    if kind == "mcp_approval_response":
        verdict = "approved" if item.get("approve") else "denied"
        return "tool", f"{verdict} {item.get('approval_request_id', '?')}", False
    role = item.get("role")
    role = role if isinstance(role, str) else "unknown"
    texts: list[str] = []
    audio_pending = False
    content = item.get("content")
    if isinstance(content, list):
        for part in content:
            if not isinstance(part, Mapping):
                continue
            ptype = part.get("type")
            if ptype in ("input_text", "output_text", "text"):
                value = part.get("text")
            elif ptype == "input_image":
                value = data_url_label(part.get("image_url")) + " "
            elif ptype in ("input_audio", "output_audio", "audio"):
                value = part.get("transcript")
                if ptype == "input_audio" and not isinstance(value, str):
                    audio_pending = True
            else:
                value = None
            if isinstance(value, str) and value:
                texts.append(value)
    return role, "".join(texts), audio_pending
