"""Rules about server VAD turns: ``short-speech-segments`` and ``self-interruption``.

Both are tuning problems with the same knobs (VAD threshold, silence duration, echo), so the
fixes quote the session's actual turn_detection settings and propose concrete new values in the
dialect the server speaks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from voicechat.doctor.context import Context, dig
from voicechat.doctor.rules.base import (
    RESPONSE_ID,
    Rule,
    delta_tally,
    ms,
    response_id,
    response_id_of,
    since,
)
from voicechat.eventlog.entry import Entry
from voicechat.eventlog.run import CANONICAL, Run
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.session_audio import (
    DEFAULT_PREFIX_PADDING_MS,
    DEFAULT_SILENCE_DURATION_MS,
    DEFAULT_THRESHOLD,
    SHORT_SPEECH_SEGMENT_MS,
)

#: User "speech" this soon after the assistant starts playing is most likely its own echo.
SELF_INTERRUPT_S = 1.0
#: the same item playing again this soon (s) after its playback drained is the same playback
#: going on after an underrun, not a new start
UNDERRUN_RESUME_S = 0.3
#: Without times: at most this many output deltas before the cut counts as "moments".
SELF_INTERRUPT_DELTAS = 3
#: A cut whose truncation says less assistant audio than this was played cannot have been
#: triggered by its echo: there was nothing (or a click) to hear. Real beta WebRTC logs show
#: such cuts (``audio_end_ms`` 0 and 20) when the user simply kept talking.
ECHO_MIN_PLAYED_MS = 200
#: ... and one showing more than this was played came well after the first moments: the
#: server truncates when VAD fires, at most ~0.5 s after speech began, so the speech began
#: after ``SELF_INTERRUPT_S`` of playback. A real GA WebRTC capture's user interrupted at 1640 ms
#: after 3 transcript deltas (WebRTC sends the text well ahead of the sound).
ECHO_MAX_PLAYED_MS = int(SELF_INTERRUPT_S * 1000) + 500

_OUTPUT_DELTAS = frozenset({"response.output_audio.delta", "response.output_audio_transcript.delta",
                            "response.output_text.delta"})


def vad_settings(ctx: Context) -> dict[str, Any]:
    td = ctx.turn_detection or {}
    return {
        "type": td.get("type", "server_vad"),
        "threshold": td.get("threshold", DEFAULT_THRESHOLD),
        "prefix_padding_ms": td.get("prefix_padding_ms", DEFAULT_PREFIX_PADDING_MS),
        "silence_duration_ms": td.get("silence_duration_ms", DEFAULT_SILENCE_DURATION_MS),
    }


def describe_vad(ctx: Context) -> str:
    if ctx.turn_detection is None:
        if ctx.session is not None and dig(ctx.session, "audio", "input") is not None:
            return "turn_detection is null (push-to-talk)"
        return ("the log has no session config; server defaults are server_vad "
                f"{DEFAULT_THRESHOLD}/{DEFAULT_PREFIX_PADDING_MS}/{DEFAULT_SILENCE_DURATION_MS}")
    s = vad_settings(ctx)
    if s["type"] == "semantic_vad":
        return f"semantic_vad eagerness {ctx.turn_detection.get('eagerness', 'auto')}"
    return (f"server_vad threshold {s['threshold']}, prefix_padding_ms {s['prefix_padding_ms']}, "
            f"silence_duration_ms {s['silence_duration_ms']}")


def session_snippet(ctx: Context, turn_detection: dict[str, Any]) -> str:
    """A session.update body carrying ``turn_detection`` in the server's dialect."""
    if ctx.dialect is Dialect.BETA:
        body: dict[str, Any] = {"type": "session.update",
                                "session": {"turn_detection": turn_detection}}
    else:
        body = {"type": "session.update", "session": {
            "type": "realtime", "audio": {"input": {"turn_detection": turn_detection}}}}
    return json.dumps(body)


