"""What the observer knows about one watched session, built from its events (no widgets here).

Events arrive in either dialect; :class:`~voicechat.eventlog.dialects.DialectTracker` maps each
to the GA shape once, so this module reads one vocabulary. The state is kept small and bounded
(turns, VAD segments and responses are capped) because a proxy may watch a session for hours.
Every text that came from the wire passes through :func:`~voicechat.protocol.text.printable`
when it is stored, so the panes never see a control character.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from voicechat.eventlog.dialects import DialectTracker
from voicechat.eventlog.record import LogRecord
from voicechat.eventlog.summary import (
    arguments_text,
    mcp_list_text,
    mcp_tool_text,
    name_text,
    output_text,
)
from voicechat.observe.feed import ProblemSeen, SessionKind
from voicechat.protocol.text import printable
from voicechat.ui.observer.gemini_pieces import pieces

MAX_TURNS = 200
MAX_SEGMENTS = 50
MAX_RESPONSES = 50
MAX_PROBLEMS = 50


def _clean(text: str) -> str:
    """A finished text on one line (transcripts often end in a newline), made printable."""
    return printable(" ".join(text.split()))


@dataclass
class Turn:
    """One line of the transcript, keyed by its conversation item id: a user or assistant
    message, or a tool's part of the conversation (a call and its output, an MCP call, an
    approval asked, the tools an MCP server listed)."""

    role: str  # "user" | "assistant" | "call" | "output" | "mcp" | "approval"
    text: str = ""
    final: bool = False
    note: str = ""  # "transcription failed", "cut off at 1860 ms", "cancelled", "approved"
    result: str = ""  # a call's output or error, as shown after its arrow
    done_t: float | None = None  # when a function call completed (for the time to answer it)
    latency: str = ""  # an answer: how long it took to start, and where (issue 39)


@dataclass
class VadSegment:
    """One stretch of speech the server's VAD heard: session times and audio positions."""

    item_id: str
    started_t: float
    start_ms: int | None
    stopped_t: float | None = None
    end_ms: int | None = None


@dataclass
class ResponseState:
    response_id: str
    status: str  # in_progress, completed, cancelled, failed, incomplete
    reason: str = ""
    t: float = 0.0


