"""A GPT-Live session as the TUI's :class:`~voicechat.core.view.SessionView`.

The TUI reads one snapshot type; rather than teach every widget a second one, the GPT-Live
view is translated here, in the runtime that owns both: turns become transcript entries (an
interrupted assistant turn is shown truncated), "speaking" comes from our playback (the
service sends no end of speech), delegated tasks are shown as calls in the transcript and the
status bar's running label (a task's request as its arguments, its progress or answer as its
output), and the mic is live unless the user muted it (full duplex: never muted for playback).
The mode is ``live``: the status bar and the footer read it to show what is true of GPT-Live
(the model decides turns, no push-to-talk, no barge-in switch) instead of Realtime's labels,
and the session's end (``expires_at``) and context fill (``context_ratio``) ride along.
The event pane is the same as for Realtime: it reads the event stream, not the view.

The VAD timeline's user segments come from the user's turns (GPT-Live sends no VAD events):
a turn's speech is placed on the local clock when its first words arrive, back-dated by the
audio they cover, and ends where its audio ends once the core closes it (issue 36: the timeline
never showed the user's speech).

The cache, the playback spans, the response and what full duplex fixes are Gemini's too
(:mod:`voicechat.runtime.duplex.session_view`).
"""

from __future__ import annotations

from collections.abc import Callable

from voicechat.core.live import LiveView, TaskView, TurnView
from voicechat.core.mic import MicReason, MicState
from voicechat.core.tool_specs import ToolCallStatus, ToolCallView
from voicechat.core.view import SessionView, TranscriptEntry, VadSegment
from voicechat.runtime.duplex.session_view import DuplexSessionView, answer_state

#: user segments kept for the timeline (it shows the last minute or so)
MAX_SEGMENTS = 50

_TASK_STATUS: dict[str, ToolCallStatus] = {
    "running": "running", "answered": "done", "completed": "done", "failed": "failed",
    "timed_out": "timed_out", "abandoned": "skipped"}


def _entry(number: int, speaker: str, text: str, closed: bool,
           interrupted: bool) -> TranscriptEntry:
    return TranscriptEntry(id=f"turn_{number}", role=speaker, text=text.strip(),
                           status="done" if closed else "streaming", truncated=interrupted)


def _task(task: TaskView) -> ToolCallView:
    return ToolCallView(call_id=task.id, name=f"delegation:{task.target}",
                        arguments=task.request, status=_TASK_STATUS.get(task.state, "running"),
                        source=task.target, output=task.progress[-1] if task.progress else None)


class SessionViewAdapter(DuplexSessionView):
    """Builds the TUI's snapshot from the GPT-Live view, only when something changed."""

    def __init__(self, transport: str, clock: Callable[[], float]) -> None:
        super().__init__(clock)
        self._transport = transport
        self._speech: dict[int, VadSegment] = {}  # user turn number -> its segment

    def view(self, live: LiveView, *, speaking: bool, mic_mode: str,
             transport_state: str) -> SessionView:
        cached = self._cached((live, speaking, mic_mode, transport_state))
        if cached is not None:
            return cached
        self._playback_span(speaking)
        self._user_speech(live.turns)
        # mic_mode: the core's stream mode (hold | live | silence), or "none": no mic at all
        mic = MicState.MUTED if mic_mode != "live" else MicState.LIVE
        reason = None if mic is MicState.LIVE else (
            MicReason.USER if mic_mode == "silence" else MicReason.NO_DEVICE)
        entries = tuple(_entry(t.number, t.speaker, t.heard_text or t.text
                               if t.interrupted else t.text, t.closed, t.interrupted)
                        for t in live.turns)
        last = next((t for t in reversed(live.turns) if t.speaker == "assistant"), None)
        return self._snapshot(
            mode="live", transport=self._transport, transport_state=transport_state, mic=mic,
            mic_reason=reason, speaking=speaking,
            response=answer_state(speaking, None if last is None else last.interrupted),
            entries=entries, vad_segments=tuple(self._speech.values()), notices=live.notices,
            tool_calls=tuple(_task(t) for t in live.tasks), expires_at=live.expires_at,
            context_ratio=live.context_ratio)

    def _user_speech(self, turns: tuple[TurnView, ...]) -> None:
        now = self._clock()
        for turn in turns:
            if turn.speaker != "user":
                continue
            seconds = max(0, turn.end_ms - turn.start_ms) / 1000
            seen = self._speech.get(turn.number)
            if seen is None:
                if turn.start_ms == turn.end_ms and turn.closed:
                    continue  # a typed line: a turn with no speech
                seen = VadSegment(f"turn_{turn.number}", turn.start_ms, now - seconds)
                self._speech[turn.number] = seen
                while len(self._speech) > MAX_SEGMENTS:
                    del self._speech[next(iter(self._speech))]
            if turn.closed and seen.ended_at is None:
                self._speech[turn.number] = VadSegment(
                    seen.item_id, seen.start_audio_ms, seen.started_at, turn.end_ms,
                    seen.started_at + seconds)