class ShortSpeechSegments(Rule):
    id = "short-speech-segments"
    title = "Server VAD cut speech into segments too short to transcribe"
    feeds_on = frozenset({"input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped"})
    reads: ClassVar[Mapping[str, frozenset[str]]] = {
        "input_audio_buffer.speech_started": frozenset({"item_id", "audio_start_ms"}),
        "input_audio_buffer.speech_stopped": frozenset({"item_id", "audio_end_ms"})}

    def __init__(self) -> None:
        super().__init__()
        self.starts: dict[str, int] = {}
        self.total = 0
        self.shortest: list[int] = []

    def feed(self, entry: Entry, ctx: Context) -> None:
        if entry.dir != "in":
            return
        event = entry.canonical
        if entry.type == "input_audio_buffer.speech_started":
            item, start = event.get("item_id"), event.get("audio_start_ms")
            if isinstance(item, str) and isinstance(start, int | float):
                self.starts[item] = int(start)
                if len(self.starts) > 64:
                    self.starts.pop(next(iter(self.starts)))
        elif entry.type == "input_audio_buffer.speech_stopped":
            item, end = event.get("item_id"), event.get("audio_end_ms")
            start = self.starts.pop(item, None) if isinstance(item, str) else None
            if start is None or not isinstance(end, int | float):
                return
            self.total += 1
            duration = int(end) - start
            if duration < SHORT_SPEECH_SEGMENT_MS:
                self.add(entry, f"{item}: {duration} ms of audio (speech_started at {start} ms "
                                f"→ speech_stopped at {int(end)} ms)")
                if len(self.shortest) < 50:
                    self.shortest.append(duration)

    def conclude(self, ctx: Context) -> None:
        # One blip (a cough, a click) is normal; a pattern is a tuning problem.
        if self.count < 2 and not (self.count == 1 and self.total <= 3):
            self.count = 0
            self.evidence.clear()

    def fix(self, ctx: Context) -> str:
        s = vad_settings(ctx)
        threshold = round(min(0.9, max(float(s["threshold"]) + 0.1, 0.6)), 2)
        silence = max(500, int(s["silence_duration_ms"]) * 2)
        td = {"type": "server_vad", "threshold": threshold,
              "prefix_padding_ms": s["prefix_padding_ms"], "silence_duration_ms": silence}
        short = SHORT_SPEECH_SEGMENT_MS
        return (f"{self.count} of {self.total} speech segments were under {short} ms "
                f"with {describe_vad(ctx)}. Noise, clicks or echo are triggering VAD and short "
                f"pauses end the turn: raise threshold to {threshold} and silence_duration_ms to "
                f"{silence}, e.g. {session_snippet(ctx, td)} — or try semantic_vad "
                "(eagerness \"low\"), which waits for the end of a thought.")


