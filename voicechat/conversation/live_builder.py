"""A GPT-Live log as a :class:`~voicechat.conversation.model.Conversation` (sans-IO).

GPT-Live has no items and no ``response.done``: its conversation is two streams of timed
transcript fragments with no turn boundary, so :class:`ConversationBuilder` (Realtime's items)
found nothing in such a log, and ``export`` and ``--resume`` refused logs that ``doctor`` and
``replay`` read (issue 36, item 6). Two sources, best first:

* our own logs record each turn as the client closed it (``local.live.turn``: speaker, text,
  interrupted), typed lines included: those are the conversation as the user saw it; a
  Gemini Live log's ``local.gemini.turn`` records are read the same way;
* any other GPT-Live log is grouped by the GPT-Live core's own rules
  (:class:`voicechat.core.live.turns.Turns`, driven by the log's times), as replay does.

Nothing from a log may raise: a field of the wrong type is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from voicechat.conversation.model import Conversation, Turn, TurnStatus
from voicechat.core.live.policy import LivePolicy
from voicechat.core.live.turns import Speaker, Turns
from voicechat.protocol.secrets import redact_text

Event = Mapping[str, Any]
#: the turns our clients record as they closed them: GPT-Live's, and Gemini Live's (which has
#: no timeline of its own: its records carry no ``start_ms``/``end_ms``)
RECORDED_TURNS = frozenset({"local.live.turn", "local.gemini.turn"})
_SPEAKERS: dict[str, Speaker] = {"session.input_transcript.delta": "user",
                                 "session.output_transcript.delta": "assistant"}


class LiveConversationBuilder:
    """Feed entries in log order with :meth:`feed`; read :meth:`conversation` at the end."""

    def __init__(self, *, source: str = "") -> None:
        policy = LivePolicy()
        self._grouped = Turns(policy.turn_gap_ms, policy.turn_separation_ms)
        self._first_t: dict[int, tuple[float | None, str | None]] = {}  # turn number -> when
        self._recorded: list[Turn] = []  # our local.live.turn records
        self._source = source
        self._model: str | None = None
        self.is_live = False  # a GPT-Live event was seen

    def feed(self, direction: str, t: float | None, ts: str | None, event: Event) -> None:
        if not isinstance(event, Mapping):
            return
        kind = event.get("type")
        if kind in RECORDED_TURNS:
            self._recorded_turn(event, t, ts)
            return
        if direction == "in" and kind == "session.started":
            self.is_live = True
            session = event.get("session")
            model = session.get("model") if isinstance(session, Mapping) else None
            self._model = model if isinstance(model, str) else self._model
            return
        if direction == "out" and kind == "session.instructions.append":
            # steering (a typed line, a greeting, a correction): what the model says next is
            # an answer to it, not more of the turn it was saying
            self._grouped.close_all()
            return
        speaker = _SPEAKERS.get(str(kind)) if direction == "in" else None
        if speaker is None:
            if direction == "in" and kind == "session.closed":
                self._grouped.close_all()
            return
        self.is_live = True
        delta, start, end = event.get("delta"), _ms(event.get("start_ms")), _ms(
            event.get("end_ms"))
        if not isinstance(delta, str) or start is None or end is None or end < start:
            return
        turn = self._grouped.add(speaker, delta, start, end, t or 0.0)
        self._first_t.setdefault(turn.number, (t, ts))

    def _recorded_turn(self, event: Event, t: float | None, ts: str | None) -> None:
        speaker, text = event.get("speaker"), event.get("text")
        if speaker not in ("user", "assistant") or not isinstance(text, str):
            return
        self.is_live = True
        status: TurnStatus = "interrupted" if event.get("interrupted") else "done"
        start, end = _ms(event.get("start_ms")), _ms(event.get("end_ms"))
        if t is not None and start is not None and end is not None and end >= start:
            took = (end - start) / 1000  # recorded when it closed: when it began
            t, ts = max(0.0, t - took), _earlier_ts(ts, took)
        self._recorded.append(Turn("user" if speaker == "user" else "assistant",
                                   redact_text(text.strip()), t, ts, status=status))

    def conversation(self) -> Conversation:
        turns = tuple(self._recorded) if self._recorded else tuple(
            Turn(turn.speaker, redact_text(turn.text.strip()), *self._first_t.get(
                turn.number, (None, None)), status="interrupted" if turn.interrupted else "done")
            for turn in self._grouped.turns if turn.text.strip())
        return Conversation(turns=turns, source=self._source, model=self._model)


def _earlier_ts(ts: str | None, seconds: float) -> str | None:
    """The ISO UTC stamp ``seconds`` before ``ts`` (``None`` when ``ts`` is not one)."""
    if ts is None:
        return None
    try:
        when = datetime.fromisoformat(ts.replace("Z", "+00:00")) - timedelta(seconds=seconds)
    except ValueError:
        return None
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _ms(value: Any) -> int | None:
    """A timeline position in milliseconds, or ``None`` when the field is not one."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return int(value)
    return None
