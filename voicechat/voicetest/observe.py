"""What one turn of a scenario run looked like, read from the runtime's records, per family.

The runner subscribes an :class:`TurnObserver` to the runtime's record stream (the same records
``--record`` writes and the doctor reads) and opens a window per turn (:meth:`begin`). What
falls in the window makes the turn's observation:

* the reply: the assistant's finished transcripts (Realtime: ``response.output_audio_transcript
  .done`` and the text variants, in either dialect; GPT-Live and Gemini Live: the turns their
  runtimes close, ``local.live.turn`` / ``local.gemini.turn``, speaker ``assistant``);
* what was heard of the user: the server's transcript of the turn's speech (Realtime's
  ``…input_audio_transcription.completed``; the other families' user turns);
* the tool calls as the model made them, with their arguments as written: Realtime's
  ``response.output_item.done`` items of type ``function_call`` (MCP calls the server runs are
  not the client's tools), Gemini's ``toolCall.functionCalls``;
* whether an answer was cut: the client flushed its playback (``local.playback.flushed``, all
  families), or sent a truncate, a cancel or a clear, or the family's runtime marked a turn
  interrupted;
* the turn timeline's figure (``local.turn.latency``, Realtime only) with its stages.

Read from the wire and the runtime's records, not from the tools that ran: a call to a tool
the scenario did not declare is still a call the model made.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from voicechat.eventlog.record import LogRecord
from voicechat.latency.model import TURN_RECORD
from voicechat.protocol.gemini import names as gemini_names
from voicechat.protocol.gemini import spelling
from voicechat.scenario.checks import ObservedCall

ASSISTANT_DONE = frozenset({"response.output_audio_transcript.done",
                            "response.audio_transcript.done", "response.output_text.done",
                            "response.text.done"})
USER_DONE = "conversation.item.input_audio_transcription.completed"
USER_COMMITTED = "input_audio_buffer.committed"  # a part of the caller's turn taken in
USER_STARTED = "input_audio_buffer.speech_started"  # the server heard the caller begin
CUT_SENT = frozenset({"conversation.item.truncate", "response.cancel",
                      "output_audio_buffer.clear"})
FAMILY_TURNS = frozenset({"local.live.turn", "local.gemini.turn"})


@dataclass
class Answer:
    """One answer's transcript as it finished, and which part of its turn it answered."""

    text: str
    part: int = 0  # the caller's utterances in the turn's window before the answer began


@dataclass
class TurnWindow:
    """Everything one turn's window caught."""

    answers: list[Answer] = field(default_factory=list)
    heard: list[str] = field(default_factory=list)
    calls: list[ObservedCall] = field(default_factory=list)
    cut: list[str] = field(default_factory=list)  # how the answer was cut, as seen
    latency: dict[str, Any] | None = None  # the first local.turn.latency record
    errors: list[str] = field(default_factory=list)
    parts: int = 0  # the caller's utterances the server took in, in this window
    speech: bool = False  # the server said it heard the caller begin to speak

    @property
    def caller_heard(self) -> bool:
        """Whether anything shows the server heard the caller in this window: the hint for an
        interruption that never happened (a caller too quiet to be heard)."""
        return self.speech or self.parts > 0 or bool(self.heard)

    @property
    def reply(self) -> str:
        """The turn's answer: its answers' transcripts, less those :attr:`superseded`."""
        last = self._last_part()
        return " ".join(a.text.strip() for a in self.answers
                        if a.part == last and a.text.strip())

    @property
    def superseded(self) -> list[str]:
        """Answers to an earlier part of the turn: the server's VAD ended the caller's turn at
        a pause ("Hello." … "One moment please.", or espeak's comma), answered, and the caller
        went on. The turn was answered by what came after its last part; checking a false
        start's words against the reply (CI once read "You You said: one moment please")
        would test where the caller paused, not the agent. Listed in the report instead."""
        last = self._last_part()
        return [a.text.strip() for a in self.answers if a.part < last and a.text.strip()]

    def _last_part(self) -> int:
        return max((a.part for a in self.answers if a.text.strip()), default=0)


