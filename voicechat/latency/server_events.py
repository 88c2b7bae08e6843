"""The turn timeline's reading of the server's events: the end of a turn, the response, the
first text and audio, tool calls, the end of playback over WebRTC, an interruption's onset.

Each handler takes ``(now, event)`` (the session core calls them straight from
:attr:`~voicechat.latency.turn_tracking.TurnTracking.wants`) and, where it changes what the
filters read, brings them up to date itself (``_rewant``) rather than the timeline
recomputing them after every event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voicechat.latency.turn_state import ToolCall, TurnState
from voicechat.latency.turn_tracking import TurnTracking


class ServerEvents(TurnTracking):
    """The handlers of the server events the timeline reads (see the module docstring)."""

    def _side_output(self, event: Mapping[str, Any]) -> bool:
        """The event is an out-of-band response's output: it answers no turn."""
        rid = event.get("response_id")
        return isinstance(rid, str) and rid in self._side  # (a log may hold anything there)

    def _session(self, now: float, event: Mapping[str, Any]) -> None:
        self._facts.server_session(event.get("session"))

    def _speech_stopped(self, now: float, event: Mapping[str, Any]) -> None:
        self._end(now, "speech_stopped")

    def _speech_started(self, now: float, event: Mapping[str, Any]) -> None:
        self._barge.server_onset(now, self._active or self._sounding)

    def _committed(self, now: float, event: Mapping[str, Any]) -> None:
        turn = self._turn
        if turn is not None and turn.committed is None and turn.created is None:
            turn.committed = now

    def _created(self, now: float, event: Mapping[str, Any]) -> None:
        response = event.get("response")
        if not isinstance(response, dict):  # (events are JSON objects: dict, not the ABC)
            return
        rid = response.get("id")
        rid = rid if isinstance(rid, str) else None
        if "conversation_id" in response and response["conversation_id"] is None:
            if rid:
                self._side.add(rid)
            return
        self._active = rid
        self._audio_pending = True
        self._rewant()
        turn = self._turn
        if turn is None or turn.done is not None:
            return
        if turn.created is None:
            turn.created = now
        if rid:
            turn.responses.add(rid)

    def _audio(self, now: float, event: Mapping[str, Any]) -> None:
        """The answer's audio: a WebSocket delta, or WebRTC's output_audio_buffer.started."""
        if self._side and self._side_output(event):
            return
        if event.get("type") == "output_audio_buffer.started":
            self._webrtc = True
        rid = event.get("response_id")
        self._sounding = rid if isinstance(rid, str) else self._active
        self._audio_pending = False
        turn = self._owner(rid)
        if turn is not None and turn.first_audio is None and (
                turn.owns(rid)):
            if self._owed:
                self._skip_unplayed(turn)
            turn.first_audio = now
            if turn.clock == "audio" and now <= turn.end:
                # on the mic-audio clock, no audio ran between the end and the answer: this
                # turn can never be timed (report.is_timed), so it is dropped now rather than
                # followed to its response.done (a log of bare events without times)
                self._turn = None
                self.untimeable += 1
                self._rewant()
                return
            turn.queued_locally = self._speaker and turn.played is None
            turn.audio_response = rid if isinstance(rid, str) else self._active
            item_id = event.get("item_id")
            if isinstance(item_id, str) and turn.audio_response is not None:
                turn.items.setdefault(turn.audio_response, item_id)
            self._maybe_report(turn)
        self._rewant()

    def _skip_unplayed(self, sounding: TurnState | None) -> None:
        """Answers play in the order they were made: the earlier turns still waiting for
        their audio when a later answer's starts will hear none (a log that never shows it)."""
        for owed in list(self._owed):
            if owed is sounding:
                return
            if owed.first_audio is None:
                self._owed.remove(owed)

    def _text(self, now: float, event: Mapping[str, Any]) -> None:
        rid = event.get("response_id")
        turn = self._owner(rid)
        if turn is not None and turn.first_text is None:
            if self._side and self._side_output(event):
                return
            if turn.owns(rid):
                turn.first_text = now
                self._rewant()

    def _item_done(self, now: float, event: Mapping[str, Any]) -> None:
        """A tool call completed, or the answer's message item (its id: where the transcript
        shows the answer). Read here rather than on ``output_item.added``: the done comes
        before the response's ``response.done``, which a turn is reported on, and one event
        handed over per item instead of two is cheaper for the session core."""
        rid = event.get("response_id")
        turn = self._owner(rid)
        item = event.get("item")
        if turn is None or not isinstance(item, dict) or (self._side and self._side_output(event)):
            return
        if not (turn.owns(rid)):
            return
        item_type = item.get("type")
        if item_type == "message":
            item_id = item.get("id")
            if isinstance(rid, str) and isinstance(item_id, str):
                turn.items.setdefault(rid, item_id)
        elif item_type == "function_call":
            call_id, name = item.get("call_id"), item.get("name")
            if isinstance(rid, str):
                turn.calling.add(rid)
            if isinstance(call_id, str) and call_id not in turn.tools:
                turn.tools[call_id] = ToolCall(name if isinstance(name, str) else "?", now)

    def _buffer_stopped(self, now: float, event: Mapping[str, Any]) -> None:
        if self._side and self._side_output(event):
            return
        self._webrtc = True
        self._sounding = None
        for turn in self._open_turns() if self._owed else (self._turn,):
            if turn is None:
                continue
            if turn.behind and turn.first_audio is None:
                # the latest stop before its own audio: it waited for every answer before it
                turn.prior_stop = now
            if turn.played is None:
                self._maybe_report(turn, played_or_not=True)
        self._rewant()

    def _done(self, now: float, event: Mapping[str, Any]) -> None:
        response = event.get("response")
        if isinstance(response, dict):
            rid, status = response.get("id"), response.get("status")
        else:
            rid = status = None
        if isinstance(rid, str) and rid in self._side:
            self._side.discard(rid)
            return
        if rid == self._active or not isinstance(rid, str):
            self._active = None
        self._barge.response_done(now, status, self.completed)
        turn = self._owner(rid)
        if turn is not None and turn.done is None and (
                turn.owns(rid)):
            self._turn_done(now, turn, rid, response, status)
        self._rewant()

    def _turn_done(self, now: float, turn: TurnState, rid: Any, response: Any,
                   status: Any) -> None:
        """The response that ended is ``turn``'s: it is done, unless it only called a tool
        or its audio is another response's."""
        if turn.first_audio is None:
            if _calls_a_tool(response) or (isinstance(rid, str) and rid in turn.calling):
                return  # the answer comes in the response after the tool's output
            turn.unanswered = status in ("cancelled", "failed") or _no_audio(response)
            if turn.unanswered and turn is not self._turn:
                self._drop(turn)  # an earlier turn whose answer will never sound
                return
        elif turn.audio_response is not None and rid != turn.audio_response:
            return
        # (over WebRTC the audio of an answer queued behind another may start after its
        # response.done: the turn is reported once it does)
        turn.done = now
        self._maybe_report(turn)


def _no_audio(response: Any) -> bool:
    """A ``response.done``'s response whose output shows a message and no audio in it (an
    answer in text only): no audio is to come for it. An output the log does not show (cut,
    or filtered) says nothing."""
    output = response.get("output") if isinstance(response, dict) else None
    if not isinstance(output, list):
        return False
    parts: list[Any] = []
    for item in output:
        if isinstance(item, dict) and item.get("type") == "message":
            content = item.get("content")
            if isinstance(content, list):
                parts.extend(content)
    return bool(parts) and not any(
        isinstance(part, dict) and part.get("type") in ("output_audio", "audio")
        for part in parts)


def _calls_a_tool(response: Any) -> bool:
    """A ``response.done``'s response whose output holds a function call."""
    output = response.get("output") if isinstance(response, dict) else None
    return isinstance(output, list) and any(
        isinstance(item, dict) and item.get("type") == "function_call" for item in output)
