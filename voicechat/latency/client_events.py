"""The turn timeline's reading of the client's own events and local facts: a commit or a
typed message ends a turn, a tool's output ends its call, a barge-in action times an
interruption, and the client's playback times the first sound heard.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voicechat.latency.turn_tracking import TurnTracking

#: The client's barge-in actions: the first one after an onset completes an interruption.
BARGE_ACTIONS = frozenset({"response.cancel", "output_audio_buffer.clear",
                           "conversation.item.truncate"})


class ClientEvents(TurnTracking):
    """The handlers of the client events and local facts the timeline reads."""

    def _client(self, now: float, kind: str, event: Mapping[str, Any]) -> None:
        if kind == "session.update":
            self._facts.client_session(event.get("session"))
        elif kind == "input_audio_buffer.commit":
            turn = self._turn
            same_utterance = (turn is not None and turn.kind == "speech_stopped"
                              and turn.committed is None and turn.created is None)
            if not same_utterance:
                self._end(now, "commit")
        elif kind == "conversation.item.create":
            item = event.get("item")
            if not isinstance(item, Mapping):
                return
            if item.get("type") == "function_call_output":
                self._tool_output(now, item.get("call_id"))
            elif item.get("role") == "user" and _typed(item):
                self._typed_pending = True
        elif kind == "response.create":
            response = event.get("response")
            if isinstance(response, Mapping) and response.get("conversation") == "none":
                return
            if self._typed_pending:
                self._typed_pending = False
                self._end(now, "typed")
        if kind in BARGE_ACTIONS:
            self._barge.action(now, self._active is not None, self.completed)

    def _local(self, now: float, kind: str, event: Mapping[str, Any]) -> None:
        if kind == "local.playback.started":
            # (over WebRTC the audio may play before output_audio_buffer.started arrives on
            # the data channel: the first playback after the end of the turn is its answer's;
            # of the earliest turn still waiting for its answer, which plays first)
            self._speaker = True
            for turn in self._open_turns() if self._owed else (self._turn,):
                if turn is not None and turn.played is None and now >= turn.end:
                    turn.played = now
                    self._maybe_report(turn)
                    break
        elif kind == "local.bargein.paused":
            self._barge.local_paused(now, event.get("speech_ms"), self._sounding or self._active)
        elif kind == "local.bargein.resumed":
            self._barge.local_resumed()
        elif kind == "local.playback.drained":
            self._sounding = None
            self._speaker = False
            for turn in self._open_turns() if self._owed else (self._turn,):
                if turn is not None and turn.played is None:
                    self._maybe_report(turn, played_or_not=True)

    def _tool_output(self, now: float, call_id: Any) -> None:
        if not isinstance(call_id, str):
            return
        for turn in self._open_turns() if self._owed else (self._turn,):
            tool = None if turn is None else turn.tools.get(call_id)
            if tool is not None and tool.end is None:
                tool.end = now


def _typed(item: Mapping[str, Any]) -> bool:
    """A user message with text in it (a typed turn, not audio or a picture alone)."""
    content = item.get("content")
    if not isinstance(content, list):
        return False
    return any(isinstance(part, Mapping) and part.get("type") in ("input_text", "text")
               for part in content)
