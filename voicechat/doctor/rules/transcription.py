"""``transcription-off-or-empty`` and ``transcription-failed``: user turns without text.

The Realtime model hears audio directly, so a conversation "works" with transcription off; the
symptom is a transcript full of placeholders. The fix depends on the cause, which the session
config usually shows: transcription null (off), a model name the server does not know, or
audio too short to contain words.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, ClassVar

from voicechat.doctor.context import Context, dig
from voicechat.doctor.rules.base import Rule, error_of
from voicechat.eventlog.entry import Entry
from voicechat.protocol.dialect import Dialect

TRANSCRIPTION_MODELS = frozenset(
    {"whisper-1", "gpt-4o-mini-transcribe", "gpt-4o-transcribe", "gpt-4o-transcribe-diarize",
     "gpt-transcribe", "gpt-live-transcribe", "gpt-realtime-whisper"}
)
_MAX_TRACKED = 5000


def transcription_snippet(ctx: Context, model: str = "gpt-4o-mini-transcribe") -> str:
    if ctx.dialect is Dialect.BETA:
        body: dict[str, Any] = {"type": "session.update",
                                "session": {"input_audio_transcription": {"model": model}}}
    else:
        body = {"type": "session.update", "session": {
            "type": "realtime", "audio": {"input": {"transcription": {"model": model}}}}}
    return json.dumps(body)


def _user_audio_transcript(item: Any) -> tuple[bool, Any]:
    """(is a user audio item, its transcript) for a conversation item."""
    if not isinstance(item, dict) or item.get("role") != "user":
        return False, None
    for part in item.get("content") or []:
        if isinstance(part, dict) and part.get("type") == "input_audio":
            return True, part.get("transcript")
    return False, None


class TranscriptionOffOrEmpty(Rule):
    id = "transcription-off-or-empty"
    title = "User turns have no transcript"
    feeds_on = frozenset({
        "input_audio_buffer.committed", "conversation.item.input_audio_transcription.completed",
        "conversation.item.input_audio_transcription.failed", "conversation.item.done",
        "conversation.item.added", "conversation.item.created", "conversation.item.retrieved"})
    reads: ClassVar[Mapping[str, frozenset[str]]] = {
        "input_audio_buffer.committed": frozenset({"item_id"}),
        "conversation.item.input_audio_transcription.completed": frozenset({"item_id",
                                                                             "transcript"})}

    def __init__(self) -> None:
        super().__init__()
        # item_id → (entry where it was committed, "missing" | "empty")
        self.items: OrderedDict[str, tuple[Entry, str]] = OrderedDict()
        self.last_item: str | None = None
        self.empty = 0
        self.missing = 0

    def feed(self, entry: Entry, ctx: Context) -> None:
        if entry.dir != "in":
            return
        event = entry.canonical
        kind = entry.type
        if kind == "input_audio_buffer.committed":
            item = event.get("item_id")
            if isinstance(item, str):
                self.items[item] = (entry, "missing")
                self.last_item = item
                if len(self.items) > _MAX_TRACKED:
                    self.items.popitem(last=False)
        elif kind == "conversation.item.input_audio_transcription.completed":
            item = event.get("item_id")
            text = event.get("transcript")
            if isinstance(text, str) and text.strip():
                self.items.pop(str(item), None)
            elif isinstance(item, str):
                self.items[item] = (self.items.get(item, (entry, ""))[0], "empty")
        elif kind == "conversation.item.input_audio_transcription.failed":
            self.items.pop(str(event.get("item_id")), None)  # transcription-failed reports it
        elif kind in ("conversation.item.done", "conversation.item.added",
                      "conversation.item.created", "conversation.item.retrieved"):
            item = event.get("item")
            is_audio, transcript = _user_audio_transcript(item)
            if is_audio and isinstance(transcript, str) and transcript.strip():
                self.items.pop(dig(item, "id"), None)

    def conclude(self, ctx: Context) -> None:
        off = ctx.transcription_known and ctx.transcription is None
        for item, (entry, state) in self.items.items():
            if state == "missing" and item == self.last_item and not off:
                continue  # the last turn's transcript may simply not have arrived yet
            if state == "empty":
                self.empty += 1
                self.add(entry, f"{item}: transcription completed with an empty transcript")
            else:
                self.missing += 1
                self.add(entry, f"{item}: committed, no transcript ever arrived")
        self.items.clear()

    def fix(self, ctx: Context) -> str:
        config = ctx.transcription
        field = ("input_audio_transcription" if ctx.dialect is Dialect.BETA
                 else "audio.input.transcription")
        if ctx.transcription_known and config is None:
            return (f"Input transcription is off (session {field} is null), so the server never "
                    f"transcribes user audio. Enable it: {transcription_snippet(ctx)}")
        model = config.get("model") if config else None
        lines = []
        if isinstance(model, str) and model not in TRANSCRIPTION_MODELS:
            lines.append(f"{field}.model is '{model}', which is not a transcription model: use "
                         "'gpt-4o-mini-transcribe', 'gpt-4o-transcribe' or 'whisper-1' (Azure: "
                         f"the name of your transcription deployment), e.g. "
                         f"{transcription_snippet(ctx)}")
        if self.empty:
            lines.append(f"{self.empty} transcripts came back empty: the audio was too short or "
                         "silent (check the mic level and the VAD segment lengths), or the "
                         "language/prompt hint does not match the speech.")
        if self.missing and not lines:
            where = f"{field} = {json.dumps(config)}" if config else "no transcription config"
            lines.append(f"{self.missing} user turns got no transcription events ({where}). "
                         f"Enable transcription with a valid model: {transcription_snippet(ctx)}")
        return "\n".join(lines)


class TranscriptionFailed(Rule):
    id = "transcription-failed"
    title = "Input audio transcription failed"
    feeds_on = frozenset({"conversation.item.input_audio_transcription.failed"})

    def __init__(self) -> None:
        super().__init__()
        self.messages: set[str] = set()

    def feed(self, entry: Entry, ctx: Context) -> None:
        if entry.dir != "in":
            return
        if entry.type == "conversation.item.input_audio_transcription.failed":
            error = entry.canonical.get("error") or {}
            message = str(error.get("message") or "no message") if isinstance(error, dict) else ""
            self.add(entry, f"{entry.canonical.get('item_id')}: {message}")
            self._note(message)
            return
        error = error_of(entry)
        if error is not None and "transcription failed" in str(error.get("message", "")).lower():
            self.add(entry, f"error: {error.get('message')}")
            self._note(str(error.get("message")))

    def _note(self, message: str) -> None:
        if len(self.messages) < 5:
            self.messages.add(message)

    def fix(self, ctx: Context) -> str:
        config = ctx.transcription
        model = config.get("model") if config else None
        text = ("The transcription model could not process these items, so user turns stay "
                "without text (the conversation itself goes on). ")
        if isinstance(model, str):
            text += (f"Check that '{model}' exists for your account (on Azure it must be the name "
                     "of a transcription deployment in the same resource). ")
        text += ("Check that the audio format you send matches the session's input format "
                 "(24 kHz mono PCM16 for audio/pcm) and that segments are not empty; retry with "
                 "'gpt-4o-mini-transcribe' if a newer model is failing.")
        return text
