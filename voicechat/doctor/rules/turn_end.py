"""``speech-never-ended``: the server heard the user start speaking, then the audio stopped
before it heard them stop, so the turn was never committed and nothing was answered.

Server VAD ends a turn on silence it *hears*. Over WebSocket the app sends the audio itself,
and an app that stops sending the moment its source runs out (a file or buffer played as the
mic, a push-to-talk release with VAD left on, a mic closed mid-sentence) leaves the server in the
middle of a turn: no ``speech_stopped``, no commit, no response, and often no error either
(issue 36, item 2: a speech file that ran to its last sample got no answer, exit 0). WebRTC
keeps streaming silence, so this is a WebSocket pattern; a log of server events only cannot show
the audio and is left alone.

Evidence: a ``speech_started`` with no ``speech_stopped``, commit or clear after it, and the
client's appends stopped with it: our logs say so (``local.mic.ended`` in the open turn);
another app's log shows no append for at least :data:`QUIET_S` before the log ends. A log that
simply ends mid-sentence (cut while the user spoke) still has appends up to its end, so it
stays quiet; the finding is worded for a log that may have been cut there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from voicechat.doctor.context import Context
from voicechat.doctor.rules.base import Rule
from voicechat.eventlog.entry import Entry
from voicechat.eventlog.run import Run

#: another app's log: the appends stopped at least this long before its end
QUIET_S = 3.0

_ENDS_TURN = frozenset({"input_audio_buffer.speech_stopped", "input_audio_buffer.committed",
                        "input_audio_buffer.cleared"})
_CLIENT_ENDS_TURN = frozenset({"input_audio_buffer.commit", "input_audio_buffer.clear"})


class SpeechNeverEnded(Rule):
    id = "speech-never-ended"
    title = "The user's speech started but the server never heard it end"
    feeds_on = (frozenset({"input_audio_buffer.speech_started", "input_audio_buffer.append",
                           "local.mic.ended"}) | _ENDS_TURN | _CLIENT_ENDS_TURN)
    #: Each by its type, direction, place and time alone.
    reads: ClassVar[Mapping[str, frozenset[str]]] = dict.fromkeys(
        {"input_audio_buffer.append", "input_audio_buffer.speech_started", *_ENDS_TURN},
        frozenset())

    def __init__(self) -> None:
        super().__init__()
        self.started: Entry | None = None  # the open turn's speech_started
        self.last_append_t: float | None = None
        self.mic_ended: Entry | None = None  # our logs: the mic's source ended in the turn

    def feed(self, entry: Entry, ctx: Context) -> None:
        kind = entry.type
        if kind == "input_audio_buffer.append":
            if entry.dir == "out" and entry.t is not None:
                self.last_append_t = entry.t
            return
        if kind == "input_audio_buffer.speech_started" and entry.dir == "in":
            self.started, self.mic_ended = entry, None
        elif (kind in _ENDS_TURN and entry.dir == "in") or (
                kind in _CLIENT_ENDS_TURN and entry.dir == "out"):
            self.started = self.mic_ended = None
        elif kind == "local.mic.ended" and self.started is not None:
            self.mic_ended = entry

    def feed_run(self, run: Run, ctx: Context) -> None:
        """A run of appends: only the last time among them matters (an append without one,
        such as an event found inside a torn line, keeps the time before it, as in
        :meth:`feed`)."""
        if run.dir == "out":
            for item in reversed(run.items):
                last = item[2]
                if isinstance(last, int | float):
                    self.last_append_t = float(last)
                    return

    def conclude(self, ctx: Context) -> None:
        started = self.started
        if started is None or ctx.webrtc:
            return
        if self.mic_ended is not None:
            self.add(started, f"the mic's audio ended ({self.mic_ended.type} at "
                              f"{self.mic_ended.where()}) while the server still heard speech: "
                              "no speech_stopped, no commit, no answer until the log ends")
            return
        end_t = ctx.end_t
        last = self.last_append_t
        if (end_t is None or last is None or started.t is None or last < started.t
                or end_t - last < QUIET_S):
            return
        self.add(started, f"no audio was sent after t={last:.3f}s, {end_t - last:.1f} s before "
                          "the log ends, and the server never heard the speech stop (no "
                          "speech_stopped or commit); if the log was cut here, this may be "
                          "where it was cut rather than what the app did")

    def fix(self, ctx: Context) -> str:
        return ("Server VAD ends a turn on silence it hears: keep sending audio (silence will "
                "do, ~1 s or the session's silence_duration_ms plus a margin) after the speech "
                "ends, or send input_audio_buffer.commit and response.create yourself when your "
                "source runs out. voicechat's --mic FILE does the former.")
