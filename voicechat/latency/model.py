"""What the turn timeline reports: one answered turn's latency, one barge-in, and summaries.

Plain values (no I/O) shared by every face: the TUI's line under an answer, the ``--no-ui``
line, the ``local.turn.latency`` record, the doctor's latency section and ``--json``, replay,
export, the proxy, watch and the OpenTelemetry spans all read these.

The figures, in milliseconds:

- ``first_audio_ms``: from the end of the user's turn *as the log shows it* (the server's
  ``speech_stopped`` as received, the client's ``input_audio_buffer.commit``, the
  ``response.create`` sent for a typed message) to the first audio of the answer
  (``response.output_audio.delta`` over WebSocket, ``output_audio_buffer.started`` over
  WebRTC). The same definition in every face, so the doctor on our log and the TUI agree.
- ``stages``: what makes ``first_audio_ms`` up, in order, summing to it (``commit``: the end
  until the server committed the audio; ``response``: until the response was created;
  ``tool <name>``: the app running a tool, the call's completion to its output; ``model``: the
  rest, the model's own time to its first audio).
- ``vad_wait_ms``: the server VAD's silence wait *before* that end (``silence_duration_ms``),
  not part of ``first_audio_ms``: the user stopped talking that long before the server said so.
- ``played_ms``: the end to the first audio *played* (the client's own
  ``local.playback.started``), where the log has it; ``playback_ms`` = ``played_ms`` −
  ``first_audio_ms``: the network, jitter buffer and speaker queue.
- ``heard_ms``: what the user waited, from the end of their speech to the first sound: VAD wait
  + the end to played (or received). The TUI's headline figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal, NamedTuple, TypeGuard

#: How the end of the user's turn was seen.
EndKind = Literal["speech_stopped", "commit", "typed"]
#: Which clock the figures are on: the log's own times, or the mic audio appended (a log with
#: no times whose client streams its mic in real time).
Clock = Literal["wall", "audio"]


# Named tuples, not dataclasses: every ``voicechat doctor`` run imports these, and a dataclass
# is generated code (2.6 M instructions to define with slots, 4.5 M frozen, against 0.8 M for a
# named tuple: bench/bench_doctor.py --instructions); the session core builds one per answered
# turn, where a frozen dataclass's field-by-field __init__ was a third of the timeline's cost
# (bench_core), and a tuple's __new__ is one call. They are values: immutable, compared by value.
class Stage(NamedTuple):
    """One part of a turn's wait, in milliseconds."""

    name: str
    ms: float


class ToolSpan(NamedTuple):
    """One tool call inside a turn: from the call's completion to its output being sent."""

    name: str
    call_id: str
    start_ms: float  # after the end of the turn
    ms: float | None  # None: no output was sent (yet)


