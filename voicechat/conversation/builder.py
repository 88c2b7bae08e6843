"""Events in, a :class:`~voicechat.conversation.model.Conversation` out (sans-IO).

One builder serves every source: the entries of any log the doctor reads (``voicechat export``,
``--resume``) and the live record stream of a running conversation (saving). It keeps the core's
own rules rather than a second copy of them: :class:`~voicechat.core.transcript.Transcript`
places items by ``previous_item_id`` (a late user transcript still reads before the answer),
:class:`~voicechat.core.side_responses.SideResponses` leaves out-of-band responses out, and
:class:`~voicechat.core.usage.Usage` prices each ``response.done``. What it adds is what a
reader of the conversation wants and the live core has no use for: when each turn began, how
much of each answer was heard, each tool call with its result, and each answer's cost.

Events are canonical (GA-shaped): the log reader maps beta logs, and :meth:`feed_wire` maps a
live stream. Nothing from a log may raise: a field of the wrong type is skipped.

One conversation may span server sessions (a reconnect, or a new session with another model):
the turns a new session is seeded with (ids :data:`~voicechat.conversation.seed.CARRIED_ID_PREFIX`)
are copies of turns already here and are left out, and each turn records the model of the
session it was said in once more than one model took part (issue 55, item 12: the copies were
saved twice, and the whole file was labelled with the last model).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from voicechat.conversation.model import (
    AnswerUsage,
    Conversation,
    Interruption,
    Speaker,
    ToolUse,
    Turn,
    TurnStatus,
)
from voicechat.conversation.seed import is_carried
from voicechat.core.audio_ledger import AudioLedger
from voicechat.core.effects import Effects
from voicechat.core.heard_text import cut_heard, estimated_audio_ms
from voicechat.core.outbox import Outbox
from voicechat.core.side_responses import SideResponses
from voicechat.core.transcript import Transcript
from voicechat.core.transcript_feed import TranscriptFeed
from voicechat.core.usage import Usage
from voicechat.core.view import TranscriptEntry
from voicechat.latency import TurnLatency, TurnTimeline
from voicechat.latency.model import turn_from_json
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.mapping import client_event_to_canonical, server_event_to_canonical
from voicechat.protocol.secrets import redact_text
from voicechat.protocol.session_audio import output_format

Event = Mapping[str, Any]

_AUDIO_DELTAS = frozenset({"response.output_audio.delta"})
_TOOL_KINDS = frozenset({"function_call", "mcp_call", "mcp_list_tools", "mcp_approval_request"})
_HIDDEN_KINDS = frozenset({"function_call_output", "mcp_approval_response"})


@dataclass
class _When:
    t: float | None
    ts: str | None


class ConversationBuilder:
    """Feed events in log order with :meth:`feed`; read :meth:`conversation` at any time."""

    def __init__(self, *, prices: Mapping[str, Mapping[str, Any]] | None = None,
                 source: str = "", log_format: str = "") -> None:
        self._transcript = Transcript(transcription=True)
        self._feed = TranscriptFeed(self._transcript, Effects(Outbox(Dialect.GA)))
        self._handlers = self._feed.handlers()
        self._side = SideResponses()
        self._usage = Usage(None, prices or {})
        self._source = source
        self._log_format = log_format
        self._first_seen: dict[str, _When] = {}
        self._audio_bytes: dict[str, int] = {}
        self._heard_ms: dict[str, int] = {}  # the server's truncation wins over the client's
        self._heard_by_server: set[str] = set()
        self._answer_usage: dict[str, AnswerUsage] = {}  # item id -> its response's usage
        self._outputs: dict[str, str] = {}  # call_id -> the output sent for it
        self._calls: dict[str, dict[str, Any]] = {}  # tool item id -> its latest fields
        self._format = AudioLedger()  # only its bytes_per_ms: the counts below are unbounded
        self._timeline = TurnTimeline()  # each answer's latency (issue 39), by its item id
        self._latency: dict[str, TurnLatency] = {}
        self._models: list[str] = []  # every session's model, in order (a change appends)
        self._model_of: dict[str, str] = {}  # item id -> the model of the session it came in

    # --- feeding ---------------------------------------------------------------------------

    def feed_wire(self, direction: str, t: float | None, ts: str | None, event: Event,
                  dialect: Dialect) -> None:
        """A live record (the wire's dialect): mapped to canonical, then :meth:`feed`."""
        if dialect is not Dialect.GA and direction in ("in", "out"):
            try:
                event = (server_event_to_canonical(event, dialect) if direction == "in"
                         else client_event_to_canonical(event, dialect))
            except Exception:  # a malformed event is skipped, never raised on
                return
        self.feed(direction, t, ts, event)

    def feed(self, direction: str, t: float | None, ts: str | None, event: Event) -> None:
        """One canonical event: ``direction`` is ``in`` (server), ``out`` (client) or local."""
        if not isinstance(event, Mapping):
            return
        kind = event.get("type")
        if not isinstance(kind, str):
            return
        if is_carried(_item_id(event)):
            return  # a copy of a turn already here, seeded into a new session
        try:
            self._time(direction, t, event)
            if direction == "in":
                self._server_event(kind, event, t, ts)
            elif direction == "out":
                self._client_event(kind, event)
        except Exception:  # a malformed event from someone's log must never stop the export
            return

    def _time(self, direction: str, t: float | None, event: Event) -> None:
        for result in self._timeline.feed(t, direction, event):
            if isinstance(result, TurnLatency) and result.item_id is not None:
                self._latency[result.item_id] = _as_exported(result)

    def _server_event(self, kind: str, event: Event, t: float | None, ts: str | None) -> None:
        side = self._side
        if (side.tracking or kind == "response.created") and side.claims(event):
            return
        self._note_time(event, t, ts)
        if kind in ("session.created", "session.updated"):
            self._session(event.get("session"))
        elif kind in _AUDIO_DELTAS:
            self._audio_delta(event)
        elif kind == "conversation.item.truncated":
            self._truncated(event, by_server=True)
        elif kind == "response.done":
            self._response_done(event.get("response"))
        elif kind == "response.function_call_arguments.done":
            self._arguments_done(event)
        handler = self._handlers.get(kind)
        if handler is not None:
            handler(event, t or 0.0)
        item = event.get("item")
        if isinstance(item, Mapping):
            self._note_item(item)

    def _client_event(self, kind: str, event: Event) -> None:
        if kind == "conversation.item.truncate":
            self._truncated(event, by_server=False)
        elif kind == "conversation.item.create":
            item = event.get("item")
            if isinstance(item, Mapping):
                self._note_item(item)

    def _note_time(self, event: Event, t: float | None, ts: str | None) -> None:
        item_id = event.get("item_id")
        if not isinstance(item_id, str):
            item = event.get("item")
            item_id = item.get("id") if isinstance(item, Mapping) else None
        if isinstance(item_id, str) and item_id not in self._first_seen:
            self._first_seen[item_id] = _When(t, ts)
            if self._models:
                self._model_of[item_id] = self._models[-1]

    def _session(self, session: Any) -> None:
        if not isinstance(session, Mapping):
            return
        model = session.get("model")
        self._usage.model_reported(model)
        if isinstance(model, str) and model and self._models[-1:] != [model]:
            self._models.append(model)
        audio = session.get("audio")
        heard = audio.get("input") if isinstance(audio, Mapping) else None
        if isinstance(heard, Mapping) and "transcription" in heard:
            self._transcript.set_transcription(heard["transcription"] is not None)
        self._format.set_format(output_format(session))  # the core's sizing of deltas

    def _audio_delta(self, event: Event) -> None:
        item_id, delta = event.get("item_id"), event.get("delta")
        if not isinstance(item_id, str):
            return
        if isinstance(delta, Mapping):  # redacted: {"bytes": N}
            size = delta.get("bytes")
            size = size if isinstance(size, int) and not isinstance(size, bool) else 0
        elif isinstance(delta, str):
            size = len(delta.rstrip("=")) * 3 // 4
        else:
            return
        self._audio_bytes[item_id] = self._audio_bytes.get(item_id, 0) + max(0, size)

    def _truncated(self, event: Event, *, by_server: bool) -> None:
        item_id, end = event.get("item_id"), event.get("audio_end_ms")
        if not isinstance(item_id, str) or isinstance(end, bool):
            return
        if not isinstance(end, int | float) or end != end:  # NaN from a log
            return
        if by_server or item_id not in self._heard_by_server:
            self._heard_ms[item_id] = max(0, int(end))
        if by_server:
            self._heard_by_server.add(item_id)
            self._transcript.mark_truncated(item_id)

    def _response_done(self, response: Any) -> None:
        if not isinstance(response, Mapping):
            return
        self._feed.response_output(response)  # the final items may carry the only text
        output = response.get("output")
        items = [i for i in output if isinstance(i, Mapping)] if isinstance(output, list) else []
        for item in items:
            self._note_item(item)
        spent = self._usage.response_done(response)
        if spent is None:
            return
        ids = [i.get("id") for i in items if isinstance(i.get("id"), str)]
        messages = [i.get("id") for i in items
                    if i.get("type") == "message" and isinstance(i.get("id"), str)]
        target = messages[-1] if messages else (ids[-1] if ids else None)
        if target is not None:
            self._answer_usage[target] = AnswerUsage(spent.response_id, spent.tokens,
                                                     spent.cost_usd)

    def _note_item(self, item: Mapping[str, Any]) -> None:
        """Keep a tool item's fields (name, arguments, result) and each call's output."""
        kind = item.get("type")
        if kind == "function_call_output":
            call_id, output = item.get("call_id"), item.get("output")
            if isinstance(call_id, str) and isinstance(output, str):
                self._outputs[call_id] = output
        elif kind in _TOOL_KINDS and isinstance(item.get("id"), str):
            fields = self._calls.setdefault(item["id"], {})
            fields.update({k: v for k, v in item.items() if isinstance(v, str) and v})

    def _arguments_done(self, event: Event) -> None:
        item_id = event.get("item_id")
        if isinstance(item_id, str):
            fields = self._calls.setdefault(item_id, {})
            for key in ("name", "arguments", "call_id"):
                value = event.get(key)
                if isinstance(value, str) and value:
                    fields[key] = value

    # --- reading ---------------------------------------------------------------------------

    def conversation(self) -> Conversation:
        """The conversation so far (cheap enough to call after every answer)."""
        for result in self._timeline_tail():
            if result.item_id is not None:
                self._latency.setdefault(result.item_id, _as_exported(result))
        entries = self._transcript.snapshot()
        calls = {e.call_id for e in entries if e.kind == "function_call" and e.call_id}
        turns = [turn for entry in entries if (turn := self._turn(entry, calls)) is not None]
        if len(set(self._models)) > 1:  # say which model each turn was said to
            turns = [replace(turn, model=self._model_of.get(turn.item_id or "")) for turn in turns]
        usage = self._usage.view
        return Conversation(
            turns=tuple(turns), source=self._source, log_format=self._log_format,
            model=self._models[0] if self._models else usage.model,
            models=tuple(self._models) if len(set(self._models)) > 1 else (),
            responses=usage.responses, total=usage.total,
            cost_usd=usage.cost_usd, cost_label=usage.label,
        )

    def _turn(self, entry: TranscriptEntry, calls: set[str]) -> Turn | None:
        if entry.kind == "mcp_approval_response":
            return None  # the answer to an approval request: the request's turn says it
        if entry.kind == "function_call_output" and entry.call_id in calls:
            return None  # shown on its call's turn (one whose call the log lacks stands alone)
        when = self._first_seen.get(entry.id, _When(None, None))
        text = redact_text(entry.text or "")
        usage = self._answer_usage.get(entry.id)
        if entry.role == "tool" or entry.kind in _TOOL_KINDS or entry.kind in _HIDDEN_KINDS:
            return Turn("tool", text, when.t, when.ts, entry.id, _status(entry),
                        tool=self._tool(entry, text), usage=usage)
        if entry.role not in ("user", "assistant"):
            return None  # system messages an app seeds are instructions, not turns
        interruption = None
        heard = self._heard_ms.get(entry.id)
        if entry.role == "assistant" and heard is not None:
            measured = round(self._audio_bytes.get(entry.id, 0) / self._format.bytes_per_ms)
            audio_ms = measured or estimated_audio_ms(text)
            text, unheard = cut_heard(text, heard, audio_ms)
            interruption = Interruption(heard, audio_ms, not measured, unheard)
        status: TurnStatus = "interrupted" if interruption is not None else _status(entry)
        speaker: Speaker = "user" if entry.role == "user" else "assistant"
        return Turn(speaker, text, when.t, when.ts, entry.id, status, interruption, usage=usage,
                    latency=self._latency.get(entry.id))

    def _timeline_tail(self) -> list[TurnLatency]:
        """An answered turn the timeline still holds (waiting for its playback, which a log
        that ends may never show), without ending the timeline: more events may come."""
        pending = self._timeline.pending()
        return [pending] if pending is not None else []

    def _tool(self, entry: TranscriptEntry, text: str) -> ToolUse:
        """The call as a :class:`ToolUse`, from the item's own fields where the log had them."""
        fields = self._calls.get(entry.id, {})
        call_id = fields.get("call_id") or entry.call_id
        if entry.kind == "function_call_output":
            return ToolUse(name="?", arguments="", call_id=call_id, output=text, kind=entry.kind)
        output = self._outputs.get(call_id or "") if entry.kind == "function_call" else (
            fields.get("error") or fields.get("output"))
        return ToolUse(
            name=redact_text(fields.get("name") or (
                "list tools" if entry.kind == "mcp_list_tools" else text.partition("(")[0])),
            arguments=redact_text(fields.get("arguments", "")),
            call_id=call_id,
            output=None if output is None else redact_text(output),
            server=fields.get("server_label"),
            kind=entry.kind,
        )


def _item_id(event: Event) -> object:
    """The item an event is about: its ``item_id``, or its item's ``id``."""
    item = event.get("item")
    return item.get("id") if isinstance(item, Mapping) else event.get("item_id")


def _as_exported(turn: TurnLatency) -> TurnLatency:
    """``turn`` as its JSON holds it (figures to 0.1 ms, no place on the log's clock): what
    every export format shows, so a JSON export reads back as the same conversation."""
    return turn_from_json(turn.to_json()) or turn


def _status(entry: TranscriptEntry) -> TurnStatus:
    status = entry.status
    if status in ("done", "failed", "incomplete", "untranscribed", "pending"):
        return status
    return "incomplete"  # still streaming when the log ended