@dataclass
class SessionState:
    """Transcript, VAD segments, responses and problems of one watched session."""

    session: str
    label: str
    kind: SessionKind | str
    opened_t: float
    closed_by: str = ""
    close_reason: str = ""
    turns: OrderedDict[str, Turn] = field(default_factory=OrderedDict)
    segments: list[VadSegment] = field(default_factory=list)
    responses: OrderedDict[str, ResponseState] = field(default_factory=OrderedDict)
    problems: list[ProblemSeen] = field(default_factory=list)
    events: int = 0
    _dialect: DialectTracker = field(default_factory=DialectTracker)
    _calls: OrderedDict[str, str] = field(default_factory=OrderedDict)  # call_id → item id
    _gemini_turn: int = 0  # Gemini frames carry no ids: the transcript numbers its turns

    @property
    def closed(self) -> bool:
        return bool(self.closed_by)

    def add_latency(self, item_id: str | None, line: str) -> None:
        """An answer's latency (or a barge-in's timing), shown under that answer."""
        turn = self.turns.get(item_id) if item_id is not None else None
        if turn is not None:
            turn.latency = _clean(line)

    def add_problem(self, problem: ProblemSeen) -> None:
        self.problems.append(problem)
        del self.problems[:-MAX_PROBLEMS]

    def add_record(self, record: LogRecord) -> None:
        """Fold one event into the transcript, the VAD segments and the response states."""
        self.events += 1
        if record.dir == "local":
            return
        if "type" not in record.event:  # a Gemini Live frame, recorded as it came
            self._gemini(record.event, record.dir, record.t)
            return
        event = self._dialect.canonical(record.event, record.dir)
        kind = event.get("type")
        if record.dir == "in" and isinstance(kind, str):
            handler = _HANDLERS.get(kind)
            if handler is not None:
                handler(self, event, record.t)
        elif kind == "conversation.item.create":
            self._app_item(event, record.t)

    # --- transcript -----------------------------------------------------------------------

    def _gemini(self, frame: dict[str, Any], direction: str, t: float) -> None:
        """Fold a Gemini frame's pieces in: text joins this turn's user or model line until
        the model's turn ends; tool calls and their answers are shown like Realtime's."""
        for piece in pieces(frame, direction):
            if piece.kind in ("user", "assistant"):
                turn = self._turn(f"gemini-{self._gemini_turn}-{piece.kind}", piece.kind)
                if turn is not None and not turn.final:
                    turn.text += printable(piece.text.replace("\n", " "))
            elif piece.kind == "end":
                for role in ("user", "assistant"):
                    turn = self.turns.get(f"gemini-{self._gemini_turn}-{role}")
                    if turn is not None:
                        turn.text, turn.final = _clean(turn.text), True
                        if role == "assistant" and piece.note:
                            turn.note = piece.note
                self._gemini_turn += 1
            elif piece.kind == "call":
                self._function_call({"id": f"gemini-call-{piece.call_id}", "type":
                                     "function_call", "call_id": piece.call_id,
                                     "name": piece.name, "arguments": piece.text}, t)
            else:
                self._function_output({"call_id": piece.call_id, "output": piece.text}, t)

    def _turn(self, item_id: Any, role: str) -> Turn | None:
        if not isinstance(item_id, str) or not item_id:
            return None
        turn = self.turns.get(item_id)
        if turn is None:
            turn = self.turns[item_id] = Turn(role)
            while len(self.turns) > MAX_TURNS:
                self.turns.popitem(last=False)
        return turn

    def _item(self, event: dict[str, Any], t: float) -> None:
        item = event.get("item")
        if not isinstance(item, dict) or item.get("type") != "message":
            self._tool_item(event, t)
            return
        role = item.get("role")
        if role not in ("user", "assistant"):
            return
        turn = self._turn(item.get("id"), role)
        if turn is None or turn.final:
            return
        for part in item.get("content") or []:
            if not isinstance(part, dict):
                continue
            text = part.get("text") if part.get("type") in ("input_text", "output_text",
                                                           "text") else part.get("transcript")
            if isinstance(text, str) and text:
                turn.text = _clean(text)
                turn.final = True
                return

    def _delta(self, event: dict[str, Any], t: float) -> None:
        role = "user" if "input_audio_transcription" in str(event.get("type")) else "assistant"
        turn = self._turn(event.get("item_id"), role)
        delta = event.get("delta")
        if turn is not None and not turn.final and isinstance(delta, str):
            turn.text += printable(delta.replace("\n", " "))

    def _done(self, event: dict[str, Any], t: float) -> None:
        kind = str(event.get("type"))
        role = "user" if "input_audio_transcription" in kind else "assistant"
        turn = self._turn(event.get("item_id"), role)
        text = event.get("text") if kind == "response.output_text.done" else \
            event.get("transcript")
        if turn is not None and isinstance(text, str):
            turn.text = _clean(text)
            turn.final = True

    def _transcription_failed(self, event: dict[str, Any], t: float) -> None:
        turn = self._turn(event.get("item_id"), "user")
        if turn is not None:
            turn.final = True
            turn.note = "transcription failed"

    def _truncated(self, event: dict[str, Any], t: float) -> None:
        turn = self.turns.get(str(event.get("item_id")))
        if turn is not None:
            turn.note = f"cut off at {event.get('audio_end_ms', '?')} ms"

    # --- tools ----------------------------------------------------------------------------

    def _tool_item(self, event: dict[str, Any], t: float) -> None:
        """A call, its output, an MCP listing, call or approval: one transcript line each,
        updated as the item completes and its answer arrives (from the app or the server's
        echo of it, whichever comes first)."""
        item = event.get("item")
        kind = item.get("type") if isinstance(item, dict) else None
        handler = _TOOL_ITEMS.get(kind) if isinstance(kind, str) else None
        if handler is not None:
            assert isinstance(item, dict)
            handler(self, item, t)
            if kind == "function_call" and item.get("status") == "completed" \
                    and event.get("type") == "response.output_item.done":
                turn = self.turns.get(str(item.get("id")))
                if turn is not None and turn.done_t is None:
                    turn.done_t = t  # completed by the model: the time to answer starts

    def _app_item(self, event: dict[str, Any], t: float) -> None:
        """The app answers a call or an approval (other items it creates, such as history
        seeded into a new session, show when the server echoes them)."""
        item = event.get("item")
        if isinstance(item, dict) and item.get("type") in ("function_call_output",
                                                           "mcp_approval_response"):
            self._tool_item(event, t)

    def _function_call(self, item: dict[str, Any], t: float) -> None:
        turn = self._turn(item.get("id"), "call")
        if turn is None:
            return
        call_id = item.get("call_id")
        if isinstance(call_id, str):
            self._calls[call_id] = str(item["id"])
            while len(self._calls) > MAX_TURNS:
                self._calls.popitem(last=False)
        arguments = item.get("arguments")
        shown = f" {arguments_text(arguments, 60)}" if arguments else ""
        turn.text = printable(f"{name_text(item.get('name'))}{shown}")

    def _function_output(self, item: dict[str, Any], t: float) -> None:
        call_id = item.get("call_id")
        key = self._calls.get(call_id) if isinstance(call_id, str) else None
        turn = self.turns.get(key) if key is not None else None
        if turn is None:  # an output for a call this session never showed
            turn = self._turn(item.get("id") or f"output-{call_id}", "output")
            if turn is None or turn.final:
                return
            turn.text = printable(f"for {call_id if isinstance(call_id, str) else '?'}")
        elif turn.final:
            return
        took = "" if turn.done_t is None else f", {max(0.0, t - turn.done_t):.2f} s"
        shown = output_text(item.get("output"), 60)
        turn.result = printable(shown[:-1] + took + ")" if took else shown)
        turn.final = True

    def _mcp_list(self, item: dict[str, Any], t: float) -> None:
        turn = self._turn(item.get("id"), "mcp")
        if turn is not None:
            turn.text = printable(mcp_list_text(item).removeprefix("mcp "))
            turn.final = isinstance(item.get("tools"), list)

    def _mcp_call(self, item: dict[str, Any], t: float) -> None:
        turn = self._turn(item.get("id"), "mcp")
        if turn is None:
            return
        arguments = item.get("arguments")
        shown = f" {arguments_text(arguments, 60)}" if arguments else ""
        turn.text = printable(mcp_tool_text(item) + shown)
        error, output = item.get("error"), item.get("output")
        if error:
            message = error.get("message") if isinstance(error, dict) else error
            turn.result = printable(f"error: {arguments_text(str(message or error), 60)}")
            turn.final = True
        elif output is not None:
            turn.result = printable(output_text(output, 60))
            turn.final = True

    def _approval_request(self, item: dict[str, Any], t: float) -> None:
        turn = self._turn(item.get("id"), "approval")
        if turn is not None and not turn.text:
            arguments = item.get("arguments")
            shown = f" {arguments_text(arguments, 60)}" if arguments else ""
            turn.text = printable(mcp_tool_text(item) + shown)

    def _approval_response(self, item: dict[str, Any], t: float) -> None:
        asked = item.get("approval_request_id")
        turn = self.turns.get(asked) if isinstance(asked, str) else None
        if turn is None or turn.role != "approval" or turn.final:
            return
        reason = item.get("reason")
        verdict = "approved" if item.get("approve") is True else "denied"
        turn.note = printable(f"{verdict}: {reason}" if isinstance(reason, str) and reason
                              else verdict)
        turn.final = True

    def _tool_failed(self, event: dict[str, Any], t: float) -> None:
        """``mcp_list_tools.failed`` / ``response.mcp_call.failed``: the item says no more."""
        turn = self.turns.get(str(event.get("item_id")))
        if turn is not None:
            turn.note = "failed"
            turn.final = True

    def _calls_ended(self, response: dict[str, Any]) -> None:
        """A call its response left unfinished (cancelled by a barge-in, cut by a limit) will
        never be answered as such: say so on its line."""
        for item in response.get("output") or ():
            if isinstance(item, dict) and item.get("type") == "function_call":
                turn = self.turns.get(str(item.get("id")))
                status = item.get("status")
                if turn is not None and status not in ("completed", None):
                    turn.note = printable(str(status))

    # --- VAD ------------------------------------------------------------------------------

    def _speech_started(self, event: dict[str, Any], t: float) -> None:
        item_id = str(event.get("item_id", ""))
        start = event.get("audio_start_ms")
        self.segments.append(VadSegment(item_id, t, start if isinstance(start, int) else None))
        del self.segments[:-MAX_SEGMENTS]
        self._turn(item_id, "user")  # the user's turn takes its place before the answer

    def _speech_stopped(self, event: dict[str, Any], t: float) -> None:
        item_id = str(event.get("item_id", ""))
        end = event.get("audio_end_ms")
        for segment in reversed(self.segments):
            if segment.item_id == item_id and segment.stopped_t is None:
                segment.stopped_t = t
                segment.end_ms = end if isinstance(end, int) else None
                return

    # --- responses ------------------------------------------------------------------------

    def _response(self, event: dict[str, Any], t: float) -> None:
        response = event.get("response")
        if not isinstance(response, dict) or not isinstance(response.get("id"), str):
            return
        details = response.get("status_details")
        reason = ""
        if isinstance(details, dict):
            error = details.get("error")
            code = error.get("code") if isinstance(error, dict) else None
            reason = str(details.get("reason") or code or "")
        rid = response["id"]
        if event.get("type") == "response.done":
            self._calls_ended(response)
        self.responses[rid] = ResponseState(rid, printable(str(response.get("status", "?"))),
                                            printable(reason), t)
        self.responses.move_to_end(rid)
        while len(self.responses) > MAX_RESPONSES:
            self.responses.popitem(last=False)


