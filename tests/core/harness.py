"""A test driver for the session core: a fake clock, server-event builders, action filters.

The core is sans-IO, so a "conversation" in a test is a list of plain calls; this module keeps
those calls short. The clock (``start``, ``do``, ``advance``) is ``tests/core/clock.py``'s,
shared with the GPT-Live core's harness.
"""

from __future__ import annotations

from typing import Any

from tests.core.clock import ClockedHarness
from voicechat.core import (
    Action,
    FlushPlayback,
    MuteMic,
    Notice,
    Send,
    Session,
    SessionPolicy,
    UnmuteMic,
)
from voicechat.core.inputs import Input


class Harness(ClockedHarness[Action, Input]):
    session: Session

    def __init__(self, *, strict: bool = True, **policy: Any) -> None:
        super().__init__(Session(SessionPolicy(**policy), strict=strict))

    # --- driving (start, do, advance: ClockedHarness) ------------------------------------------

    def ev(self, kind: str, **fields: Any) -> list[Action]:
        return self._keep(self.session.receive({"type": kind, **fields}, self.now))

    def wire(self, data: str | bytes) -> list[Action]:
        return self._keep(self.session.receive_wire(data, self.now))

    # --- reading -------------------------------------------------------------------------------

    @property
    def view(self) -> Any:
        return self.session.view

    @property
    def mic_label(self) -> str:
        return str(self.session.view.mic_label)


def sends(actions: list[Action]) -> list[dict[str, Any]]:
    return [a.event for a in actions if isinstance(a, Send)]


def sent_types(actions: list[Action]) -> list[str]:
    return [str(e["type"]) for e in sends(actions)]


def notices(actions: list[Action], level: str | None = None) -> list[str]:
    return [a.message for a in actions if isinstance(a, Notice) and level in (None, a.level)]


def mic_actions(actions: list[Action]) -> list[Action]:
    return [a for a in actions if isinstance(a, MuteMic | UnmuteMic)]


def flushed(actions: list[Action]) -> bool:
    return any(isinstance(a, FlushPlayback) for a in actions)


# --- canonical server events -------------------------------------------------------------------


def user_audio_item(item_id: str, transcript: str | None = None) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "message",
        "role": "user",
        "status": "completed",
        "content": [{"type": "input_audio", "transcript": transcript}],
    }


def assistant_item(
    item_id: str, transcript: str | None = None, status: str = "in_progress"
) -> dict[str, Any]:
    content = [] if transcript is None else [{"type": "output_audio", "transcript": transcript}]
    return {
        "id": item_id,
        "type": "message",
        "role": "assistant",
        "status": status,
        "content": content,
    }


def response_starts(h: Harness, rid: str, item: str, previous: str | None) -> None:
    """``response.created`` through the audio content part (§7.1 of the protocol reference)."""
    h.ev("response.created", response={"id": rid, "status": "in_progress", "output": []})
    h.ev("response.output_item.added", response_id=rid, output_index=0, item=assistant_item(item))
    h.ev("conversation.item.added", previous_item_id=previous, item=assistant_item(item))
    h.ev(
        "response.content_part.added",
        response_id=rid,
        item_id=item,
        output_index=0,
        content_index=0,
        part={"type": "audio", "transcript": ""},
    )


def response_done(
    h: Harness, rid: str, item: str, text: str, status: str = "completed", reason: str | None = None
) -> list[Action]:
    final = assistant_item(item, text, "completed" if status == "completed" else "incomplete")
    details = {"type": status, "reason": reason} if reason else None
    h.ev("response.output_item.done", response_id=rid, output_index=0, item=final)
    return h.ev(
        "response.done",
        response={"id": rid, "status": status, "status_details": details, "output": [final]},
    )


def user_turn(
    h: Harness, item: str, previous: str | None, *, start_ms: int = 0, end_ms: int = 1500
) -> None:
    h.ev("input_audio_buffer.speech_started", audio_start_ms=start_ms, item_id=item)
    h.ev("input_audio_buffer.speech_stopped", audio_end_ms=end_ms, item_id=item)
    h.ev("input_audio_buffer.committed", previous_item_id=previous, item_id=item)
    h.ev("conversation.item.added", previous_item_id=previous, item=user_audio_item(item))
