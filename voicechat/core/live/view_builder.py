"""Build the :class:`~voicechat.core.live.view.LiveView` of a session (cached per change)."""

from __future__ import annotations

from typing import Any

from voicechat.core.actions import Notice
from voicechat.core.live.delegations import Delegations
from voicechat.core.live.playback import OutputAudio
from voicechat.core.live.turns import Turn, Turns
from voicechat.core.live.view import LifeState, LiveView, TaskView, TurnView


def _turn_view(turn: Turn, audio: OutputAudio) -> TurnView:
    heard: str | None = None
    if turn.speaker == "assistant":
        heard = "".join(f.text for f in turn.fragments if audio.heard(f.start_ms))
    return TurnView(turn.number, turn.speaker, turn.text, turn.start_ms, turn.end_ms,
                    turn.closed is not None, turn.interrupted, heard)


def build_view(state: LifeState, facts: dict[str, Any], turns: Turns, audio: OutputAudio,
               tasks: Delegations, notices: tuple[Notice, ...]) -> LiveView:
    """``facts``: the session's own scalars (``session_id``, ``expires_at``, ``close_reason``,
    ``muted``, ``usage_seconds``, ``context_ratio``)."""
    return LiveView(
        state=state,
        turns=tuple(_turn_view(turn, audio) for turn in turns.turns),
        assistant_speaking=audio.audible,
        received_ms=audio.received_ms,
        played_ms=audio.played_ms,
        dropped_ms=audio.dropped_ms,
        tasks=tuple(TaskView(t.id, t.target, t.state, t.request, tuple(t.progress))
                    for t in tasks.tasks.values()),
        notices=notices,
        **facts,
    )