_HANDLERS = {
    "conversation.item.added": SessionState._item,
    "conversation.item.done": SessionState._item,
    "conversation.item.input_audio_transcription.delta": SessionState._delta,
    "conversation.item.input_audio_transcription.completed": SessionState._done,
    "conversation.item.input_audio_transcription.failed": SessionState._transcription_failed,
    "conversation.item.truncated": SessionState._truncated,
    "response.output_audio_transcript.delta": SessionState._delta,
    "response.output_text.delta": SessionState._delta,
    "response.output_audio_transcript.done": SessionState._done,
    "response.output_text.done": SessionState._done,
    "input_audio_buffer.speech_started": SessionState._speech_started,
    "input_audio_buffer.speech_stopped": SessionState._speech_stopped,
    "response.created": SessionState._response,
    "response.done": SessionState._response,
    "response.output_item.added": SessionState._tool_item,
    "response.output_item.done": SessionState._tool_item,
    "mcp_list_tools.failed": SessionState._tool_failed,
    "response.mcp_call.failed": SessionState._tool_failed,
}

_TOOL_ITEMS = {
    "function_call": SessionState._function_call,
    "function_call_output": SessionState._function_output,
    "mcp_list_tools": SessionState._mcp_list,
    "mcp_call": SessionState._mcp_call,
    "mcp_tool_call": SessionState._mcp_call,
    "mcp_approval_request": SessionState._approval_request,
    "mcp_approval_response": SessionState._approval_response,
}
