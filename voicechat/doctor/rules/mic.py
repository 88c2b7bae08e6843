"""``mic-not-resumed``: the assistant stopped talking and the user's audio never came back.

The classic cause is a client that mutes its mic on ``output_audio_buffer.started`` and unmutes
only on ``output_audio_buffer.cleared``, which is sent only when playback is *interrupted*; a
turn that plays to the end ends with ``.stopped`` instead, so the mic stays muted for ever.

Evidence differs by log: our logs record the mic state (``local.mic.muted``/``unmuted``), so the
rule is exact; foreign logs only show that no user audio (appends, ``speech_started``,
``committed``) reached the server after playback ended while the session visibly stayed open
(the user typed, pressed keys, changed the session, the server's idle timeout fired, or it
ran on for a long while). How long it ran on is the log's own timeline (``Context.end_t``): a
text log's app lines go on past its last event when the app, its mic muted, keeps logging
while nothing reaches the server (the original report: ~50 s of Android app lines after the
last ``.stopped``). The narrowing the real logs taught (a typed-only session's mic was never in
use; a VAD-mode commit is teardown, not presence; 30 s, not 10, of nothing) applies the same
whichever clock shows the time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from voicechat.doctor.context import Context
from voicechat.doctor.rules.base import (
    RESPONSE_ID,
    Rule,
    delta_tally,
    response_id,
    since,
)
from voicechat.doctor.rules.tool_items import user_message
from voicechat.eventlog.entry import Entry
from voicechat.eventlog.run import CANONICAL, Run

#: Our logs: a mic still muted this long after playback ended is stuck (settle is 0.4 s,
#: the response.done fallback 0.6 s).
STUCK_AFTER_S = 5.0
#: Foreign logs without other signs of life: the session must run on at least this long.
IDLE_OPEN_S = 30.0

_USER_AUDIO = frozenset(
    {"input_audio_buffer.speech_started", "input_audio_buffer.committed",
     "conversation.item.input_audio_transcription.delta",
     "conversation.item.input_audio_transcription.completed"}
)
_ASSISTANT_AUDIO = frozenset(
    {"response.output_audio.delta", "response.output_audio_transcript.delta"}
)
#: Client events that show someone at the app. Not ``response.create`` (apps send it on their
#: own: after a tool result, a greeting, a timer), nor items other than a user's message (a
#: tool's output, history replayed): a tool turn after playback is the app at work, not a user
#: trying to talk (:meth:`MicNotResumed._is_presence`).
_PRESENCE_OUT = frozenset(
    {"conversation.item.create", "session.update", "input_audio_buffer.commit",
     "input_audio_buffer.clear"}
)


class MicNotResumed(Rule):
    id = "mic-not-resumed"
    title = "The mic never came back after the assistant finished speaking"
    feeds_on = (
        frozenset({"local.mic.muted", "local.mic.unmuted", "local.playback.started",
                   "local.playback.drained", "local.playback.flushed",
                   "output_audio_buffer.stopped", "output_audio_buffer.cleared", "response.done",
                   "input_audio_buffer.append", "local.key",
                   "input_audio_buffer.timeout_triggered"})
        | _USER_AUDIO | _ASSISTANT_AUDIO | _PRESENCE_OUT
    )
    #: An append by its direction; an assistant delta for its response id.
    #: The user's audio by its type and direction alone.
    reads: ClassVar[Mapping[str, frozenset[str]]] = {
        "input_audio_buffer.append": frozenset(), **dict.fromkeys(_ASSISTANT_AUDIO, RESPONSE_ID),
        **dict.fromkeys(_USER_AUDIO, frozenset())}

    def __init__(self) -> None:
        super().__init__()
        self.end: Entry | None = None  # last playback end with no user audio since
        self.presence: Entry | None = None
        self.muted: Entry | None = None  # our logs: the open local.mic.muted
        self.mic_known = False
        self.local_playback = False
        self.spoke: set[str] = set()  # responses that produced audio (WebSocket end detection)
        self.heard_user = False  # user audio reached the server at least once (the mic worked)

    def feed(self, entry: Entry, ctx: Context) -> None:
        kind = entry.type
        if kind == "input_audio_buffer.append":  # a third of a log: decided first
            if entry.dir == "out" and self.muted is None:  # what _is_user_audio says
                self.heard_user = True
                self.end = self.presence = None  # _resume, inlined: once per append
            return  # an append is neither the end of playback nor a sign of presence
        if kind in _ASSISTANT_AUDIO and entry.dir == "in":  # the other bulk: decided next
            rid = response_id(entry)
            if rid and len(self.spoke) < 64:
                self.spoke.add(rid)
            return  # a server delta is neither user audio nor presence (_is_presence)
        if kind == "local.mic.muted":
            self.mic_known = True
            # Only a mute for playback can be left behind by playback ending; a mic muted for
            # want of a device (no_device), by the user, or by push-to-talk's closed key is
            # shut for reasons of its own, and no unmute code is at fault.
            reason = entry.event.get("reason")
            self.muted = entry if reason in (None, "playback") else None
            return
        if kind == "local.mic.unmuted":
            self.mic_known = True
            if self.end is not None and self.muted is not None:
                gap = since(self.end, entry)
                if gap is not None and gap > STUCK_AFTER_S:
                    self._occurrence(entry, f"mic unmuted only {gap:.1f} s after playback "
                                            f"ended ({self.end.type} at {self.end.where()})")
            self.muted = None
            self._resume()
            return
        if kind.startswith("local.playback."):
            self.local_playback = True
            if kind == "local.playback.drained":
                self._ended(entry)
            return
        if entry.dir == "in" and kind in ("output_audio_buffer.stopped",
                                          "output_audio_buffer.cleared"):
            self._ended(entry)
            return
        if (entry.dir == "in" and kind == "response.done" and not ctx.webrtc
                and not self.local_playback):
            rid = response_id(entry)
            if rid in self.spoke:  # a response that never spoke ends no playback
                self.spoke.discard(rid)
                self._ended(entry)
            return
        if self._is_user_audio(entry):
            self.heard_user = True
            self._resume()
            return
        if self.end is not None and self.presence is None and self._is_presence(entry, ctx):
            self.presence = entry

    def feed_run(self, run: Run, ctx: Context) -> None:
        """:meth:`feed` on each of ``run`` (outgoing appends, or incoming output deltas), in
        one call: the appends' effect is the same for one or many; a delta adds its response
        to those that spoke."""
        if run.dir == "out":
            if self.muted is None and any(item[CANONICAL].get("type") == "input_audio_buffer"
                                          ".append" for item in run.items):
                self.heard_user = True
                self.end = self.presence = None
            return
        spoke = self.spoke
        for kind, rid in delta_tally(run):  # each response in the order it first spoke
            if kind in _ASSISTANT_AUDIO and rid and len(spoke) < 64:
                spoke.add(rid)

    def _is_user_audio(self, entry: Entry) -> bool:
        if entry.dir == "in" and entry.type in _USER_AUDIO:
            return True
        # appends count unless our own log says the mic was muted (then they are silence)
        return (entry.dir == "out" and entry.type == "input_audio_buffer.append"
                and self.muted is None)

    @staticmethod
    def _is_presence(entry: Entry, ctx: Context) -> bool:
        if entry.dir == "out" and entry.type == "input_audio_buffer.commit" \
                and ctx.turn_detection is not None:
            # With server/semantic VAD the server commits each turn itself; a client commit
            # is a teardown or a nudge, not someone trying to talk. A real GA WebRTC capture
            # ends with Stop = commit + response.cancel + output_audio_buffer.clear right
            # after the last reply: no sign the session stayed open.
            return False
        if entry.dir == "out" and entry.type == "conversation.item.create":
            return user_message(entry)
        if entry.dir == "out" and entry.type in _PRESENCE_OUT:
            return True
        return entry.type in ("local.key", "input_audio_buffer.timeout_triggered")

    def _ended(self, entry: Entry) -> None:
        if self.end is None:
            self.end = entry
            self.presence = None

    def _resume(self) -> None:
        self.end = None
        self.presence = None

    def _occurrence(self, entry: Entry, detail: str) -> None:
        self.add(entry, detail)

    def conclude(self, ctx: Context) -> None:
        end, last = self.end, ctx.last
        if end is None or last is None:
            return
        end_t = ctx.end_t
        open_for = end_t - end.t if end_t is not None and end.t is not None else None
        open_text = f"{open_for:.1f} s" if open_for is not None else "the rest of the log"
        if end_t is not None and last.t is not None and end_t > last.t:
            open_text += (f" (its last event is at {last.where()}; the log's own lines run on "
                          f"to t={end_t:.3f}s)")
        if self.mic_known:
            if self.muted is None:
                return
            if (open_for is not None and open_for > STUCK_AFTER_S) or self.presence is not None:
                self._occurrence(end, f"playback ended ({end.type}) but the mic stayed muted "
                                      f"(local.mic.muted at {self.muted.where()}, reason "
                                      f"{self.muted.event.get('reason', '?')}) for {open_text} "
                                      "until the log ends")
            return
        if not self.heard_user:
            return  # a typed-only session: the mic was never in use, so it cannot be "stuck"
        if self.presence is not None or (open_for is not None and open_for >= IDLE_OPEN_S):
            detail = (f"playback ended ({end.type}) and no user audio reached the server for "
                      f"{open_text} while the session stayed open")
            if self.presence is not None:
                detail += f" (the client was still active: {self.presence.type} at " \
                          f"{self.presence.where()})"
            self._occurrence(end, detail)

    def fix(self, ctx: Context) -> str:
        return (
            "Unmute the mic when output_audio_buffer.stopped arrives (the normal end of playback), "
            "not only on output_audio_buffer.cleared (sent only when playback is interrupted), "
            "after a short settle delay (~400 ms); add a fallback that unmutes ~600 ms after "
            "response.done when no audio follows. On WebSocket there are no output_audio_buffer "
            "events: unmute when your local playback queue drains."
        )
