"""Appends into a running session: instructions, thinking and commentary, and their answers.

GPT-Live's instructions are fixed at start; afterwards text goes in only by appends
(``session.instructions.append``, ``.thinking.append``, ``.commentary.append``), each at most
500 tokens (SDK docstrings). ``delegation_id`` is required even when null (SDK: "Required,
nullable"; pipecat and LiveKit force-serialise it), so it is always written. An append the
estimate puts over the limit is not sent: the user is told, since the server would refuse it
with an error and the session would go on without it. Each sent append waits for its
``*.appended`` (matched by ``client_event_id``); an error naming it refuses it; appends still
pending when the session ends are reported as lost (the server errors them on close).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from voicechat.core.live.effects import LiveEffects
from voicechat.core.live.inputs import AppendKind
from voicechat.protocol.live.names import APPEND_MAX_TOKENS, estimate_tokens

MAX_PENDING = 64
_ACKS: dict[str, AppendKind] = {
    "session.instructions.appended": "instructions",
    "session.thinking.appended": "thinking",
    "session.commentary.appended": "commentary",
}


@dataclass(frozen=True)
class PendingAppend:
    kind: AppendKind
    tokens: int
    delegation_id: str | None


class Appends:
    def __init__(self, effects: LiveEffects) -> None:
        self._out = effects
        self.pending: dict[str, PendingAppend] = {}
        self.accepted = 0
        self.refused = 0

    def send(self, kind: AppendKind, text: str, delegation_id: str | None) -> str | None:
        """Send one append; its event id, or ``None`` when it was refused locally."""
        if not text.strip():
            self._out.notice("warning", f"an empty {kind} append was not sent")
            return None
        tokens = estimate_tokens(text)
        if tokens > APPEND_MAX_TOKENS:
            self.refused += 1
            self._out.notice(
                "error",
                f"the {kind} append is about {tokens} tokens; GPT-Live takes at most "
                f"{APPEND_MAX_TOKENS} per append (not sent: split it into shorter appends)",
            )
            return None
        event: dict[str, Any] = {"type": f"session.{kind}.append", "content": text,
                                 "delegation_id": delegation_id}
        event_id = self._out.send(event)
        if event_id is None:
            return None
        if len(self.pending) >= MAX_PENDING:
            self.pending.pop(next(iter(self.pending)))
        self.pending[event_id] = PendingAppend(kind, tokens, delegation_id)
        return event_id

    def acknowledged(self, event_type: str, client_event_id: Any) -> bool:
        """An ``*.appended`` arrived; whether it answered an append of ours."""
        kind = _ACKS.get(event_type)
        pending = self.pending.get(client_event_id) if isinstance(client_event_id, str) else None
        if kind is None or pending is None or pending.kind != kind:
            return False
        del self.pending[client_event_id]
        self.accepted += 1
        return True

    def failed(self, client_event_id: str, message: str) -> bool:
        """An ``error`` named one of our appends: it was refused."""
        pending = self.pending.pop(client_event_id, None)
        if pending is None:
            return False
        self.refused += 1
        self._out.notice("error", f"the server refused the {pending.kind} append: {message}")
        return True

    def lost(self) -> None:
        """The session ended: appends still waiting were never applied."""
        if self.pending:
            self._out.notice("warning", f"{len(self.pending)} append(s) were still pending "
                                        "when the session ended")
            self.pending.clear()