class SelfInterruption(Rule):
    id = "self-interruption"
    title = "The assistant was interrupted by its own voice (echo)"
    feeds_on = _OUTPUT_DELTAS | {
        "output_audio_buffer.started", "local.playback.started",
        "input_audio_buffer.speech_started", "output_audio_buffer.stopped",
        "local.playback.drained", "response.created",
        "output_audio_buffer.cleared", "response.done", "conversation.item.truncate",
        "conversation.item.truncated", "response.cancel", "output_audio_buffer.clear",
        "local.speaker.sink"}
    #: Output deltas: counted per playing response; the user's speech by its item.
    reads: ClassVar[Mapping[str, frozenset[str]]] = {
        **dict.fromkeys(_OUTPUT_DELTAS, RESPONSE_ID),
        "input_audio_buffer.speech_started": frozenset({"item_id"})}

    def __init__(self) -> None:
        super().__init__()
        self.playing: Entry | None = None  # start of the current playback
        self.playing_id: str | None = None
        self.deltas = 0
        self.suspect: tuple[Entry, Entry, int] | None = None  # (start, speech_started, deltas)
        #: A cut that looked like echo, held until the truncation says how much was played.
        self.pending: tuple[Entry, str] | None = None
        #: the last playback that drained: (drained, its start, response, deltas)
        self.drained: tuple[Entry, Entry, str | None, int] | None = None
        #: the log says no sound reached a mic from the speaker (``voicechat test``'s scripted
        #: mic and virtual speaker, a file mic): a cut is then the caller's own speech, never
        #: echo (a recorded caller going on after a pause read as echo: issue 79)
        self.no_echo_path = False

    def feed(self, entry: Entry, ctx: Context) -> None:
        kind = entry.type
        if kind == "local.speaker.sink":
            self.no_echo_path = entry.canonical.get("echo_path") is False
            return
        if kind in ("conversation.item.truncate", "conversation.item.truncated"):
            self._judge_pending(entry)
        if entry.dir == "in" and kind == "output_audio_buffer.started":
            self._start(entry, response_id(entry))
        elif kind == "local.playback.started" and not ctx.webrtc:
            if not self._resumed(entry):
                self._start(entry, None)
        elif entry.dir == "in" and kind in _OUTPUT_DELTAS:
            rid = response_id(entry)
            if self.playing is None and kind == "response.output_audio.delta" and not ctx.webrtc \
                    and not ctx.ours:
                self._start(entry, rid)
            if self.playing is not None and (self.playing_id in (None, rid)):
                self.deltas += 1
        elif entry.dir == "in" and kind == "input_audio_buffer.speech_started":
            if self.playing is not None and self.suspect is None and self._soon(entry):
                self.suspect = (self.playing, entry, self.deltas)
        elif self._is_cut(entry):
            if self.suspect is not None:
                start, speech, deltas = self.suspect
                gap = since(start, speech)
                when = f"+{ms(gap)}" if gap is not None else f"after {deltas} output deltas"
                rid = self.playing_id or "?"
                self._commit()
                self.pending = (speech, f"{rid}: playback started {start.where()} ({start.type}), "
                                        f"user speech_started {when} "
                                        f"({speech.canonical.get('item_id')}), playback cut "
                                        f"{entry.where()} ({entry.type})")
                if kind == "conversation.item.truncate":
                    self._judge_pending(entry)
            self._stop()
        elif kind in ("output_audio_buffer.stopped", "local.playback.drained") or (
            kind == "response.created" and not ctx.webrtc and not ctx.ours
        ):
            if kind == "local.playback.drained" and self.playing is not None:
                self.drained = (entry, self.playing, self.playing_id, self.deltas)
            self._stop()

    def feed_run(self, run: Run, ctx: Context) -> None:
        """:meth:`feed` on each of ``run``: incoming output deltas counted against the playing
        response in one call (outgoing runs are appends, which this rule does not read)."""
        if run.dir != "in":
            super().feed_run(run, ctx)
            return
        items = run.items
        start = 0
        if self.playing is None:
            if ctx.webrtc or ctx.ours:  # neither moves during a run of deltas
                return  # nothing plays, and no delta here may start playback
            for start, item in enumerate(items):
                canonical = item[CANONICAL]
                if canonical.get("type") == "response.output_audio.delta":
                    self._start(run.entry(start), response_id_of(canonical))
                    break
            else:
                return
        # Playback is on from ``start`` to the end of the run (only a non-delta stops it): count
        # the deltas of the playing response (of any, when it is not known): the whole run's,
        # from the tally the other rules counting deltas share, less those before ``start``.
        playing_id = self.playing_id
        deltas = 0
        for (kind, rid), count in delta_tally(run).items():
            if kind in _OUTPUT_DELTAS and (playing_id is None or rid == playing_id):
                deltas += count
        for item in items[:start]:
            canonical = item[CANONICAL]
            if canonical.get("type") in _OUTPUT_DELTAS and (
                    playing_id is None or response_id_of(canonical) == playing_id):
                deltas -= 1
        self.deltas += deltas

    def _resumed(self, started: Entry) -> bool:
        """Playback of the same item again within ``UNDERRUN_RESUME_S`` of draining: the
        speaker ran dry for a moment (an underrun on a loaded machine) and went on, which is no
        new start. Taken for one, it made a user's "stop" 1.3 s into the answer look like echo
        0.8 s after a start (our own examples test, 2026-11-27)."""
        drained, self.drained = self.drained, None
        if drained is None:
            return False
        entry, playing, playing_id, deltas = drained
        gap = since(entry, started)
        item = started.canonical.get("item_id")
        if item is None or item != entry.canonical.get("item_id") or gap is None \
                or gap > UNDERRUN_RESUME_S:
            return False
        self.playing, self.playing_id, self.deltas = playing, playing_id, deltas
        return True

    def _soon(self, speech: Entry) -> bool:
        gap = since(self.playing, speech)
        if gap is not None:
            return gap < SELF_INTERRUPT_S
        return self.deltas <= SELF_INTERRUPT_DELTAS

    @staticmethod
    def _is_cut(entry: Entry) -> bool:
        kind = entry.type
        if entry.dir == "in" and kind == "output_audio_buffer.cleared":
            return True
        if entry.dir == "in" and kind == "response.done":
            return bool(dig(entry.canonical, "response", "status") == "cancelled")
        if entry.dir == "local" and kind == "local.playback.drained":
            return False
        return entry.dir == "out" and kind in ("conversation.item.truncate", "response.cancel",
                                               "output_audio_buffer.clear")

    def _judge_pending(self, truncation: Entry) -> None:
        """Keep the held cut as echo unless the truncation shows how much was played was too
        little to echo or too much for "moments after playback began"."""
        played = truncation.canonical.get("audio_end_ms")
        if self.pending is not None and isinstance(played, int | float) \
                and not ECHO_MIN_PLAYED_MS <= played <= ECHO_MAX_PLAYED_MS:
            self.pending = None  # the user talked over the reply: not its echo
        self._commit()

    def _commit(self) -> None:
        if self.pending is not None and not self.no_echo_path:
            self.add(*self.pending)
        self.pending = None

    def conclude(self, ctx: Context) -> None:
        self._commit()

    def _start(self, entry: Entry, rid: str | None) -> None:
        self._commit()
        self.playing = entry
        self.playing_id = rid
        self.deltas = 0
        self.suspect = None

    def _stop(self) -> None:
        self.playing = None
        self.playing_id = None
        self.suspect = None

    def fix(self, ctx: Context) -> str:
        s = vad_settings(ctx)
        threshold = round(min(0.9, max(float(s["threshold"]) + 0.2, 0.7)), 2)
        return (
            "The mic hears the assistant: mute it during playback (voicechat's default, "
            "--no-barge-in), use headphones or echo cancellation (e.g. a WebRTC/OS AEC), and "
            f"only count a barge-in after ≥800 ms of assistant speech and ≥300 ms of user "
            f"speech. With {describe_vad(ctx)}, also raise the VAD threshold to {threshold} or set "
            "interrupt_response: false and interrupt from the client after those minimums."
        )
