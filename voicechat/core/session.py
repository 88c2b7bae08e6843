"""The session state machine: server events and user/local inputs in, actions out.

Theory of operation (the rules live in ARCHITECTURE.md, "The session core"):

*Sans-IO.* :class:`Session` never reads a clock, sleeps or touches a socket. Every call takes
``now`` (monotonic seconds) and returns a list of actions; timers are deadlines the caller asks
for with :meth:`Session.next_deadline` and reports with :meth:`Session.handle_timer`. Timers only
ever reopen the mic — no timer creates or cancels a response.

*Responses.* From the client's view at most one response is active: one the server announced
(``response.created`` → ``response.done``) or one we asked for and have not heard back about.
A ``response.create`` wanted meanwhile is queued (one at most; later wishes merge into it, since
one response answers every new item) and sent when ``response.done`` arrives, with a Notice
either way. Client-created responses follow non-empty input only: typed text that is not blank,
push-to-talk audio of at least ``ptt_min_audio_ms``. ``response.cancel`` is sent only when the user
asks (cancel key, talk key with barge-in on) or a barge-in is confirmed, and only while a
response is active; a cancel asked before ``response.created`` is sent once it arrives.

*Barge-in.* The server runs VAD with ``interrupt_response: false`` (see
:mod:`voicechat.core.policy`), so the client decides. When the user starts speaking while the
assistant is speaking (playing, or generating), the barge-in is *pending*; it is confirmed only
by evidence, never by a timer:

* the assistant guard is checked when speech starts: if assistant audio has been playing for less
  than ``min_assistant_speech_ms``, the speech is most likely the first syllables echoing back and
  is ignored;
* the user guard is met by ``MicAudio`` sent after ``speech_started`` adding up to
  ``min_user_speech_ms`` plus the server VAD's ``silence_duration_ms`` with no ``speech_stopped``
  yet (the server reports a stop only after that much silence, so by then the user has spoken for
  at least ``min_user_speech_ms``), or at ``speech_stopped`` when the server-measured segment,
  less its ``prefix_padding_ms``, is that long.

*Playback* is reported by two sources: the server's ``output_audio_buffer.*`` (WebRTC only) and
the runtime's ``PlaybackStarted``/``PlaybackDrained`` (the speaker). It starts when either starts
and ends only when both have ended, so a momentarily empty local queue cannot reopen the mic
while the server is still streaming an answer, nor a server ``stopped`` while the speaker still
plays the jitter buffer's tail.

A confirmed barge-in flushes local playback, sends ``response.cancel`` if a response is active,
``output_audio_buffer.clear`` on WebRTC while the server is playing, and
``conversation.item.truncate`` for the item being played, at the audio actually played
(``PlaybackProgress``), never more than the audio received. With barge-in off the mic is muted
during playback (see :mod:`voicechat.core.mic`), so the user cannot interrupt by voice at all.

*Push-to-talk.* ``turn_detection: null``. Opening clears the input buffer and the mic gate's
push-to-talk reason; closing commits and creates a response when enough audio was sent (counted
from ``MicAudio``), otherwise clears the buffer and says the turn was too short. The toggle style
flips on each press; the release style opens on press and closes on release. ``SetPttStyle``
switches style at run time (the TUI does when the terminal turns out to report key releases).

*Robustness.* Malformed, unknown and out-of-order events become Notices; nothing from the wire can
raise. ``strict=True`` (tests) re-raises handler bugs instead of hiding them in a Notice.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from voicechat.core.actions import (
    Action,
    FlushPlayback,
    MuteMic,
    Notice,
    NoticeLevel,
    Send,
    UnmuteMic,
)
from voicechat.core.audio_ledger import AudioLedger
from voicechat.core.history import History
from voicechat.core.inputs import (
    CancelRequested,
    Input,
    MicAudio,
    PlaybackDrained,
    PlaybackProgress,
    PlaybackStarted,
    SendText,
    SetBargeIn,
    SetMicAvailable,
    SetPttStyle,
    TalkPressed,
    TalkReleased,
    ToggleMute,
    TransportState,
)
from voicechat.core.mic import MicGate, MicReason, MicState
from voicechat.core.outbox import Outbox
from voicechat.core.policy import PttStyle, SessionPolicy, initial_session
from voicechat.core.responses import ResponseTracker, final_status
from voicechat.core.transcript import Transcript
from voicechat.core.view import (
    PlaybackSpan,
    SessionView,
    VadSegment,
)
from voicechat.protocol.frames import ServerFrame, decode_server_frame
from voicechat.protocol.names import SERVER_EVENTS

MAX_NOTICES = 200
MAX_SEGMENTS = 500
_KNOWN_EVENTS = frozenset().union(*SERVER_EVENTS.values())
_LOST_STATES = frozenset({"closed", "failed", "reconnecting"})

Event = Mapping[str, Any]
Out = list[Action]
Handler = Callable[[Event, float, Out], None]


@dataclass
class _PendingBargeIn:
    item_id: str | None
    audio_start_ms: float | None
    mic_ms: float = 0.0


_PTT_STYLES = {
    "toggle": "each press of the talk key opens or closes the mic",
    "release": "the mic is open while the talk key is held",
}


class Session:
    """One conversation's state; see the module docstring for the rules it keeps."""

    def __init__(self, policy: SessionPolicy, *, strict: bool = False) -> None:
        self.policy = policy
        self._strict = strict
        self._webrtc = policy.webrtc
        self._ptt = policy.mode == "ptt"
        self._outbox = Outbox(policy.dialect, azure=policy.azure)
        self._gate = MicGate(
            settle_s=policy.settle_ms / 1000.0,
            fallback_s=policy.done_fallback_ms / 1000.0,
            ptt=self._ptt,
            mute_for_playback=not policy.barge_in and policy.mode != "transcribe",
        )
        self._mic_emitted: MicReason | str | None = None
        self._transcript = Transcript(
            transcription=policy.mode == "transcribe" or policy.transcription_model is not None
        )
        self._barge_in = policy.barge_in
        self._transport_state = "new"
        self._responses = ResponseTracker()
        # audio and playback
        self._ledger = AudioLedger()
        self._playing_item: str | None = None
        self._playing_response: str | None = None
        self._playback_started_at: float | None = None
        # Who says audio is playing: "server" (output_audio_buffer.*, WebRTC) and/or "local"
        # (PlaybackStarted/Drained from the runtime). Playback ends only when both are done.
        self._sources: set[str] = set()
        self._vad_silence_ms = 200.0  # server_vad default, updated from session.updated
        self._vad_padding_ms = 0.0  # counted only once the server says it pads
        self._pending: _PendingBargeIn | None = None
        self._ptt_captured_ms = 0.0
        self._assistant_item: str | None = None  # the message the latest response speaks
        self._completed = 0  # responses done with status "completed"
        # history for the UI
        self._segments: History[VadSegment] = History(MAX_SEGMENTS)
        self._spans: History[PlaybackSpan] = History(MAX_SEGMENTS)
        self._notices: History[Notice] = History(MAX_NOTICES)
        self._unknown_seen: set[str] = set()
        self._version = 0
        self._view: SessionView | None = None
        self._handlers: dict[str, Handler] = {
            "session.created": self._on_session,
            "session.updated": self._on_session,
            "error": self._on_error,
            "input_audio_buffer.speech_started": self._on_speech_started,
            "input_audio_buffer.speech_stopped": self._on_speech_stopped,
            "input_audio_buffer.committed": self._on_committed,
            "conversation.item.added": self._on_item,
            "conversation.item.created": self._on_item,
            "conversation.item.done": self._on_item,
            "conversation.item.deleted": self._on_item_deleted,
            "conversation.item.truncated": self._on_item_truncated,
            "conversation.item.input_audio_transcription.delta": self._on_input_delta,
            "conversation.item.input_audio_transcription.completed": self._on_input_completed,
            "conversation.item.input_audio_transcription.failed": self._on_input_failed,
            "response.created": self._on_response_created,
            "response.done": self._on_response_done,
            "response.output_item.added": self._on_output_item,
            "response.output_item.done": self._on_output_item,
            "response.content_part.added": self._on_content_part,
            "response.output_audio_transcript.delta": self._on_output_delta,
            "response.output_text.delta": self._on_output_delta,
            "response.output_audio_transcript.done": self._on_output_transcript_done,
            "response.output_text.done": self._on_output_text_done,
            "response.output_audio.delta": self._on_output_audio_delta,
            "output_audio_buffer.started": self._on_buffer_started,
            "output_audio_buffer.stopped": self._on_buffer_ended,
            "output_audio_buffer.cleared": self._on_buffer_ended,
        }
        self._inputs: dict[type, Callable[[Any, float, list[Action]], None]] = {
            TalkPressed: self._talk_pressed,
            TalkReleased: self._talk_released,
            SetPttStyle: self._set_ptt_style,
            ToggleMute: self._toggle_mute,
            SetBargeIn: self._set_barge_in,
            CancelRequested: self._cancel_requested,
            SendText: self._send_text,
            PlaybackStarted: self._playback_started,
            PlaybackProgress: self._playback_progress,
            PlaybackDrained: self._playback_drained,
            MicAudio: self._mic_audio,
            TransportState: self._transport,
            SetMicAvailable: self._mic_available,
        }

    # === public API ==============================================================================

    def start(self, now: float) -> list[Action]:
        """The first ``session.update`` for the mode (validated) and the initial mic state."""
        actions = self._send({"type": "session.update", "session": initial_session(self.policy)})
        self._mic_emitted = None
        self._finish(actions)
        return actions

    def receive(self, event: Mapping[str, Any], now: float) -> list[Action]:
        """Take in one canonical (GA-shaped) server event."""
        actions: list[Action] = []
        if not isinstance(event, Mapping):
            self._notice(actions, "warning", "ignored a server event that is not a JSON object")
            self._finish(actions)
            return actions
        kind = event.get("type")
        handler = self._handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            if isinstance(kind, str) and kind in _KNOWN_EVENTS:
                return actions  # known, carries nothing the session keeps
            self._unknown(kind, actions)
        elif self._strict:
            handler(event, now, actions)
        else:
            try:
                handler(event, now, actions)
            except Exception as exc:  # a malformed event must never take the client down
                self._notice(actions, "warning", f"could not process {kind}: {exc!r}")
        self._finish(actions)
        return actions

    def receive_wire(self, data: str | bytes, now: float) -> list[Action]:
        """Parse one frame in the endpoint's dialect, map it to GA and take it in."""
        frame = decode_server_frame(data, self.policy.dialect, strict=self._strict)
        return self.receive_frame(frame, now)

    def receive_frame(self, frame: ServerFrame, now: float) -> list[Action]:
        """Take in a decoded frame: its canonical event, or a notice saying why there is none."""
        if frame.canonical is None:
            return self._reject(frame.problem or "ignored an unreadable server message")
        return self.receive(frame.canonical, now)

    def handle(self, inp: Input, now: float) -> list[Action]:
        """Take in one user command or local fact (see :mod:`voicechat.core.inputs`)."""
        method = self._inputs.get(type(inp))
        if method is None:
            raise TypeError(f"Session.handle does not understand {type(inp).__name__}")
        actions: list[Action] = []
        method(inp, now, actions)
        self._finish(actions)
        return actions

    def handle_timer(self, now: float) -> list[Action]:
        """Apply every deadline that has passed by ``now``."""
        actions: list[Action] = []
        was_playing = self._gate.playing
        outcome = self._gate.on_timer(now)
        if outcome == "fallback":
            self._sources.clear()
            if was_playing:
                self._end_span(now, "fallback")
            self._notice(
                actions, "info", "no end-of-playback event after response.done: mic reopened"
            )
        self._finish(actions)
        return actions

    def next_deadline(self) -> float | None:
        """When :meth:`handle_timer` should next be called, or ``None``."""
        return self._gate.next_deadline()

    @property
    def view(self) -> SessionView:
        """An immutable snapshot; rebuilt only after something changed."""
        if self._view is None:
            mic, reason = self._gate.state()
            self._view = SessionView(
                mode=self.policy.mode,
                transport=self.policy.transport,
                dialect=self.policy.dialect.value,
                transport_state=self._transport_state,
                mic=mic,
                mic_reason=reason,
                barge_in=self._barge_in,
                ptt_style=self.policy.ptt_style,
                ptt_open=self._gate.ptt_open,
                ptt_captured_ms=self._ptt_captured_ms,
                playing=self._gate.playing,
                response=self._responses.info,
                response_queued=self._responses.queued,
                entries=self._transcript.snapshot(),
                vad_segments=self._segments.frozen(),
                playback_spans=self._spans.frozen(),
                notices=self._notices.frozen(),
                version=self._version,
                assistant_item=self._assistant_item,
                server_playing="server" in self._sources,
                completed_responses=self._completed,
            )
        return self._view

    @property
    def response_active(self) -> bool:
        """True from asking for (or hearing of) a response until its ``response.done``."""
        return self._responses.busy

    # === plumbing ================================================================================

    def _finish(self, actions: list[Action]) -> None:
        """Append the mic action if the gate's verdict changed; mark the view stale."""
        mic, reason = self._gate.state()
        muted = reason if mic is MicState.MUTED else None
        key: MicReason | str = muted if muted is not None else "live"
        if key != self._mic_emitted:
            self._mic_emitted = key
            actions.append(MuteMic(muted) if muted is not None else UnmuteMic())
        self._version += 1
        self._view = None

    def _reject(self, message: str) -> list[Action]:
        actions: list[Action] = []
        self._notice(actions, "warning", message)
        self._finish(actions)
        return actions

    def _notice(self, actions: list[Action], level: NoticeLevel, message: str) -> None:
        notice = Notice(level, message)
        actions.append(notice)
        self._notices.append(notice)

    def _unknown(self, kind: Any, actions: list[Action]) -> None:
        name = kind[:80] if isinstance(kind, str) else repr(kind)[:80]
        if name not in self._unknown_seen:
            self._unknown_seen.add(name)
            self._notice(actions, "info", f"ignored unknown server event type {name!r}")

    def _send(self, event: dict[str, Any]) -> list[Action]:
        actions = self._outbox.render(event)
        for action in actions:
            if isinstance(action, Notice):
                self._notices.append(action)
        return actions

    def _sent(self, actions: list[Action]) -> Send | None:
        return next((a for a in actions if isinstance(a, Send)), None)

    # === responses ===============================================================================

    def _request_response(self, actions: list[Action]) -> None:
        """Create a response now, or queue it (visibly) while one is active."""
        responses = self._responses
        if responses.busy:
            if responses.queue():
                message = "response queued: waiting for the current response to finish"
            else:
                message = "a response is already queued"
            self._notice(actions, "info", message)
            return
        out = self._send({"type": "response.create"})
        actions.extend(out)
        sent = self._sent(out)
        if sent is not None:
            responses.requested(sent.event.get("event_id"))

    def _cancel_active(self, actions: list[Action]) -> None:
        target = self._responses.cancel_target()
        if target is not None:
            actions.extend(self._send({"type": "response.cancel", "response_id": target}))

    def _on_response_created(self, event: Event, now: float, actions: Out) -> None:
        response = event.get("response")
        rid = response.get("id") if isinstance(response, Mapping) else None
        if not isinstance(rid, str):
            self._notice(actions, "warning", "ignored a response.created without a response id")
            return
        superseded, cancel_now = self._responses.created(rid)
        if superseded is not None:
            self._notice(
                actions, "warning", f"server started {rid} while {superseded} was still active"
            )
        self._gate.response_active()
        if cancel_now:
            self._cancel_active(actions)

    def _on_response_done(self, event: Event, now: float, actions: Out) -> None:
        response = event.get("response")
        if not isinstance(response, Mapping):
            self._notice(actions, "warning", "ignored a response.done without a response object")
            return
        rid = _str(response.get("id"))
        status = final_status(response.get("status"))
        reason = _status_reason(response.get("status_details"))
        if not self._responses.done(rid, status, reason):
            return
        self._gate.response_done(now)
        if status == "completed":
            self._completed += 1
        output = response.get("output")
        if isinstance(output, list):
            for item in output:
                if isinstance(item, Mapping):
                    self._transcript.item(item, None, has_prev=False, final=True, response_id=rid)
        if status == "failed":
            self._notice(actions, "error", f"response failed: {reason or 'no reason given'}")
        if self._responses.take_queued():
            self._request_response(actions)

    # === server events: session and errors =======================================================

    def _on_session(self, event: Event, now: float, actions: Out) -> None:
        session = event.get("session")
        if not isinstance(session, Mapping):
            return
        audio = session.get("audio")
        audio_in = audio.get("input") if isinstance(audio, Mapping) else None
        detection = audio_in.get("turn_detection") if isinstance(audio_in, Mapping) else None
        if isinstance(detection, Mapping):
            silence = _num(detection.get("silence_duration_ms"))
            padding = _num(detection.get("prefix_padding_ms"))
            if silence is not None and silence >= 0:
                self._vad_silence_ms = silence
            if padding is not None and padding >= 0:
                self._vad_padding_ms = padding
        output = audio.get("output") if isinstance(audio, Mapping) else None
        if isinstance(output, Mapping):
            self._ledger.set_format(output.get("format"))

    def _on_error(self, event: Event, now: float, actions: Out) -> None:
        error = event.get("error")
        error = error if isinstance(error, Mapping) else {}
        code = error.get("code")
        message = str(error.get("message") or "unknown error")[:500]
        ours = error.get("event_id")
        if code == "conversation_already_has_active_response":
            self._responses.rejected_as_busy(message)
            self._notice(
                actions,
                "warning",
                "the server already has an active response; "
                "the new response is queued until it finishes",
            )
            return
        if code == "response_cancel_not_active":
            self._notice(actions, "info", "nothing to cancel: the response had already finished")
            return
        self._responses.request_failed(ours, message)
        param = error.get("param")
        detail = f"param {param}" if param else f"code {code}" if code else "no code"
        self._notice(actions, "error", f"server error: {message} ({detail})")

    # === server events: user speech ==============================================================

    def _on_speech_started(self, event: Event, now: float, actions: Out) -> None:
        item_id = _str(event.get("item_id"))
        start_ms = _num(event.get("audio_start_ms"))
        self._add_segment(VadSegment(item_id, start_ms, now))
        if not self._barge_in or self.policy.mode != "vad" or not self._assistant_speaking():
            return
        if self._gate.playing and self._playback_started_at is not None:
            heard_ms = (now - self._playback_started_at) * 1000.0
            if heard_ms < self.policy.min_assistant_speech_ms:
                self._notice(
                    actions,
                    "info",
                    f"speech ignored: the assistant had played only "
                    f"{heard_ms:.0f} ms (self-interruption guard)",
                )
                return
        self._pending = _PendingBargeIn(item_id, start_ms)
        if self.policy.min_user_speech_ms <= 0:
            self._interrupt(now, actions)

    def _on_speech_stopped(self, event: Event, now: float, actions: Out) -> None:
        item_id = _str(event.get("item_id"))
        end_ms = _num(event.get("audio_end_ms"))
        duration: float | None = None
        for index in range(len(self._segments) - 1, max(-1, len(self._segments) - 8), -1):
            seg = self._segments[index]
            if seg.ended_at is None and (item_id is None or seg.item_id in (None, item_id)):
                if seg.start_audio_ms is not None and end_ms is not None:
                    duration = end_ms - seg.start_audio_ms
                too_short = duration is not None and duration < self.policy.short_segment_ms
                self._segments[index] = replace(
                    seg, end_audio_ms=end_ms, ended_at=now, too_short=too_short
                )
                break
        else:
            self._add_segment(VadSegment(item_id, None, now, end_ms, now))
        pending = self._pending
        if pending is None:
            return
        self._pending = None
        if duration is None and pending.audio_start_ms is not None and end_ms is not None:
            duration = end_ms - pending.audio_start_ms
        if duration is not None:
            duration -= self._vad_padding_ms
        if duration is not None and duration >= self.policy.min_user_speech_ms:
            self._interrupt(now, actions)
        else:
            length = f"{duration:.0f} ms of" if duration is not None else "unmeasured"
            self._notice(
                actions,
                "info",
                f"speech ignored: {length} speech is below min_user_speech_ms "
                "(self-interruption guard)",
            )

    def _on_committed(self, event: Event, now: float, actions: Out) -> None:
        item_id = _str(event.get("item_id"))
        if item_id is not None:
            self._transcript.user_audio(
                item_id, event.get("previous_item_id"), has_prev="previous_item_id" in event
            )

    def _on_input_delta(self, event: Event, now: float, actions: Out) -> None:
        item_id, delta = event.get("item_id"), event.get("delta")
        if isinstance(item_id, str) and isinstance(delta, str):
            self._transcript.append(item_id, delta, "user")

    def _on_input_completed(self, event: Event, now: float, actions: Out) -> None:
        item_id, text = event.get("item_id"), event.get("transcript")
        if isinstance(item_id, str) and isinstance(text, str):
            self._transcript.set_text(item_id, text, "user", "done")

    def _on_input_failed(self, event: Event, now: float, actions: Out) -> None:
        item_id = event.get("item_id")
        error = event.get("error")
        message = error.get("message") if isinstance(error, Mapping) else None
        message = str(message) if message else "transcription failed"
        if isinstance(item_id, str):
            self._transcript.fail(item_id, message)
        self._notice(actions, "warning", f"transcription failed: {message}")

    # === server events: items and assistant output ===============================================

    def _on_item(self, event: Event, now: float, actions: Out) -> None:
        item = event.get("item")
        if isinstance(item, Mapping):
            self._transcript.item(
                item,
                event.get("previous_item_id"),
                has_prev="previous_item_id" in event,
                final=event.get("type") == "conversation.item.done",
            )

    def _on_item_deleted(self, event: Event, now: float, actions: Out) -> None:
        item_id = event.get("item_id")
        if isinstance(item_id, str):
            self._transcript.remove(item_id)

    def _on_item_truncated(self, event: Event, now: float, actions: Out) -> None:
        item_id = event.get("item_id")
        if isinstance(item_id, str):
            self._transcript.mark_truncated(item_id)

    def _on_output_item(self, event: Event, now: float, actions: Out) -> None:
        item = event.get("item")
        if isinstance(item, Mapping):
            if event.get("type") == "response.output_item.added" and item.get("type") == "message":
                self._assistant_item = _str(item.get("id"))
            self._transcript.item(
                item,
                None,
                has_prev=False,
                final=event.get("type") == "response.output_item.done",
                response_id=_str(event.get("response_id")),
            )

    def _on_content_part(self, event: Event, now: float, actions: Out) -> None:
        part = event.get("part")
        if isinstance(part, Mapping) and part.get("type") == "audio":
            self._ledger.item(_str(event.get("item_id")), _str(event.get("response_id")))

    def _on_output_delta(self, event: Event, now: float, actions: Out) -> None:
        item_id, delta = event.get("item_id"), event.get("delta")
        if isinstance(item_id, str) and isinstance(delta, str):
            self._transcript.append(item_id, delta, "assistant")

    def _on_output_transcript_done(self, event: Event, now: float, actions: Out) -> None:
        item_id, text = event.get("item_id"), event.get("transcript")
        if isinstance(item_id, str) and isinstance(text, str):
            self._transcript.set_text(item_id, text, "assistant", None)

    def _on_output_text_done(self, event: Event, now: float, actions: Out) -> None:
        item_id, text = event.get("item_id"), event.get("text")
        if isinstance(item_id, str) and isinstance(text, str):
            self._transcript.set_text(item_id, text, "assistant", None)

    def _on_output_audio_delta(self, event: Event, now: float, actions: Out) -> None:
        delta = event.get("delta")
        if isinstance(delta, str):
            self._ledger.received(_str(event.get("item_id")), _str(event.get("response_id")), delta)
        self._gate.audio_evidence(now)

    # === playback ================================================================================

    def _on_buffer_started(self, event: Event, now: float, actions: Out) -> None:
        rid = _str(event.get("response_id"))
        self._start_playback(now, self._ledger.item_of(rid), rid, "server")

    def _on_buffer_ended(self, event: Event, now: float, actions: Out) -> None:
        reason = "cleared" if event.get("type") == "output_audio_buffer.cleared" else "stopped"
        self._stop_playback(now, reason, "server")

    def _playback_started(self, inp: PlaybackStarted, now: float, actions: list[Action]) -> None:
        self._start_playback(now, inp.item_id, None, "local")

    def _playback_drained(self, inp: PlaybackDrained, now: float, actions: list[Action]) -> None:
        self._stop_playback(now, "drained", "local")

    def _playback_progress(self, inp: PlaybackProgress, now: float, actions: list[Action]) -> None:
        if not isinstance(inp.played_ms, int | float) or not math.isfinite(inp.played_ms):
            return
        if isinstance(inp.item_id, str) and self._ledger.played(inp.item_id, inp.played_ms):
            self._gate.audio_evidence(now)
            if self._gate.playing:
                self._playing_item = inp.item_id

    def _start_playback(
        self, now: float, item_id: str | None, response_id: str | None, source: str
    ) -> None:
        self._sources.add(source)
        if self._gate.playing:
            if item_id is not None:
                self._playing_item = item_id
            self._gate.audio_evidence(now)
            return
        if item_id is not None and response_id is None:
            record = self._ledger.get(item_id)
            response_id = record.response_id if record is not None else None
        self._playing_item = item_id
        self._playing_response = response_id
        self._playback_started_at = now
        self._gate.playback_started(now)
        self._spans.append(PlaybackSpan(response_id, item_id, now))

    def _stop_playback(self, now: float, reason: str, source: str) -> None:
        """One source stopped; playback ends when neither the server nor the speaker plays."""
        self._sources.discard(source)
        if self._sources:
            return
        if self._gate.playing:
            self._end_span(now, reason)
        self._gate.playback_ended(now)
        if not self._assistant_speaking():
            self._pending = None

    def _end_span(self, now: float, reason: str) -> None:
        if self._spans and self._spans[-1].ended_at is None:
            span = self._spans[-1]
            self._spans[-1] = replace(span, ended_at=now, end_reason=reason)

    def _assistant_speaking(self) -> bool:
        return self._gate.playing or self._responses.busy

    # === barge-in ================================================================================

    def _interrupt(self, now: float, actions: list[Action]) -> None:
        """Flush, cancel if active, clear (WebRTC), truncate to what was played."""
        self._pending = None
        playing = self._gate.playing
        target = self._playing_item if playing else None
        active_id = self._responses.active_id
        if target is None and active_id is not None:
            target = self._ledger.item_of(active_id)
        if target is None and playing and self._playing_response is not None:
            target = self._ledger.item_of(self._playing_response)
        actions.append(FlushPlayback())
        self._cancel_active(actions)
        if self._webrtc and playing:
            actions.extend(self._send({"type": "output_audio_buffer.clear"}))
        if target is not None:
            actions.extend(
                self._send(
                    {
                        "type": "conversation.item.truncate",
                        "item_id": target,
                        "content_index": 0,
                        "audio_end_ms": self._ledger.audio_end_ms(target),
                    }
                )
            )
            self._transcript.mark_truncated(target)
        if playing:
            self._end_span(now, "interrupted")
        self._sources.clear()
        self._gate.playback_ended(now)
        if self._segments and self._segments[-1].ended_at is None:
            self._segments[-1] = replace(self._segments[-1], barge_in=True)

    # === user commands ===========================================================================

    def _talk_pressed(self, inp: TalkPressed, now: float, actions: list[Action]) -> None:
        if not self._ptt:
            self._notice(actions, "info", f"push-to-talk is off in {self.policy.mode} mode")
        elif not self._gate.ptt_open:
            self._open_ptt(now, actions)
        elif self.policy.ptt_style == "toggle":
            self._close_ptt(actions)
        # release style: a press while open is key auto-repeat; ignore it

    def _talk_released(self, inp: TalkReleased, now: float, actions: list[Action]) -> None:
        if self._ptt and self.policy.ptt_style == "release" and self._gate.ptt_open:
            self._close_ptt(actions)

    def _set_ptt_style(self, inp: SetPttStyle, now: float, actions: list[Action]) -> None:
        """Change style in place; an open push-to-talk stays open and closes the new way."""
        style = inp.style
        if style == self.policy.ptt_style:
            return
        if style not in _PTT_STYLES:
            self._notice(actions, "warning",
                         f"ptt_style must be toggle or release, not {style!r}; unchanged")
            return
        new_style: PttStyle = "release" if style == "release" else "toggle"
        self.policy = replace(self.policy, ptt_style=new_style)
        self._notice(actions, "info", f"push-to-talk style: {style} ({_PTT_STYLES[style]})")

    def _open_ptt(self, now: float, actions: list[Action]) -> None:
        actions.extend(self._send({"type": "input_audio_buffer.clear"}))
        self._gate.ptt_open = True
        self._ptt_captured_ms = 0.0
        if self._assistant_speaking():
            if self._barge_in:
                self._interrupt(now, actions)
            elif self._gate.playing:
                self._notice(
                    actions,
                    "info",
                    "the assistant is speaking: the mic opens when it finishes (barge-in is off)",
                )

    def _close_ptt(self, actions: list[Action]) -> None:
        self._gate.ptt_open = False
        captured, needed = self._ptt_captured_ms, self.policy.ptt_min_audio_ms
        if captured >= needed:
            actions.extend(self._send({"type": "input_audio_buffer.commit"}))
            self._request_response(actions)
        else:
            actions.extend(self._send({"type": "input_audio_buffer.clear"}))
            self._notice(
                actions,
                "warning",
                f"too short: {captured:.0f} ms of audio captured, at least {needed:.0f} ms needed; "
                "nothing was sent",
            )

    def _toggle_mute(self, inp: ToggleMute, now: float, actions: list[Action]) -> None:
        self._gate.user_muted = not self._gate.user_muted

    def _set_barge_in(self, inp: SetBargeIn, now: float, actions: list[Action]) -> None:
        self._barge_in = bool(inp.enabled)
        self._gate.set_mute_for_playback(not self._barge_in and self.policy.mode != "transcribe")
        if not self._barge_in:
            self._pending = None

    def _cancel_requested(self, inp: CancelRequested, now: float, actions: list[Action]) -> None:
        if self._responses.take_queued():
            self._notice(actions, "info", "queued response dropped")
        if self._assistant_speaking():
            self._interrupt(now, actions)
        else:
            self._notice(actions, "info", "nothing to cancel")

    def _send_text(self, inp: SendText, now: float, actions: list[Action]) -> None:
        text = inp.text if isinstance(inp.text, str) else ""
        if self.policy.mode == "transcribe":
            self._notice(actions, "warning", "typed messages are not available in transcribe mode")
            return
        if not text.strip():
            self._notice(actions, "warning", "nothing to send: the message is empty")
            return
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        }
        out = self._send({"type": "conversation.item.create", "item": item})
        actions.extend(out)
        if self._sent(out) is not None:
            self._request_response(actions)

    # === local facts =============================================================================

    def _mic_audio(self, inp: MicAudio, now: float, actions: list[Action]) -> None:
        ms = inp.ms
        if not isinstance(ms, int | float) or not math.isfinite(ms) or ms <= 0:
            return
        if self._gate.ptt_open:
            self._ptt_captured_ms += ms
        pending = self._pending
        if pending is not None:
            pending.mic_ms += ms
            if pending.mic_ms >= self.policy.min_user_speech_ms + self._vad_silence_ms:
                self._interrupt(now, actions)

    def _transport(self, inp: TransportState, now: float, actions: list[Action]) -> None:
        self._transport_state = str(inp.state)
        if self._transport_state not in _LOST_STATES:
            return
        if self._gate.playing:
            self._end_span(now, "closed")
        self._gate.reset_playback()
        self._sources.clear()
        self._responses.lost()
        self._pending = None

    def _mic_available(self, inp: SetMicAvailable, now: float, actions: list[Action]) -> None:
        self._gate.available = bool(inp.available)

    # === history =================================================================================

    def _add_segment(self, segment: VadSegment) -> None:
        self._segments.append(segment)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _status_reason(details: Any) -> str | None:
    """``turn_detected`` / ``client_cancelled`` / an error message, from ``status_details``."""
    if not isinstance(details, Mapping):
        return None
    error = details.get("error")
    if isinstance(error, Mapping):
        text = error.get("message") or error.get("code")
        if text:
            return str(text)
    reason = details.get("reason")
    return str(reason) if reason else None
