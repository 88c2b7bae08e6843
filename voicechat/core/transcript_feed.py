"""The server events that write the transcript, read into :class:`Transcript`.

Items (added, created, done, deleted, truncated), the user's input transcription (deltas, the
final text, failures) and the assistant's text and audio transcript all land here. The reading is
defensive: a field of the wrong type is skipped, never raised on, because nothing from the wire may
take the client down. Placement and streaming rules are :mod:`voicechat.core.transcript`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from voicechat.core.effects import Effects
from voicechat.core.transcript import Transcript

Event = Mapping[str, Any]
Handler = Callable[[Event, float], None]


class TranscriptFeed:
    """Reads item and text events into one transcript; :meth:`handlers` names the events."""

    def __init__(self, transcript: Transcript, effects: Effects) -> None:
        self.transcript = transcript
        self._out = effects
        #: the assistant message the latest response speaks (WebRTC audio carries no item id)
        self.assistant_item: str | None = None
        self._segments: dict[str, list[str]] = {}  # user item -> its labelled segment lines

    def handlers(self) -> dict[str, Handler]:
        return {
            "input_audio_buffer.committed": self.committed,
            "conversation.item.added": self.item,
            "conversation.item.created": self.item,
            "conversation.item.done": self.item,
            "conversation.item.deleted": self.deleted,
            "conversation.item.truncated": self.truncated,
            "conversation.item.input_audio_transcription.delta": self.input_delta,
            "conversation.item.input_audio_transcription.completed": self.input_completed,
            "conversation.item.input_audio_transcription.failed": self.input_failed,
            "conversation.item.input_audio_transcription.segment": self.input_segment,
            "response.output_item.added": self.output_item,
            "response.output_item.done": self.output_item,
            "response.output_audio_transcript.delta": self.output_delta,
            "response.output_text.delta": self.output_delta,
            "response.output_audio_transcript.done": self.output_transcript_done,
            "response.output_text.done": self.output_text_done,
        }

    # --- user input ------------------------------------------------------------------------

    def committed(self, event: Event, now: float) -> None:
        item_id = event.get("item_id")
        if isinstance(item_id, str):
            self.transcript.user_audio(
                item_id, event.get("previous_item_id"), has_prev="previous_item_id" in event
            )

    def input_delta(self, event: Event, now: float) -> None:
        item_id, delta = event.get("item_id"), event.get("delta")
        if isinstance(item_id, str) and isinstance(delta, str):
            self.transcript.append(item_id, delta, "user")

    def input_completed(self, event: Event, now: float) -> None:
        item_id, text = event.get("item_id"), event.get("transcript")
        if isinstance(item_id, str) and item_id in self._segments:
            self.transcript.set_status(item_id, "done")  # keep the speaker-labelled lines
        elif isinstance(item_id, str) and isinstance(text, str):
            self.transcript.set_text(item_id, text, "user", "done")

    def input_segment(self, event: Event, now: float) -> None:
        """A diarized segment: one ``speaker (start–end s): text`` line of the user turn."""
        item_id, text = event.get("item_id"), event.get("text")
        if not isinstance(item_id, str) or not isinstance(text, str):
            bad = "item_id" if not isinstance(item_id, str) else "text"
            self._out.malformed(str(event.get("type")), f"field {bad!r} is not a string")
            return
        speaker = event.get("speaker")
        label = speaker if isinstance(speaker, str) and speaker else "speaker ?"
        start, end = _seconds(event.get("start")), _seconds(event.get("end"))
        when = f" ({start:.1f}–{end:.1f} s)" if start is not None and end is not None else ""
        lines = self._segments.setdefault(item_id, [])
        lines.append(f"{label}{when}: {text.strip()}")
        self.transcript.set_text(item_id, "\n".join(lines), "user", "streaming")

    def input_failed(self, event: Event, now: float) -> None:
        item_id = event.get("item_id")
        error = event.get("error")
        message = error.get("message") if isinstance(error, Mapping) else None
        message = str(message) if message else "transcription failed"
        if isinstance(item_id, str):
            self.transcript.fail(item_id, message)
        self._out.notice("warning", f"transcription failed: {message}")

    # --- items -----------------------------------------------------------------------------

    def item(self, event: Event, now: float) -> None:
        item = event.get("item")
        if isinstance(item, Mapping):
            self.transcript.item(
                item,
                event.get("previous_item_id"),
                has_prev="previous_item_id" in event,
                final=event.get("type") == "conversation.item.done",
            )

    def deleted(self, event: Event, now: float) -> None:
        item_id = event.get("item_id")
        if isinstance(item_id, str):
            self.transcript.remove(item_id)

    def truncated(self, event: Event, now: float) -> None:
        item_id = event.get("item_id")
        if isinstance(item_id, str):
            self.transcript.mark_truncated(item_id)

    def response_output(self, response: Event) -> None:
        """The final output items of a ``response.done`` (they may carry the only text)."""
        rid = response.get("id")
        rid = rid if isinstance(rid, str) else None
        output = response.get("output")
        if isinstance(output, list):
            for item in output:
                if isinstance(item, Mapping):
                    self.transcript.item(item, None, has_prev=False, final=True, response_id=rid)

    # --- assistant output ------------------------------------------------------------------

    def output_item(self, event: Event, now: float) -> None:
        item = event.get("item")
        if isinstance(item, Mapping):
            rid = event.get("response_id")
            if event.get("type") == "response.output_item.added" and item.get("type") == "message":
                item_id = item.get("id")
                self.assistant_item = item_id if isinstance(item_id, str) else None
            self.transcript.item(
                item,
                None,
                has_prev=False,
                final=event.get("type") == "response.output_item.done",
                response_id=rid if isinstance(rid, str) else None,
            )

    def output_delta(self, event: Event, now: float) -> None:
        item_id, delta = event.get("item_id"), event.get("delta")
        if isinstance(item_id, str) and isinstance(delta, str):
            self.transcript.append(item_id, delta, "assistant")

    def output_transcript_done(self, event: Event, now: float) -> None:
        item_id, text = event.get("item_id"), event.get("transcript")
        if isinstance(item_id, str) and isinstance(text, str):
            self.transcript.set_text(item_id, text, "assistant", None)

    def output_text_done(self, event: Event, now: float) -> None:
        item_id, text = event.get("item_id"), event.get("text")
        if isinstance(item_id, str) and isinstance(text, str):
            self.transcript.set_text(item_id, text, "assistant", None)


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return None
    return float(value)
