"""Stopping the assistant: what an interruption does, and who may decide one.

Why a part of its own: four sources decide that the user interrupts (a barge-in verdict on the
server's VAD, the local detector's confirmation, the talk key, the cancel key), and the server
may interrupt by itself (``interrupt_response``). They must all stop the assistant the same
way, in the same order, and the session's dispatch should only say *when*. So this part owns
the *how*:

- it flushes local playback, sends ``response.cancel`` if a response is active (unless the
  server cancels by itself), ``output_audio_buffer.clear`` on WebRTC while the server plays, and
  ``conversation.item.truncate`` for the item being played at the audio actually played,
  never more than the audio received; the transcript is cut where the user stopped hearing;
- once nothing plays and no response runs, a pending barge-in is moot and the local
  detector's pause is taken back;
- the barge-in switch and the echo verdict decide whether playback mutes the mic and whether
  the local detector may judge at all.

Sans-IO like the rest of the core: time is passed in, actions go out through
:class:`~voicechat.core.effects.Effects`.
"""

from __future__ import annotations

from collections.abc import Callable

from voicechat.core.actions import FlushPlayback
from voicechat.core.assistant_audio import AssistantAudio
from voicechat.core.barge_in import BargeIn, Verdict
from voicechat.core.effects import Effects
from voicechat.core.inputs import LocalTalk
from voicechat.core.mic import MicGate
from voicechat.core.playback import Source, Stop
from voicechat.core.response_flow import ResponseFlow
from voicechat.core.segments import VadSegments
from voicechat.core.speaker_pause import SpeakerPause
from voicechat.core.tool_calls import ToolCalls
from voicechat.core.transcript import Transcript


class Interruption:
    """Carries out interruptions for the session; see the module docstring."""

    def __init__(self, *, out: Effects, gate: MicGate, barge_in: BargeIn, local: SpeakerPause,
                 audio: AssistantAudio, responses: ResponseFlow, tools: ToolCalls,
                 transcript: Transcript, segments: VadSegments, mode: Callable[[], str]
                 ) -> None:
        """``mode``: the session's mode now (``vad``, ``ptt``, ``transcribe``): the session's
        policy may be replaced during the conversation."""
        self._out = out
        self._gate = gate
        self._barge_in = barge_in
        self._local = local
        self._audio = audio
        self._playback = audio.playback
        self._responses = responses
        self._tools = tools
        self._transcript = transcript
        self._segments = segments
        self._mode = mode

    def assistant_speaking(self) -> bool:
        """Audio plays, or a response is asked for or being generated."""
        return self._playback.playing or self._responses.busy

    def local_live(self) -> bool:
        """The local detector may act: barge-in allowed, hands-free, the assistant playing."""
        return (self._barge_in.local_may_judge and self._mode() == "vad"
                and self._playback.playing)

    def interrupt(self, now: float, *, cancel: bool = True) -> None:
        """Flush, cancel if active (unless the server already does), clear (WebRTC), truncate
        to what was played."""
        self._barge_in.drop()
        self._local.ended()
        self._tools.interrupted()
        active = self._responses.active_id
        target = self._audio.truncate_target(active)
        self._out.act(FlushPlayback())
        if cancel:
            self._responses.cancel_active()
        self._audio.cut(now, target, active)
        if target is not None:
            record = self._audio.ledger.get(target)
            received = record.received_ms if record is not None and record.received_known \
                else None
            self._transcript.mark_truncated(target, self._audio.ledger.audio_end_ms(target),
                                            received)
        self._segments.mark_barge_in()

    def apply(self, now: float, verdict: Verdict) -> None:
        """Carry out a barge-in verdict: interrupt, or say why the speech was ignored."""
        if verdict.interrupt:
            self.interrupt(now)
        elif verdict.ignored is not None:
            self._out.notice("info", verdict.ignored)

    def stop(self, now: float, reason: str, source: Source) -> None:
        """A source stopped playing; once none plays and no response runs, barge-in is moot."""
        if self._audio.stop(now, source, reason) is Stop.CONTINUES:
            return
        if not self.assistant_speaking():
            self._barge_in.drop()
            self._local.take_back("the assistant stopped")
            self._local.ended()  # the next frames are a new answer's start

    def local_talk(self, inp: LocalTalk, now: float) -> None:
        """A frame of the local detector: pause, resume, or confirm and interrupt. While its
        pause holds the answer, nothing plays and nothing progresses, yet the answer is not
        over: that is audio evidence, or the mic gate's fallback after ``response.done``
        would end playback under the pause (with echo leaking, the mic muted for playback)
        and the detector, fed only while playback runs, would wait on it for good (the
        barge-in grid, one core busy: a 7 s pause and a lost interruption)."""
        if self._local.frame(now, inp.frame, live=self.local_live()):
            self.interrupt(now)
        elif self._local.interrupting:
            self._gate.audio_evidence(now)

    def barge_in_changed(self, told: str | None) -> None:
        """The switch or the echo verdict moved: the playback mute follows; say ``told``."""
        mutes = self._barge_in.mutes_playback and self._mode() != "transcribe"
        if not self._barge_in.local_may_judge:
            self._local.take_back("barge-in off")
        self._local.set_strict(self._barge_in.local_strict)
        self._gate.set_mute_for_playback(mutes, playing=self._playback.playing)
        if told is not None:
            self._out.notice("warning", told)
