"""A Gemini Live log as a :class:`~voicechat.conversation.model.Conversation` (sans-IO).

Gemini Live has no items: what was said travels as transcription fragments inside
``serverContent`` (``inputTranscription`` for the user, ``outputTranscription`` for the model,
or the model's text parts in a TEXT session), which concatenate verbatim, and
``turnComplete`` ends the model's turn. So a turn is the fragments of one speaker until the
other speaks or the model's turn completes; ``interrupted`` marks the model's turn cut off.
Tool calls are turns of their own (``toolCall``, answered by ``toolResponse``), and typed turns
(``clientContent`` with ``turnComplete``) are the user's. Frames come typed by the reader
(``gemini.<message>``, :mod:`voicechat.eventlog.gemini_frames`), in either spelling.

Nothing from a log may raise: a field of the wrong type is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from voicechat.conversation.model import Conversation, Speaker, ToolUse, Turn, TurnStatus
from voicechat.eventlog.gemini_frames import PREFIX
from voicechat.protocol.gemini import names, spelling
from voicechat.protocol.secrets import redact_text

Event = Mapping[str, Any]
_SERVER_CONTENT = PREFIX + names.SERVER_CONTENT
_TOOL_CALL = PREFIX + names.TOOL_CALL
_TOOL_RESPONSE = PREFIX + names.TOOL_RESPONSE
_CANCELLATION = PREFIX + names.TOOL_CALL_CANCELLATION
_CLIENT_CONTENT = PREFIX + names.CLIENT_CONTENT
_SETUP = PREFIX + names.SETUP


class _Open:
    """A turn being gathered: its speaker, fragments and when it began."""

    def __init__(self, speaker: Speaker, t: float | None, ts: str | None) -> None:
        self.speaker = speaker
        self.parts: list[str] = []
        self.t, self.ts = t, ts
        self.status: TurnStatus = "done"


class GeminiConversationBuilder:
    """Feed entries in log order with :meth:`feed`; read :meth:`conversation` at the end."""

    def __init__(self, *, source: str = "") -> None:
        self._source = source
        self._turns: list[Turn] = []
        self._open: _Open | None = None
        self._calls: dict[str, int] = {}  # call id → its turn's index, to add the output
        self._model: str | None = None
        self._taken = 0  # turns handed out by take_finished
        self.is_gemini = False  # a Gemini Live frame was seen

    def feed(self, direction: str, t: float | None, ts: str | None, event: Event) -> None:
        kind = event.get("type") if isinstance(event, Mapping) else None
        if not isinstance(kind, str) or not kind.startswith(PREFIX):
            return
        self.is_gemini = True
        if kind == _SERVER_CONTENT and direction == "in":
            self._server_content(_body(event, names.SERVER_CONTENT), t, ts)
        elif kind == _TOOL_CALL and direction == "in":
            self._tool_calls(_body(event, names.TOOL_CALL), t, ts)
        elif kind == _CANCELLATION and direction == "in":
            self._cancelled(_body(event, names.TOOL_CALL_CANCELLATION))
        elif kind == _TOOL_RESPONSE and direction == "out":
            self._tool_outputs(_body(event, names.TOOL_RESPONSE))
        elif kind == _CLIENT_CONTENT and direction == "out":
            self._typed(_body(event, names.CLIENT_CONTENT), t, ts)
        elif kind == _SETUP and direction == "out":
            model = _body(event, names.SETUP).get("model")
            self._model = model if isinstance(model, str) else self._model

    def _say(self, speaker: Speaker, text: str, t: float | None, ts: str | None) -> None:
        if not text:
            return
        if self._open is None or self._open.speaker != speaker:
            self._close()
            self._open = _Open(speaker, t, ts)
        self._open.parts.append(text)

    def _close(self) -> None:
        turn, self._open = self._open, None
        if turn is not None and "".join(turn.parts).strip():
            self._turns.append(Turn(turn.speaker, redact_text("".join(turn.parts).strip()),
                                    turn.t, turn.ts, status=turn.status))

    def _server_content(self, content: dict[str, Any], t: float | None,
                        ts: str | None) -> None:
        heard = spelling.get(content, names.INPUT_TRANSCRIPTION)
        if isinstance(heard, Mapping) and isinstance(heard.get("text"), str):
            self._say("user", heard["text"], t, ts)
        said = spelling.get(content, names.OUTPUT_TRANSCRIPTION)
        if isinstance(said, Mapping) and isinstance(said.get("text"), str):
            self._say("assistant", said["text"], t, ts)
        elif isinstance(turn := spelling.get(content, names.MODEL_TURN), Mapping):
            # a TEXT session's words (thoughts left out)
            for part in spelling.get_list(turn, "parts"):
                if isinstance(part, Mapping) and isinstance(part.get("text"), str) \
                        and part.get("thought") is not True:
                    self._say("assistant", part["text"], t, ts)
        if spelling.get(content, names.INTERRUPTED) is True and self._open is not None \
                and self._open.speaker == "assistant":
            self._open.status = "interrupted"
        if spelling.get(content, names.TURN_COMPLETE) is True:
            self._close()

    def _tool_calls(self, call: dict[str, Any], t: float | None, ts: str | None) -> None:
        self._close()
        for fn in spelling.get_list(call, "functionCalls"):
            if not isinstance(fn, Mapping) or not isinstance(fn.get("name"), str):
                continue
            call_id = fn.get("id") if isinstance(fn.get("id"), str) else None
            args = json.dumps(fn.get("args") or {}, ensure_ascii=False)
            if call_id is not None:
                self._calls[call_id] = len(self._turns)
            self._turns.append(Turn("tool", "", t, ts,
                                    tool=ToolUse(fn["name"], redact_text(args), call_id)))

    def _tool_outputs(self, response: dict[str, Any]) -> None:
        for answer in spelling.get_list(response, "functionResponses"):
            index = self._calls.get(str(answer.get("id"))) if isinstance(answer, Mapping) \
                else None
            if index is None:
                continue
            turn = self._turns[index]
            output = json.dumps(answer.get("response"), ensure_ascii=False)
            tool = replace(turn.tool, output=redact_text(output)) if turn.tool else None
            self._turns[index] = replace(turn, tool=tool)

    def _cancelled(self, cancellation: dict[str, Any]) -> None:
        """Calls the model withdrew (the user spoke over them): marked interrupted."""
        for call_id in spelling.get_list(cancellation, "ids"):
            index = self._calls.get(str(call_id))
            if index is not None:
                self._turns[index] = replace(self._turns[index], status="interrupted")

    def _typed(self, content: dict[str, Any], t: float | None, ts: str | None) -> None:
        for turn in spelling.get_list(content, "turns"):
            if not isinstance(turn, Mapping) or turn.get("role") != "user":
                continue
            text = "".join(part["text"] for part in spelling.get_list(turn, "parts")
                           if isinstance(part, Mapping) and isinstance(part.get("text"), str))
            if text.strip():
                self._close()
                self._say("user", text, t, ts)
                self._close()

    def take_finished(self) -> list[Turn]:
        """The turns finished since the last call, for a view that shows them as they end
        (replay); a tool call comes as soon as it is asked for, without its output."""
        new = self._turns[self._taken:]
        self._taken = len(self._turns)
        return new

    def open_text(self) -> str:
        """The turn still being said, as ``You: …`` or ``Assistant: …`` (``""``: none)."""
        turn = self._open
        if turn is None or not "".join(turn.parts).strip():
            return ""
        who = "You" if turn.speaker == "user" else "Assistant"
        return f"{who}: {redact_text(''.join(turn.parts).strip())}"

    def conversation(self) -> Conversation:
        self._close()
        return Conversation(turns=tuple(self._turns), source=self._source, model=self._model)


def _body(event: Event, message: str) -> dict[str, Any]:
    value = spelling.get(event, message)
    return value if isinstance(value, dict) else {}
