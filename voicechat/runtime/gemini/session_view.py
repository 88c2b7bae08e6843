"""A Gemini Live session as the TUI's :class:`~voicechat.core.view.SessionView` (mode
``gemini``), so every widget reads the one snapshot type it knows.

What is true of Gemini and shown: the turns the core built (an interrupted answer marked
truncated), "speaking" from our playback, tool calls as calls, each drawn in the transcript
where it happened (after the lines closed when it was first seen: Gemini's calls have no item
of their own to place them by), the mic always on (the service's
VAD hears the user all the time; the user's mute streams silence). What is not there: Gemini
sends no speech markers the client could place on the VAD timeline (its VAD runs on the server
and says nothing until a transcript arrives), so the timeline's user track stays empty and the
pane says "server VAD, no markers" instead of "no speech yet".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from voicechat.core.gemini import GeminiView
from voicechat.core.mic import MicReason, MicState
from voicechat.core.tool_specs import ToolCallView
from voicechat.core.view import PlaybackSpan, ResponseInfo, SessionView, TranscriptEntry


class GeminiSessionView:
    """Builds the TUI's snapshot from the Gemini view, only when something changed."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._last: tuple[GeminiView, bool, bool, str, tuple[ToolCallView, ...]] | None = None
        self._view: SessionView | None = None
        self._version = 0
        self._spans: list[PlaybackSpan] = []
        #: each call's place: how many lines were closed when it was first seen
        self._anchors: dict[str, int] = {}

    def view(self, gemini: GeminiView, *, speaking: bool, muted: bool, no_mic: bool,
             transport_state: str, calls: tuple[ToolCallView, ...] = ()) -> SessionView:
        key = (gemini, speaking, muted or no_mic, transport_state, calls)
        if self._view is not None and self._last == key:
            return self._view
        self._last = key
        self._version += 1
        self._playback_span(speaking)
        if no_mic:
            mic, reason = MicState.MUTED, MicReason.NO_DEVICE
        elif muted:
            mic, reason = MicState.MUTED, MicReason.USER
        else:
            mic, reason = MicState.LIVE, None
        calls = self._placed(calls, len(gemini.lines))
        entries = self._with_calls(tuple(
            TranscriptEntry(id=f"line_{i}", role=line.speaker, text=line.text, status="done",
                            truncated=line.interrupted)
            for i, line in enumerate(gemini.lines)), calls) + tuple(
            TranscriptEntry(id=f"open_{gemini.turns_completed}_{speaker}", role=speaker,
                            text=text, status="streaming")
            for speaker, text in gemini.partial)
        last = next((line for line in reversed(gemini.lines) if line.speaker == "assistant"),
                    None)
        response = ResponseInfo("assistant", "in_progress") if speaking else (
            None if last is None else ResponseInfo(
                "assistant", "incomplete" if last.interrupted else "completed",
                "interrupted" if last.interrupted else None))
        self._view = SessionView(
            mode="gemini", transport="websocket", dialect="gemini",
            transport_state=transport_state, mic=mic, mic_reason=reason, barge_in=False,
            ptt_style="toggle", ptt_open=False, ptt_captured_ms=0.0, playing=speaking,
            response=response, response_queued=False, entries=entries, vad_segments=(),
            playback_spans=tuple(self._spans), notices=(), version=self._version,
            tool_calls=calls)
        return self._view

    def _placed(self, calls: tuple[ToolCallView, ...], closed: int
                ) -> tuple[ToolCallView, ...]:
        """The calls with an item of their own (``call_<id>``), which the transcript draws
        them by, each remembered at the line count it was first seen at."""
        for call in calls:
            self._anchors.setdefault(call.call_id, closed)
        if len(self._anchors) > 4 * len(calls) + 50:  # calls the runner forgot
            seen = {call.call_id for call in calls}
            self._anchors = {k: v for k, v in self._anchors.items() if k in seen}
        return tuple(replace(call, item_id=f"call_{call.call_id}") for call in calls)

    def _with_calls(self, lines: tuple[TranscriptEntry, ...],
                    calls: tuple[ToolCallView, ...]) -> tuple[TranscriptEntry, ...]:
        if not calls:
            return lines
        at: dict[int, list[ToolCallView]] = {}
        for call in calls:  # in the order they came
            at.setdefault(min(self._anchors[call.call_id], len(lines)), []).append(call)
        out: list[TranscriptEntry] = []
        for place in range(len(lines) + 1):
            out.extend(TranscriptEntry(id=f"call_{call.call_id}", role="tool",
                                       text=f"{call.name}()", status="done",
                                       kind="function_call", call_id=call.call_id)
                       for call in at.get(place, ()))
            if place < len(lines):
                out.append(lines[place])
        return tuple(out)

    def _playback_span(self, speaking: bool) -> None:
        now = self._clock()
        open_span = self._spans and self._spans[-1].ended_at is None
        if speaking and not open_span:
            self._spans.append(PlaybackSpan(None, "assistant", now))
            del self._spans[:-50]
        elif not speaking and open_span:
            last = self._spans[-1]
            self._spans[-1] = PlaybackSpan(None, "assistant", last.started_at, now, "drained")
