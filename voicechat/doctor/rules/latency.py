"""``slow-first-audio``: most answers took over 2 s to start, and what dominated the wait.

Why: the time from the end of the user's speech to the first sound of the answer decides
whether a voice app feels alive, and it is spent in several places (the VAD's silence wait, the
commit, the response's start, a tool that blocks the answer, the model's first audio, the
network and the jitter buffer). Each has its own fix, so the finding names the stage that took
the most across the slow turns, with the fix for that stage.

The rule is also where the doctor times every turn: it runs the one turn timeline
(:mod:`voicechat.latency`) over the log, and the report's latency section (median, p95, the
slowest turn and what dominated it; ``doctor --json``'s ``latency``) is read from it, so the
figures and the verdict can never disagree.

"Slow" is the user's wait (:attr:`~voicechat.latency.TurnLatency.heard_ms`: the VAD's silence
wait, when the log shows the VAD's settings, plus the end of the turn to the first audio) over
:data:`SLOW_MS`, in more than half of the answered turns: one slow answer is a hiccup, most of
them is a setting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from math import isfinite
from operator import itemgetter
from typing import Any, ClassVar

from voicechat.doctor.context import Context
from voicechat.doctor.rules.base import RESPONSE_ID, Rule
from voicechat.eventlog.entry import Entry
from voicechat.eventlog.run import CANONICAL, Run, T
from voicechat.latency import BargeIn, Stage, TurnLatency, TurnTimeline, summarize
from voicechat.latency.text import seconds
from voicechat.latency.timeline import DELTAS, READS_IN

#: The user's wait over which a turn counts as slow.
SLOW_MS = 2000.0
#: In a log without times, the answered turns the mic-audio clock could not time (and none it
#: could) after which the rule stops looking for that clock: the mic does not stream there
#: (push-to-talk, a client that logs its appends in bursts, or none), so no later turn will be
#: timed either, and following every event of a long log for nothing cost the doctor ~10 % of
#: its time on such a log (issue 55, bench_doctor's ``clean-ga`` shape). A decision where the
#: sources are silent: a log whose mic starts streaming after three untimeable answers loses
#: its later figures, and the latency section says the log has no clock.
CLOCKLESS_AFTER = 3

_EMPTY: frozenset[str] = frozenset()
_TIME_OF = itemgetter(T)
#: The server events the timeline reads, less the output deltas (which it reads only while
#: they can matter): what :meth:`SlowFirstAudio.feed` hands it without its filter.
_SERVER_EVENTS = READS_IN - DELTAS


class SlowFirstAudio(Rule):
    id = "slow-first-audio"
    title = "Most answers took over 2 s to start playing"
    feeds_on = frozenset({
        "session.created", "session.updated", "session.update",
        "input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed", "input_audio_buffer.commit",
        "input_audio_buffer.append", "conversation.item.create", "response.create",
        "response.created", "response.done", "response.output_item.done",
        "response.output_audio.delta", "response.output_audio_transcript.delta",
        "response.output_text.delta", "output_audio_buffer.started",
        "output_audio_buffer.stopped", "output_audio_buffer.cleared",
        "output_audio_buffer.clear", "response.cancel", "conversation.item.truncate",
        "local.transport.state", "local.playback.started", "local.playback.drained",
        "local.bargein.paused", "local.bargein.resumed",
    })
    reads: ClassVar[dict[str, frozenset[str]]] = {
        "input_audio_buffer.speech_started": _EMPTY, "input_audio_buffer.speech_stopped": _EMPTY,
        "input_audio_buffer.committed": _EMPTY, "input_audio_buffer.commit": _EMPTY,
        "input_audio_buffer.append": _EMPTY,  # a client stub keeps its audio's size
        "response.output_audio.delta": RESPONSE_ID,
        "response.output_audio_transcript.delta": RESPONSE_ID,
        "response.output_text.delta": RESPONSE_ID,
        "output_audio_buffer.started": RESPONSE_ID,
        "output_audio_buffer.stopped": _EMPTY, "output_audio_buffer.cleared": _EMPTY,
        "output_audio_buffer.clear": _EMPTY, "response.cancel": _EMPTY,
        "conversation.item.truncate": _EMPTY, "local.transport.state": _EMPTY,
        "local.playback.started": _EMPTY, "local.playback.drained": _EMPTY,
        "local.bargein.paused": frozenset({"speech_ms"}), "local.bargein.resumed": _EMPTY,
    }

    def __init__(self) -> None:
        super().__init__()
        self.timeline = TurnTimeline()
        self.turns: list[TurnLatency] = []
        self.barge_ins: list[BargeIn] = []
        self.timed = False  # some event had a time
        self.clockless = False  # no times, and the mic-audio clock timed nothing: stop looking
        self.finished = False
        self._slow: list[tuple[TurnLatency, Entry]] = []  # with where it was reported

    def feed(self, entry: Entry, ctx: Context) -> None:
        t = entry.t
        timeline = self.timeline
        if t is None:
            if self.clockless:
                return
            if (timeline.untimeable >= CLOCKLESS_AFTER and not self.turns
                    and not self.timed):
                self.clockless = True
                return
            if entry.dir == "in":
                # a log without times, on the mic-audio clock: only what can matter now
                handler = timeline.wants.get(entry.type)
                if handler is None:
                    return
                results = timeline.untimed(handler, entry.canonical)
            else:
                results = timeline.feed(None, entry.dir, entry.canonical)
        else:
            self.timed = True
            kind = entry.type
            if entry.dir == "in" and kind in _SERVER_EVENTS and isfinite(t):
                # a server event the timeline reads (feeds_on) with its time: straight to
                # the timeline's own path for those, a call shorter (most of what it reads)
                results = timeline.server_event(t, kind, entry.canonical)
            elif kind == "input_audio_buffer.append":
                return  # the mic audio is the clock only in a log without times
            else:
                results = timeline.feed(t, entry.dir, entry.canonical)
        if results:
            self._take(results, entry)

    def feed_run(self, run: Run, ctx: Context) -> None:
        """A run of appends going out or deltas coming in: most of a log, and little of it
        matters here. Appends are the clock only in a log without times (else passed over);
        deltas only while one can matter (a turn's first audio or text, a new response's
        audio: ``TurnTimeline.deltas_matter``), and then one that repeats the type and
        response of the one before it changes nothing unless a turn waits out its playback."""
        items = run.items
        timeline = self.timeline
        if not self.timed:
            # (a count in C: in a log without times every run is looked through, to its end)
            self.timed = list(map(_TIME_OF, items)).count(None) != len(items)
        clockless = self.clockless
        if run.dir == "out":
            if clockless:
                return  # (appends are the clock only in a log without times)
            appended = timeline.mic_appended  # (a run going out is the mic's appends)
            for item in items:
                if item[T] is None:
                    appended(item[CANONICAL])
            return
        if not timeline.deltas_matter:
            return
        previous: tuple[Any, Any] | None = None
        for position, item in enumerate(items):
            if not timeline.deltas_matter:
                return
            if clockless and item[T] is None:
                continue
            canonical = item[CANONICAL]
            key = (canonical.get("type"), canonical.get("response_id"))
            if key == previous and not timeline.waiting_for_playback:
                continue
            previous = key
            results = timeline.feed(item[T], "in", canonical)
            if results:
                self._take(results, run.entry(position))

    def _take(self, results: Sequence[TurnLatency | BargeIn], entry: Entry) -> None:
        for result in results:
            if isinstance(result, BargeIn):
                self.barge_ins.append(result)
                continue
            self.turns.append(result)
            if result.heard_ms > SLOW_MS:
                self._slow.append((result, entry))

    def conclude(self, ctx: Context) -> None:
        if self.finished:
            return
        self.finished = True
        if ctx.last is not None:
            self._take(self.timeline.finish(), ctx.last)
        if not self.turns or len(self._slow) * 2 <= len(self.turns):
            return
        for turn, entry in self._slow:
            self.add(entry, f"{turn.response_id or 'a response'}: "
                            f"{seconds(turn.heard_ms)} s to first audio, "
                            f"{_parts(turn)}")

    def dominant(self) -> Stage | None:
        """The stage with the most time over the slow turns (tools grouped by name)."""
        totals: dict[str, float] = defaultdict(float)
        for turn, _ in self._slow:
            for stage in turn.breakdown():
                totals[stage.name] += stage.ms
        if not totals:
            return None
        name = max(totals, key=lambda key: totals[key])
        return Stage(name, totals[name] / len(self._slow))

    def fix(self, ctx: Context) -> str:
        stage = self.dominant()
        summary = summarize(turn.heard_ms for turn in self.turns)
        lead = (f"{len(self._slow)} of {len(self.turns)} answers took over "
                f"{seconds(SLOW_MS)} s" + (f" (median {seconds(summary.p50)} s)"
                                           if summary else "") + ". ")
        if stage is None:
            return lead + "The log does not show where the time went."
        lead += f"The largest part is {stage.name} ({seconds(stage.ms)} s a turn on average): "
        return lead + _stage_fix(stage.name, ctx)


def _parts(turn: TurnLatency) -> str:
    parts = ", ".join(f"{stage.name} {seconds(stage.ms)}" for stage in turn.breakdown()
                      if stage.ms >= 10)
    return parts or "no breakdown"


def _stage_fix(name: str, ctx: Context) -> str:
    detection = ctx.turn_detection or {}
    if name == "VAD":
        silence = detection.get("silence_duration_ms")
        return (f"the server VAD waits {silence} ms of silence before it ends a turn. Lower "
                "audio.input.turn_detection.silence_duration_ms (300 to 500 ms suits most "
                "speakers), or use semantic_vad with eagerness \"high\", which ends a turn as "
                "soon as the words sound finished.")
    if name == "commit":
        return ("the server took that long to commit the audio after the end of speech: the "
                "network or a gateway between the app and the model holds events back. Check "
                "the route (a relay, a proxy's buffering) and the region.")
    if name == "response":
        return ("the response started that long after the audio was committed. If the app "
                "sends response.create itself (turn_detection.create_response false), send it "
                "the moment input_audio_buffer.committed arrives; else the service queued the "
                "response (a gateway, rate limits: check rate_limits.updated).")
    if name.startswith("tool "):
        tool = name.removeprefix("tool ")
        return (f"the tool {tool} ran before the answer could start. Make it faster, give it "
                "a timeout, or tell the model in its instructions to say a few words (\"let me "
                "check\") before it calls a slow tool, so the user hears something at once.")
    if name == "network+buffer":
        return ("the audio took that long from arriving to playing: the network path or the "
                "client's jitter buffer and speaker queue. Keep the playback buffer small "
                "(100 to 200 ms) and check for packet loss.")
    instructions = ctx.session.get("instructions") if isinstance(ctx.session, dict) else None
    tools = ctx.session.get("tools") if isinstance(ctx.session, dict) else None
    detail = []
    if isinstance(instructions, str) and len(instructions) > 4000:
        detail.append(f"the instructions are {len(instructions)} characters")
    if isinstance(tools, list) and len(tools) > 10:
        detail.append(f"{len(tools)} tools are declared")
    seen = f" ({'; '.join(detail)})" if detail else ""
    return (f"the model's own time to its first audio{seen}. Shorten the instructions and "
            "the tool list (every token is read before the first word), lower the reasoning "
            "effort where the model has one, or try a faster model.")