class TurnLatency(NamedTuple):
    """One answered user turn, timed."""

    response_id: str | None  # the response whose audio came first
    end_kind: EndKind
    end_t: float  # on the timeline's clock
    first_audio_ms: float
    stages: tuple[Stage, ...]
    clock: Clock = "wall"
    vad_wait_ms: float | None = None
    vad_note: str | None = None  # e.g. "semantic_vad, eagerness auto: waits up to 4 s"
    first_text_ms: float | None = None
    played_ms: float | None = None
    done_ms: float | None = None  # the end to the answering response's response.done
    tools: tuple[ToolSpan, ...] = ()
    transport: Literal["websocket", "webrtc"] = "websocket"
    item_id: str | None = None  # the answer's message item (where a transcript shows it)

    @property
    def playback_ms(self) -> float | None:
        """Network, jitter buffer and the speaker's queue: received to played."""
        played = self.played_ms
        if played is None:
            return None
        return _positive(played - self.first_audio_ms)

    @property
    def heard_ms(self) -> float:
        """From the end of the user's speech to the first sound: what the user waited."""
        after_end = self.played_ms if self.played_ms is not None else self.first_audio_ms
        return (self.vad_wait_ms or 0.0) + after_end

    def breakdown(self) -> tuple[Stage, ...]:
        """Every part of :attr:`heard_ms`, in order: the VAD wait, the stages, playback."""
        parts: list[Stage] = []
        if self.vad_wait_ms:
            parts.append(Stage("VAD", self.vad_wait_ms))
        parts.extend(self.stages)
        if self.playback_ms is not None:
            parts.append(Stage("network+buffer", self.playback_ms))
        return tuple(parts)

    def dominant(self) -> Stage | None:
        """The largest part of the wait (what to fix first)."""
        parts = self.breakdown()
        return max(parts, key=lambda stage: stage.ms) if parts else None

    def to_json(self, record: str | None = None) -> dict[str, Any]:
        """The shape of ``local.turn.latency`` and of ``doctor --json``'s ``latency.turns``
        (figures to 0.1 ms, as :func:`_ms` rounds them: written out here, as a call per figure
        was a third of this method's cost, which the session core and ``doctor --json`` pay
        once per turn). ``record``: the record's type, put first (:func:`as_record`: one dict
        built, not two)."""
        played = self.played_ms
        first = self.first_audio_ms
        vad_wait = self.vad_wait_ms
        stages: dict[str, float] = {}
        for name, ms in self.stages:
            stages[name] = round(ms * 10.0) / 10.0
        heard = (vad_wait or 0.0) + (played if played is not None else first)
        data: dict[str, Any] = {
            "type": record,
            "response_id": self.response_id,
            "item_id": self.item_id,
            "end": self.end_kind,
            "clock": self.clock,
            "first_audio_ms": round(first * 10.0) / 10.0,
            "stages": stages,
            "heard_ms": round(heard * 10.0) / 10.0,
        }
        if record is None:
            del data["type"]
        if vad_wait is not None:
            data["vad_wait_ms"] = round(vad_wait * 10.0) / 10.0
        if self.first_text_ms is not None:
            data["first_text_ms"] = round(self.first_text_ms * 10.0) / 10.0
        if played is not None:
            data["played_ms"] = round(played * 10.0) / 10.0
            playback = played - first
            data["playback_ms"] = round(playback * 10.0) / 10.0 if playback > 0.0 else 0.0
        if self.done_ms is not None:
            data["done_ms"] = round(self.done_ms * 10.0) / 10.0
        if self.vad_note:
            data["vad_note"] = self.vad_note
        data["transport"] = self.transport
        if self.tools:
            data["tools"] = [{"name": tool.name, "call_id": tool.call_id,
                              "start_ms": _ms(tool.start_ms),
                              "ms": None if tool.ms is None else _ms(tool.ms)}
                             for tool in self.tools]
        return data


#: The records a client writes of the timeline's results (``--record``, the event pane).
TURN_RECORD = "local.turn.latency"
BARGE_RECORD = "local.turn.bargein"


def as_record(result: TurnLatency | BargeIn) -> dict[str, Any]:
    """The ``local.turn.latency`` / ``local.turn.bargein`` event for a result."""
    if type(result) is TurnLatency:
        return result.to_json(TURN_RECORD)
    return result.to_json(BARGE_RECORD)


def turn_from_json(data: Any) -> TurnLatency | None:
    """A :class:`TurnLatency` back from its JSON (a ``local.turn.latency`` record in a log),
    or ``None`` when ``data`` is not one: a log may hold anything."""
    if not isinstance(data, dict):
        return None
    first = data.get("first_audio_ms")
    stages = data.get("stages")
    end = data.get("end")
    if not _finite(first) or not isinstance(stages, dict) or end not in (
            "speech_stopped", "commit", "typed"):
        return None
    def optional(key: str) -> float | None:
        value = data.get(key)
        return float(value) if _finite(value) else None
    note = data.get("vad_note")
    tools = data.get("tools")
    spans = tuple(
        ToolSpan(str(tool.get("name", "?")), str(tool.get("call_id", "")),
                 float(tool["start_ms"]) if _finite(tool.get("start_ms")) else 0.0,
                 float(tool["ms"]) if _finite(tool.get("ms")) else None)
        for tool in tools if isinstance(tool, dict)) if isinstance(tools, list) else ()
    return TurnLatency(
        response_id=data["response_id"] if isinstance(data.get("response_id"), str) else None,
        end_kind=end, end_t=0.0, first_audio_ms=float(first),
        stages=tuple(Stage(str(name), float(ms)) for name, ms in stages.items()
                     if _finite(ms)),
        clock="audio" if data.get("clock") == "audio" else "wall",
        vad_wait_ms=optional("vad_wait_ms"), vad_note=note if isinstance(note, str) else None,
        first_text_ms=optional("first_text_ms"), played_ms=optional("played_ms"),
        done_ms=optional("done_ms"), tools=spans,
        transport="webrtc" if data.get("transport") == "webrtc" else "websocket",
        item_id=data["item_id"] if isinstance(data.get("item_id"), str) else None)


