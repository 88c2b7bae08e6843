"""GPT-Live rules about the conversation itself: the mic stream and client delegations.

Full duplex: GPT-Live listens while it speaks and decides alone when to yield, so the client
must stream its mic continuously, silence included. Gating the mic while the assistant talks
(a Realtime habit) kills barge-in. And a task the model delegates to the client
(``target: client``) has no completion signal: the model waits until the client appends
something with that ``delegation_id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from voicechat.doctor.context import Context
from voicechat.doctor.rules.base import Rule, ms
from voicechat.eventlog.entry import Entry
from voicechat.protocol.live import names

#: A stretch this long with no mic append is a pause (appends come every 20-100 ms).
MIC_GAP_S = 1.0
#: A client delegation with no append for it this long is unanswered (pipecat and our own
#: client give up after 30 s and send a fallback line).
DELEGATION_WAIT_S = 30.0
#: At the end of a log, a delegation this old with no answer counts (a log that stops a
#: moment after the delegation says nothing about the answer).
DELEGATION_END_S = 10.0


class LiveMicPausedWhileSpeaking(Rule):
    """The client stopped sending mic audio while the assistant was speaking (output
    transcript deltas arriving), then resumed or never did; our own logs also say it with
    ``local.mic.muted`` for playback. A ``session.input_audio.mute`` (the documented way to
    stop feeding the model) before the pause makes it deliberate, not this pitfall."""

    id = "live-mic-paused-while-speaking"
    title = "GPT-Live: the mic stream paused while the assistant spoke"
    feeds_on = frozenset({names.INPUT_AUDIO_APPEND, names.OUTPUT_TRANSCRIPT_DELTA,
                          names.INPUT_AUDIO_MUTE, names.INPUT_AUDIO_UNMUTE, "local.mic.muted"})
    reads: ClassVar[Mapping[str, frozenset[str]]] = {
        names.INPUT_AUDIO_APPEND: frozenset(), names.OUTPUT_TRANSCRIPT_DELTA: frozenset(),
        names.INPUT_AUDIO_MUTE: frozenset(), names.INPUT_AUDIO_UNMUTE: frozenset()}

    def __init__(self) -> None:
        super().__init__()
        self.last_append: float | None = None
        self.speech_in_gap: Entry | None = None
        self.muted = False
        self.longest = 0.0

    def feed(self, entry: Entry, ctx: Context) -> None:
        kind, t = entry.type, entry.t
        if kind == names.INPUT_AUDIO_MUTE:
            self.muted = True
        elif kind == names.INPUT_AUDIO_UNMUTE:
            self.muted = False
            self.last_append = None
        elif kind == "local.mic.muted":
            if ctx.live and entry.canonical.get("reason") == "playback":
                self.add(entry, "muted the mic for playback")
        elif t is None:
            return
        elif kind == names.OUTPUT_TRANSCRIPT_DELTA and entry.dir == "in":
            if (self.last_append is not None and not self.muted and self.speech_in_gap is None
                    and t - self.last_append >= MIC_GAP_S / 2):
                self.speech_in_gap = entry
        elif kind == names.INPUT_AUDIO_APPEND and entry.dir == "out":
            self._close_gap(entry, t, resumed=True)
            self.last_append = t
            self.speech_in_gap = None

    def _close_gap(self, entry: Entry, t: float, *, resumed: bool) -> None:
        if self.last_append is None or self.speech_in_gap is None or self.muted:
            return
        gap = t - self.last_append
        if gap >= MIC_GAP_S:
            self.longest = max(self.longest, gap)
            how = "until this append" if resumed else "to the end of the log"
            self.add(self.speech_in_gap, f"no mic audio for {ms(gap)} ({how}) while the "
                                         "assistant spoke")

    def conclude(self, ctx: Context) -> None:
        if ctx.live and ctx.end_t is not None and ctx.last is not None:
            self._close_gap(ctx.last, ctx.end_t, resumed=False)

    def fix(self, ctx: Context) -> str:
        return (f"Keep streaming session.input_audio.append (silence included) while the "
                f"assistant speaks (the longest pause here: {ms(self.longest)}): GPT-Live is "
                "full duplex and hears barge-in only from a continuous stream. Stop the "
                "speaker's echo with echo cancellation (or headphones), not by muting; to stop "
                "feeding the model on purpose, send session.input_audio.mute.")


class LiveDelegationUnanswered(Rule):
    """A client delegation (``session.delegation.created`` with ``target: client``) that no
    ``session.*.append`` with its ``delegation_id`` ever answered: the model waits for it."""

    id = "live-client-delegation-unanswered"
    title = "GPT-Live: a client delegation was never answered"
    feeds_on = frozenset({names.DELEGATION_CREATED, *names.APPENDS, names.SESSION_CLOSED,
                          names.OUTPUT_TRANSCRIPT_DELTA, names.INPUT_TRANSCRIPT_DELTA,
                          names.USAGE_UPDATED})
    reads: ClassVar[Mapping[str, frozenset[str]]] = {
        names.OUTPUT_TRANSCRIPT_DELTA: frozenset(), names.INPUT_TRANSCRIPT_DELTA: frozenset(),
        names.USAGE_UPDATED: frozenset(), names.SESSION_CLOSED: frozenset()}

    def __init__(self) -> None:
        super().__init__()
        self.waiting: dict[str, Entry] = {}
        self.closed = False

    def feed(self, entry: Entry, ctx: Context) -> None:
        kind = entry.type
        if kind == names.DELEGATION_CREATED and entry.dir == "in":
            delegation = entry.canonical.get("delegation")
            if isinstance(delegation, dict) and delegation.get("target") == "client":
                task = delegation.get("id")
                if isinstance(task, str) and len(self.waiting) < 1000:
                    self.waiting[task] = entry
        elif kind in names.APPENDS and entry.dir == "out":
            task = entry.canonical.get("delegation_id")
            if isinstance(task, str):
                self.waiting.pop(task, None)
        elif kind == names.SESSION_CLOSED:
            self.closed = True
        if entry.t is not None and ctx.client_logged:
            for task, created in list(self.waiting.items()):
                if created.t is not None and entry.t - created.t >= DELEGATION_WAIT_S:
                    self._report(task, created, f"no answer in {DELEGATION_WAIT_S:g} s")

    def _report(self, task: str, created: Entry, why: str) -> None:
        del self.waiting[task]
        self.add(created, f"client delegation {task[:40]}: {why}")

    def conclude(self, ctx: Context) -> None:
        if not ctx.client_logged:
            return  # a log of server events only cannot show the client's answers
        end = ctx.end_t
        for task, created in list(self.waiting.items()):
            aged = end is not None and created.t is not None and (
                end - created.t >= DELEGATION_END_S)
            if self.closed or aged:
                self._report(task, created, "never answered before the log ends")

    def fix(self, ctx: Context) -> str:
        return ("Answer every client delegation: send its result as session.commentary.append "
                "(the model says it) or progress as session.thinking.append, with "
                "delegation_id set to the id from session.delegation.created. No completion "
                "event exists and the model waits until something comes back, so on a failure "
                "or a timeout append a short fallback line for that delegation too.")
