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

The cache, the playback spans, the response and what full duplex fixes are GPT-Live's too
(:mod:`voicechat.runtime.duplex.session_view`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from voicechat.core.gemini import GeminiView
from voicechat.core.mic import MicReason, MicState
from voicechat.core.tool_specs import ToolCallView
from voicechat.core.view import SessionView, TranscriptEntry
from voicechat.runtime.duplex.session_view import DuplexSessionView, answer_state


class GeminiSessionView(DuplexSessionView):
    """Builds the TUI's snapshot from the Gemini view, only when something changed."""

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__(clock)
        #: each call's place: how many lines were closed when it was first seen
        self._anchors: dict[str, int] = {}

    def view(self, gemini: GeminiView, *, speaking: bool, muted: bool, no_mic: bool,
             transport_state: str, calls: tuple[ToolCallView, ...] = ()) -> SessionView:
        cached = self._cached((gemini, speaking, muted or no_mic, transport_state, calls))
        if cached is not None:
            return cached
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
        return self._snapshot(
            mode="gemini", transport="websocket", transport_state=transport_state, mic=mic,
            mic_reason=reason, speaking=speaking,
            response=answer_state(speaking, None if last is None else last.interrupted),
            entries=entries, vad_segments=(), notices=(), tool_calls=calls)

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
