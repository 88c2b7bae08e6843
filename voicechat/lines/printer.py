"""What a ``--no-ui`` run prints: the conversation by default, the event flow with ``--events``.

The conversation (decided for issue 36, item 10; the same kind of lines for every API family):
``user: …`` for each typed line and each transcript of the user's speech, ``assistant: …`` for
each finished answer, then ``latency: …`` (how long the answer took to start and where the
time went, issue 39; ``latency of '…':`` names its answer when later ones were printed
before it started to sound, issue 55), one ``tool …`` line per tool call (its source,
outcome and time), each notice whole (its fix is at the end) and each server ``error``. What
the runtime records feeds it, so the lines say what happened on the wire, not what was meant
to be sent.

The event flow (``--events``): one line per event, as before issue 36, for scripts, CI and
debugging. Audio payload events (``input_audio_buffer.append``, audio deltas) and streaming
text deltas are left out (dozens per second would drown the lines that matter); the finished
transcripts are printed, GPT-Live's as the turns the runtime closed (``local.live.turn``).

Everything from the wire has its control characters shown as escapes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from voicechat.conversation.seed import SeedPlan, is_earlier
from voicechat.eventlog.gemini_frames import frame_label
from voicechat.eventlog.record import LogRecord
from voicechat.eventlog.summarizer import Summarizer
from voicechat.eventlog.summary import QUIET_TYPES, summarize
from voicechat.latency.model import TURN_RECORD, turn_from_json
from voicechat.latency.text import turn_line
from voicechat.protocol.gemini.family import side_of
from voicechat.protocol.providers import is_benign_race
from voicechat.protocol.text import printable

ARROWS = {"in": "<-", "out": "->", "local": "::"}
#: how the GPT-Live runtime hands a typed line to the model (``LiveRuntime.send_text``)
ASSISTANT_DONE = frozenset({"response.output_audio_transcript.done",
                            "response.audio_transcript.done", "response.output_text.done",
                            "response.text.done"})
#: left out of the event flow too: GPT-Live's transcript fragments (its turns are printed)
QUIET = QUIET_TYPES | {"session.input_transcript.delta", "session.output_transcript.delta"}
#: the turns a runtime closed from transcript fragments: GPT-Live's and Gemini Live's
TURN_RECORDS = frozenset({"local.live.turn", "local.gemini.turn"})
USER_SPEECH_DONE = "conversation.item.input_audio_transcription.completed"
#: error notices the conversation printer remembers, to leave out a server error one of them
#: already explained (a refusal is said once; a long run's notices must not pile up)
EXPLAINED_KEPT = 20
#: answers the conversation printer remembers until their latency line comes
ANSWERS_KEPT = 20
#: how much of an answer a latency line that comes after a later answer quotes
ANSWER_QUOTED = 40


def event_line(record: LogRecord, summarizer: Summarizer | None = None) -> str | None:
    """One readable line per record, or ``None`` for the high-rate events we do not print.

    ``summarizer``: the run's memory across events, so a tool output says which tool it
    answers and how long the answer took (without one, each line stands alone).
    """
    event = record.event
    kind = str(event.get("type", "?"))
    if kind in QUIET:
        return None
    if "type" not in event and side_of(event) is not None:
        shown = frame_label(event)
        return None if shown is None else f"{record.t:8.2f} {ARROWS.get(record.dir, '  ')} " \
                                          f"{printable(shown)}"
    if kind == "local.notice":  # whole: the fix is at the end of the message
        text = f"notice {event.get('level', 'info')}: {event.get('message', '')}"
    elif kind in TURN_RECORDS:
        cut = " (interrupted)" if event.get("interrupted") else ""
        text = f"{event.get('speaker')}{cut}: {event.get('text', '')!r}"
    elif kind == "local.live.interrupted":  # a turn printed whole, found cut afterwards
        text = f"{event.get('speaker')} was interrupted; heard: {event.get('heard', '')!r}"
    elif summarizer is not None:
        text = summarizer.summarize(record)
    else:
        text = summarize(event)
    return f"{record.t:8.2f} {ARROWS.get(record.dir, '  ')} {printable(text)}"


def conversation_line(record: LogRecord) -> str | None:
    """The record as a line of the conversation, or ``None`` when it is not one."""
    text = _conversation_text(record.dir, record.event)
    return None if text is None else printable(text)


def _conversation_text(direction: str, event: Mapping[str, Any]) -> str | None:
    kind = event.get("type")
    if kind == "local.notice":
        return f"notice {event.get('level', 'info')}: {event.get('message', '')}"
    if direction == "out":
        if kind == "conversation.item.create":
            return _typed(event.get("item"))
        return None  # a GPT-Live typed line is the user turn the core closes at once
    if direction == "in":
        if kind == USER_SPEECH_DONE:
            return f"user: {event.get('transcript', '')}"
        if kind in ASSISTANT_DONE:
            said = event.get("transcript", event.get("text", ""))
            return f"assistant: {said}"
        if kind == "error":
            error = event.get("error")
            error = error if isinstance(error, Mapping) else {}
            if is_benign_race(error):  # a cancel after the end: the core's notice says so
                return None
            code = f" ({error['code']})" if error.get("code") else ""
            return f"error{code}: {error.get('message', '')}"
        if kind == "response.output_item.done":
            return _hosted_tool(event.get("item"))
        if kind == "response.done":
            return _cut_short(event.get("response"))
        return None
    if kind in TURN_RECORDS:
        cut = " (interrupted)" if event.get("interrupted") else ""
        return f"{event.get('speaker')}{cut}: {event.get('text', '')}"
    if kind == "local.live.interrupted":
        return f"{event.get('speaker')} was interrupted; heard: {event.get('heard', '')}"
    if kind == "local.tool.finished":
        took = event.get("duration_ms")
        took_text = f" in {took} ms" if isinstance(took, int | float) else ""
        return f"tool {event.get('name')} ({event.get('source', '?')}): " \
               f"{event.get('outcome')}{took_text}"
    if kind == "local.tool.skipped":
        return f"tool {event.get('name')}: skipped ({event.get('reason', '')})"
    if kind == TURN_RECORD:  # after each answer: how long it took to start, and where
        turn = turn_from_json(dict(event))
        return None if turn is None else f"latency: {turn_line(turn)}"
    return None


def _typed(item: Any) -> str | None:
    """A typed user message (``conversation.item.create``), pictures named, else ``None``."""
    if not isinstance(item, Mapping) or item.get("role") != "user":
        return None
    parts = item.get("content")
    parts = [p for p in parts if isinstance(p, Mapping)] if isinstance(parts, list) else []
    words = " ".join(str(p.get("text", "")) for p in parts
                     if p.get("type") in ("input_text", "text"))
    pictures = sum(1 for p in parts if p.get("type") == "input_image")
    picture = " [picture]" * pictures
    return f"user:{picture} {words}".rstrip() if words or pictures else None


def _seeded(record: LogRecord) -> bool:
    """A turn of the earlier conversation ``--resume`` seeds (:meth:`Printer.show_earlier`
    has shown it), not a line the user typed now."""
    if record.dir != "out" or record.event.get("type") != "conversation.item.create":
        return False
    item = record.event.get("item")
    return isinstance(item, Mapping) and is_earlier(item.get("id"))


def _cut_short(response: Any) -> str | None:
    """A response that did not complete (a barge-in, a cancel, a token limit), else ``None``:
    its transcript, when one came, was more than was heard."""
    if not isinstance(response, Mapping) or response.get("status") not in ("cancelled",
                                                                           "incomplete"):
        return None
    details = response.get("status_details")
    reason = details.get("reason") if isinstance(details, Mapping) else None
    return f"assistant: (answer {response['status']}{f': {reason}' if reason else ''})"


def _hosted_tool(item: Any) -> str | None:
    """A hosted MCP call the server ran (``mcp_call``) in one line, else ``None``."""
    if not isinstance(item, Mapping) or item.get("type") != "mcp_call":
        return None
    outcome = "error" if item.get("error") else "ok"
    return f"tool {item.get('server_label', '?')}.{item.get('name', '?')} (hosted mcp): " \
           f"{outcome}"


class Printer:
    """Prints a run's records as lines (the conversation, or with ``events`` the event flow).

    ``usage_after``: in the event flow, the line to print after a ``response.done`` (its
    usage), read once the runtime has taken the event in. ``gone``: called when the reader of
    the output went away (``voicechat --no-ui | head``): the run stops quietly, like any filter.
    """

    def __init__(self, stream: TextIO, *, events: bool, gone: Callable[[], None],
                 usage_after: Callable[[Any], str | None] | None = None) -> None:
        self._stream = stream
        self._events = events
        self._gone = gone
        self._usage_after = usage_after
        self._summarizer = Summarizer()
        self._closed = False
        #: error notices said so far: a server error they already explained is not said again
        self._explained: list[str] = []
        #: answers printed whose latency line is still to come (response id → the answer),
        #: and the last one printed
        self._answers: dict[str, str] = {}
        self._last_answer: str | None = None

    def show_earlier(self, plan: SeedPlan) -> None:
        """The turns ``--resume`` seeds, once, before the run's own lines: a header naming
        where they came from, each turn indented under it (issue 55, item 7: they were printed
        as new ``user:`` lines, the answers not at all). In the event flow the seeding events
        show themselves."""
        if self._events or not plan.turns:
            return
        where = f", from {plan.source}" if plan.source else ""
        older = f" (the oldest {plan.left_out} turn(s) left out)" if plan.left_out else ""
        self.say(f"earlier{where}{older}:")
        for role, text in plan.turns:
            self.say(printable(f"  {role}: {text}"))

    def show(self, record: LogRecord) -> None:
        if not self._events:
            if self._said_before(record.event) or _seeded(record):
                return
            line = conversation_line(record)
            if line is not None:
                self.say(self._placed(record.event, line))
            return
        line = event_line(record, self._summarizer)
        if line is None:
            return
        if (self._usage_after is not None and record.dir == "in"
                and record.event.get("type") == "response.done"):
            # the core takes the event in right after this record: read its usage then
            response = record.event.get("response")
            rid = response.get("id") if isinstance(response, Mapping) else None
            asyncio.get_running_loop().call_soon(self._say_usage, rid)
        self.say(line)

    def _placed(self, event: Mapping[str, Any], line: str) -> str:
        """A latency line says which answer it times when that is not the answer just printed:
        over WebRTC the answers to quickly sent lines play one after the other, and a turn is
        timed when its answer starts to sound, after later answers were printed (issue 55)."""
        kind = event.get("type")
        rid = event.get("response_id")
        if kind in ASSISTANT_DONE and isinstance(rid, str):
            if len(self._answers) >= ANSWERS_KEPT:
                del self._answers[next(iter(self._answers))]
            self._answers[rid] = line.removeprefix("assistant: ")
            self._last_answer = rid
        elif kind == TURN_RECORD and isinstance(rid, str):
            answer = self._answers.pop(rid, None)
            if answer is not None and rid != self._last_answer:
                if len(answer) > ANSWER_QUOTED:
                    answer = answer[:ANSWER_QUOTED - 1] + "…"
                return line.replace("latency:", f"latency of {answer!r}:", 1)
        return line

    def _said_before(self, event: Mapping[str, Any]) -> bool:
        """A server ``error`` (or the core's "server error: …" notice of it) whose message an
        earlier error notice already gave, with its meaning and fix: a refusal the runtime
        explained (the retired beta through new-api) was printed three times before."""
        kind = event.get("type")
        message = ""
        if kind == "error":
            error = event.get("error")
            message = str(error.get("message") or "") if isinstance(error, Mapping) else ""
        elif kind == "local.notice" and event.get("level") == "error":
            said = str(event.get("message") or "")
            if said.startswith("server error: "):
                message = said.removeprefix("server error: ").rsplit(" (", 1)[0]
            else:
                self._explained = [*self._explained[-(EXPLAINED_KEPT - 1):], said]
                return False
        message = message.strip()
        return bool(message) and any(message in said for said in self._explained)

    def _say_usage(self, rid: Any) -> None:
        if self._usage_after is not None:
            line = self._usage_after(rid)
            if line is not None:
                self.say(line)

    def say(self, line: str) -> None:
        if self._closed:
            return
        try:
            print(line, file=self._stream, flush=True)
        except BrokenPipeError:
            self._closed = True
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())
            self._gone()
