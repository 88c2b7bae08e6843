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
from voicechat.observe.feed import ProblemSeen, SessionKind
from voicechat.protocol.text import printable

MAX_TURNS = 200
MAX_SEGMENTS = 50
MAX_RESPONSES = 50
MAX_PROBLEMS = 50


def _clean(text: str) -> str:
    """A finished text on one line (transcripts often end in a newline), made printable."""
    return printable(" ".join(text.split()))


@dataclass
class Turn:
    """One user or assistant message, keyed by its conversation item id."""

    role: str  # "user" | "assistant"
    text: str = ""
    final: bool = False
    note: str = ""  # "transcription failed", "cut off at 1860 ms"


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

    @property
    def closed(self) -> bool:
        return bool(self.closed_by)

    def add_problem(self, problem: ProblemSeen) -> None:
        self.problems.append(problem)
        del self.problems[:-MAX_PROBLEMS]

    def add_record(self, record: LogRecord) -> None:
        """Fold one event into the transcript, the VAD segments and the response states."""
        self.events += 1
        if record.dir == "local":
            return
        event = self._dialect.canonical(record.event, record.dir)
        kind = event.get("type")
        if record.dir == "in" and isinstance(kind, str):
            handler = _HANDLERS.get(kind)
            if handler is not None:
                handler(self, event, record.t)

    # --- transcript -----------------------------------------------------------------------

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
}