def barge_from_json(data: Any) -> BargeIn | None:
    """A :class:`BargeIn` back from its JSON (a ``local.turn.bargein`` record), or ``None``."""
    if not isinstance(data, dict) or data.get("onset") not in ("local", "server"):
        return None
    def optional(key: str) -> float | None:
        value = data.get(key)
        return float(value) if _finite(value) else None
    rid = data.get("response_id")
    return BargeIn(rid if isinstance(rid, str) else None, 0.0, data["onset"],
                   paused_ms=optional("paused_ms"), action_ms=optional("action_ms"),
                   cancelled_ms=optional("cancelled_ms"))


def _finite(value: Any) -> TypeGuard[float]:
    return (not isinstance(value, bool) and isinstance(value, int | float)
            and value == value and abs(value) != float("inf"))


class BargeIn(NamedTuple):
    """An interruption of an answer, timed from the onset of the user's speech.

    ``onset_t``: the local detector's onset (its pause record's time less the speech it had
    counted) where the client has one, else the server's ``speech_started`` as received.
    """

    response_id: str | None
    onset_t: float
    onset_from: Literal["local", "server"]
    paused_ms: float | None = None  # the speaker paused (local detector)
    action_ms: float | None = None  # the first barge-in action: cancel, clear or truncate
    cancelled_ms: float | None = None  # the server's response.done, status cancelled

    def to_json(self, record: str | None = None) -> dict[str, Any]:
        """The shape of ``local.turn.bargein`` (``record``: its type, put first)."""
        data: dict[str, Any] = {} if record is None else {"type": record}
        data["response_id"] = self.response_id
        data["onset"] = self.onset_from
        for key in ("paused_ms", "action_ms", "cancelled_ms"):
            value = getattr(self, key)
            if value is not None:
                data[key] = _ms(value)
        return data


class Summary(NamedTuple):
    """Percentiles of first-audio latency over a session's answered turns."""

    turns: int
    p50: float
    p95: float
    max: float

    def to_json(self) -> dict[str, Any]:
        return {"p50": _ms(self.p50), "p95": _ms(self.p95), "max": _ms(self.max)}


def summarize(values: Iterable[float]) -> Summary | None:
    """p50/p95/max (nearest rank) of ``values``; ``None`` when there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    return Summary(len(ordered), percentile(ordered, 50), percentile(ordered, 95), ordered[-1])


def percentile(ordered: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile of sorted ``ordered`` (not empty): a value that occurred,
    so "p95 1.9 s" is a turn the user lived through, not an interpolation."""
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil without floats drifting
    return ordered[min(len(ordered), int(rank)) - 1]


def _ms(value: float) -> float:
    """``value`` to 0.1 ms. Not ``round(value, 1)``: that goes through a decimal string (about
    5,000 instructions a call, and a turn has eight figures: a tenth of the doctor's latency
    section on a log of many turns); a tie may round either way, which no figure here can
    tell."""
    return round(value * 10.0) / 10.0


def _positive(value: float) -> float:
    """``max(0.0, value)`` without the builtin's argument parsing (the timeline's hot path)."""
    return value if value > 0.0 else 0.0