class TurnObserver:
    """Sorts records into the windows of the turns run so far (``record`` is the subscriber).

    A record goes to the window of the turn being run, except what belongs to an earlier
    turn's answer: Realtime's transcripts and calls go to the turn whose window saw their
    response created (an answer cut by the next turn finishes in that turn's window), and a
    family turn record that arrives marked interrupted while an interrupting turn runs is the
    cut answer of the turn before it."""

    def __init__(self) -> None:
        self.windows: list[TurnWindow] = [TurnWindow()]
        self._interrupting = False
        #: response id -> (the window it was created in, that window's part then)
        self._responses: dict[str, tuple[int, int]] = {}
        self._seen_items: set[str] = set()

    @property
    def window(self) -> TurnWindow:
        return self.windows[-1]

    def begin(self, *, interrupting: bool = False) -> TurnWindow:
        """Open the next turn's window (``interrupting``: that turn speaks over an answer)."""
        self.windows.append(TurnWindow())
        self._interrupting = interrupting
        return self.windows[-1]

    def _owner(self, event: Mapping[str, Any]) -> TurnWindow:
        created = self._created(event)
        return self.windows[created[0]] if created is not None else self.window

    def _created(self, event: Mapping[str, Any]) -> tuple[int, int] | None:
        """Where the response of ``event`` was created: (its window, that window's part)."""
        rid = event.get("response_id")
        if rid is None and isinstance(event.get("response"), Mapping):
            rid = event["response"].get("id")
        return self._responses.get(str(rid)) if rid is not None else None

    def record(self, record: LogRecord) -> None:
        event = record.event
        kind = event.get("type")
        window = self.window
        if record.dir == "in":
            if kind is None:
                self._gemini_frame(event)
            elif kind == "response.created":
                response = event.get("response")
                if isinstance(response, Mapping) and response.get("id") is not None:
                    self._responses[str(response["id"])] = (len(self.windows) - 1,
                                                             window.parts)
            elif kind in ASSISTANT_DONE:
                text = event.get("transcript", event.get("text", ""))
                created = self._created(event)
                owner, part = (self.windows[created[0]], created[1]) if created is not None \
                    else (window, window.parts)
                owner.answers.append(Answer(str(text), part))
            elif kind == USER_COMMITTED:
                window.parts += 1
            elif kind == USER_STARTED:
                window.speech = True
            elif kind == USER_DONE:
                window.heard.append(str(event.get("transcript", "")))
            elif kind == "response.output_item.done":
                self._item(event.get("item"), self._owner(event))
            elif kind == "error":
                error = event.get("error")
                if isinstance(error, Mapping):
                    window.errors.append(str(error.get("message", "")))
        elif record.dir == "out":
            if kind in CUT_SENT:
                window.cut.append(str(kind))
        elif kind in FAMILY_TURNS:
            text = str(event.get("text", ""))
            cut = bool(event.get("interrupted"))
            if event.get("speaker") == "assistant":
                owner = self.windows[-2] if cut and self._interrupting and \
                    len(self.windows) > 1 else window
                owner.answers.append(Answer(text, owner.parts))
            else:
                window.heard.append(text)
                window.parts += 1
            if cut:
                window.cut.append(f"{kind} interrupted")
        elif kind == "local.live.interrupted" or kind == "local.playback.flushed":
            window.cut.append(str(kind))
        elif kind == TURN_RECORD:
            owner = self._owner(event)
            if owner.latency is None:
                owner.latency = dict(event)

    def _item(self, item: Any, owner: TurnWindow) -> None:
        if not isinstance(item, Mapping) or item.get("type") != "function_call":
            return
        item_id = str(item.get("id") or item.get("call_id") or "")
        if item_id and item_id in self._seen_items:
            return
        self._seen_items.add(item_id)
        owner.calls.append(ObservedCall(str(item.get("name", "")),
                                        str(item.get("arguments") or "")))

    def _gemini_frame(self, frame: Mapping[str, Any]) -> None:
        body = spelling.get(frame, gemini_names.TOOL_CALL)
        if not isinstance(body, Mapping):
            return
        calls = spelling.get(body, "functionCalls")
        for call in calls if isinstance(calls, list) else ():
            if isinstance(call, Mapping):
                args = spelling.get(call, "args") or {}
                self.window.calls.append(ObservedCall(str(spelling.get(call, "name", "")),
                                                      json.dumps(args)))
