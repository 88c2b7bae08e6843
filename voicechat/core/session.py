"""The session: server events and user/local inputs in, actions out — dispatch and orchestration.

Theory of operation (the rules: ``docs/architecture.md``, "The session rules"):

*Sans-IO.* :class:`Session` never reads a clock, sleeps or touches a socket. Every call takes
``now`` (monotonic seconds) and returns a list of actions; timers are deadlines the caller asks
for with :meth:`Session.next_deadline` and reports with :meth:`Session.handle_timer`. Timers only
ever reopen the mic — no timer creates or cancels a response.

*Parts.* Each concern is a part with one job, and each keeps its own rules in its docstring:

* :mod:`~voicechat.core.playback` — is assistant audio playing (two sources), which item;
* :mod:`~voicechat.core.assistant_audio` — received/played audio per item
  (:mod:`~voicechat.core.audio_ledger`), playback, and the mic gate told of both;
* :mod:`~voicechat.core.barge_in` — does user speech over the assistant interrupt it (guards);
* :mod:`~voicechat.core.interruption` — how the assistant is stopped, whoever decided it;
* :mod:`~voicechat.core.mic` — the mic gate: mute reasons, settle and fallback deadlines;
* :mod:`~voicechat.core.response_flow` — one active response, the queued create, cancels;
* :mod:`~voicechat.core.ptt` — the push-to-talk key and the audio its turn captured;
* :mod:`~voicechat.core.transcript_feed` and :mod:`~voicechat.core.transcript` — the text;
* :mod:`~voicechat.core.segments` — the VAD segments the timeline draws;
* :mod:`~voicechat.core.effects` — the actions of one call, in decision order.

The session routes each event or input to the parts and wires their transitions together:
playback starting mutes the mic (barge-in off) and arms the assistant guard; a confirmed barge-in
(or the cancel key) *interrupts* (:class:`~voicechat.core.interruption.Interruption`): it
flushes local playback, sends ``response.cancel`` if a response is active,
``output_audio_buffer.clear`` on WebRTC while the server is playing, and
``conversation.item.truncate`` for the item being played at the audio actually played, never more
than the audio received. With barge-in off the mic is muted during playback, so the user cannot
interrupt by voice at all. Client-created responses follow non-empty input only: typed text that
is not blank, push-to-talk audio of at least ``ptt_min_audio_ms``.

*Robustness.* Malformed, unknown and out-of-order events become Notices; nothing from the wire can
raise. ``strict=True`` (tests) re-raises handler bugs instead of hiding them in a Notice.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from voicechat.core.actions import Action, MuteMic, UnmuteMic
from voicechat.core.assistant_audio import AssistantAudio
from voicechat.core.barge_in import BargeIn
from voicechat.core.effects import Effects
from voicechat.core.inputs import (
    CancelRequested,
    EchoLeaking,
    Input,
    LocalTalk,
    MicAudio,
    PlaybackDrained,
    PlaybackProgress,
    PlaybackStarted,
    SendImage,
    SendText,
    SetBargeIn,
    SetLocalDetector,
    SetMicAvailable,
    SetPttStyle,
    SetTools,
    TalkPressed,
    TalkReleased,
    ToggleMute,
    ToolApproval,
    ToolFinished,
    TransportState,
    UpdateSession,
)
from voicechat.core.interruption import Interruption
from voicechat.core.mic import MicGate
from voicechat.core.outbox import Outbox
from voicechat.core.owed_answer import OwedAnswer
from voicechat.core.policy import SessionPolicy, initial_session
from voicechat.core.provider_edge import ProviderEdge
from voicechat.core.ptt import PushToTalk
from voicechat.core.requests import Requests
from voicechat.core.response_flow import ResponseFlow
from voicechat.core.responses import final_status
from voicechat.core.segments import VadSegments
from voicechat.core.service import ServiceWatch
from voicechat.core.session_reading import audio_cut, media_now, snapshot
from voicechat.core.side_responses import SideResponses
from voicechat.core.speaker_pause import SpeakerPause
from voicechat.core.tool_calls import ToolCalls
from voicechat.core.transcript import Transcript
from voicechat.core.transcript_feed import TranscriptFeed
from voicechat.core.turn_timing import TurnTiming
from voicechat.core.usage import Usage, UsageView
from voicechat.core.view import MediaNow, SessionView
from voicechat.protocol.frames import ServerFrame, canonical_event, decode_server_frame
from voicechat.protocol.names import SERVER_EVENTS
from voicechat.protocol.session_audio import output_format, vad_timings

_KNOWN_EVENTS = frozenset().union(*SERVER_EVENTS.values())
_LOST_STATES = frozenset({"closed", "failed", "reconnecting"})

Event = Mapping[str, Any]
Handler = Callable[[Event, float], None]


class Session:
    """One conversation's state; see the module docstring for how the parts fit together."""

    def __init__(self, policy: SessionPolicy, *, strict: bool = False) -> None:
        self.policy = policy
        self._strict = strict
        profile = policy.profile
        self._outbox = Outbox(policy.dialect, azure=policy.azure, profile=profile)
        self._edge = ProviderEdge(profile)
        #: ``None`` for a service that needs no inbound rewrites: its hot path pays nothing
        self._aliases = self._edge.aliases
        self._out = Effects(self._outbox)
        self._gate = MicGate(
            settle_s=policy.settle_ms / 1000.0,
            fallback_s=policy.done_fallback_ms / 1000.0,
            mute_for_playback=not policy.barge_in and policy.mode != "transcribe",
        )
        self._barge_in = BargeIn.for_policy(policy)
        self._local = SpeakerPause(self._out)  # the local barge-in detector's decisions
        self._responses = ResponseFlow(self._out)
        self._ptt = PushToTalk(mode=policy.mode, style=policy.ptt_style,
                               min_audio_ms=policy.ptt_min_audio_ms, effects=self._out,
                               responses=self._responses)
        self._audio = AssistantAudio(self._gate, self._out, webrtc=policy.webrtc,
                                     cancelled=self._responses.tracker.was_cancelled)
        self._playback = self._audio.playback
        self._segments = VadSegments(policy.short_segment_ms)
        self._transcript = Transcript(
            transcription=policy.mode == "transcribe" or policy.transcription_model is not None
        )
        self._feed = TranscriptFeed(self._transcript, self._out)
        # nothing asked of a server that is the agent: nothing to compare its session with
        self._requested = initial_session(policy) if policy.send_session else {}
        self._service = ServiceWatch(self._out, self._requested,
                                     Usage(policy.model, policy.prices,
                                           profile.price_per_minute_usd))
        self._side = SideResponses()  # out-of-band responses: not part of this conversation
        self._owed = OwedAnswer()  # a turn committed under the answer the client then cut
        self._tools = ToolCalls(self._out, self._responses, policy.tools, policy.mcp_approval,
                                answers=policy.send_session)
        self._requests = Requests(self._out, self._responses, self._tools, self._requested,
                                  lambda: self.policy, lambda p: setattr(self, "policy", p))
        self._interruption = Interruption(
            out=self._out, gate=self._gate, barge_in=self._barge_in, local=self._local,
            audio=self._audio, responses=self._responses, tools=self._tools,
            transcript=self._transcript, segments=self._segments, mode=lambda: self.policy.mode)
        self._transport_state = "new"
        self._version = 0
        self._view: SessionView | None = None
        self._handlers = _server_table(self)
        self._inputs = _input_table(self)
        self._timing = TurnTiming(self._out)  # each answered turn timed (issue 39)
        self._timeline = self._timing.timeline
        self._out.on_send = self._timing.sent
        self._out.on_record = self._timing.local

    # === public API ==============================================================================

    def start(self, now: float) -> list[Action]:
        """The first ``session.update`` for the mode (validated; none for a server that is the
        agent, ``policy.send_session``) and the initial mic state."""
        self._timing.now = now
        self._service.usage.started(now)
        if self.policy.send_session:
            self._out.send({"type": "session.update", "session": self._requested})
        self._gate.reported = None
        return self._finish()

    def receive(self, event: Mapping[str, Any], now: float) -> list[Action]:
        """Take in one canonical (GA-shaped) server event."""
        if type(event) is not dict and not isinstance(event, Mapping):  # dict: skip the ABC
            return self._reject("ignored a server event that is not a JSON object")
        if self._aliases is not None:
            aliased = self._aliases.canonical(event)
            if aliased is None:
                return []
            event = aliased
        kind = event.get("type")
        self._timing.now = now
        handler = self._handlers.get(kind) if isinstance(kind, str) else None
        side = self._side
        if (side.tracking or kind == "response.created") and side.claims(event):
            return self._finish()
        if handler is None:
            if isinstance(kind, str) and kind in _KNOWN_EVENTS:
                return []  # known, carries nothing the session keeps
            name = kind[:80] if isinstance(kind, str) else repr(kind)[:80]
            self._out.notice_once("info", f"ignored unknown server event type {name!r}")
        elif self._strict:
            self._run(handler, event, now)
        else:
            try:
                handler(event, now)
            except Exception as exc:  # a malformed event must never take the client down
                self._out.malformed(str(kind), repr(exc))
        timeline = self._timeline
        if handler is not None and kind in timeline.wants:  # (rarely: see TurnTiming)
            timeline.wants[kind](now, event)  # type: ignore[index]  # (a str: it has a handler)
            if timeline.completed:
                self._timing.take(timeline.take())
        return self._finish()

    def receive_wire(self, data: str | bytes, now: float) -> list[Action]:
        """Parse one frame in the endpoint's dialect, map it to GA and take it in."""
        if not self._strict:
            event = canonical_event(data, self.policy.dialect)
            if event is not None:
                return self.receive(event, now)
        frame = decode_server_frame(data, self.policy.dialect, strict=self._strict)
        if frame.canonical is None:
            return self._reject(frame.problem or "ignored an unreadable server message")
        return self.receive(frame.canonical, now)

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
        self._timing.now = now
        self._run(method, inp, now)
        return self._finish()

    def handle_timer(self, now: float) -> list[Action]:
        """Apply every deadline that has passed by ``now``."""
        self._timing.now = now
        if self._gate.on_timer(now) == "fallback":
            self._playback.end(now, "fallback")
            self._out.notice("info", "no end-of-playback event after response.done: mic reopened")
        self._tools.on_timer(now)
        return self._finish()

    def next_deadline(self) -> float | None:
        """When :meth:`handle_timer` should next be called, or ``None``."""
        deadlines = (self._gate.next_deadline(), self._tools.next_deadline())
        return min((d for d in deadlines if d is not None), default=None)

    @property
    def view(self) -> SessionView:
        """An immutable snapshot; rebuilt only after something changed."""
        if self._view is None:
            self._view = snapshot(self)
        return self._view

    def media_now(self) -> MediaNow:
        """The mic pump's per-frame reads, without a snapshot (``session_reading``)."""
        return media_now(self)

    def audio_cut(self, item_id: str | None) -> bool:
        """Incoming model audio filed under ``item_id`` (``None``: untagged WebRTC audio) is
        of an answer already cut or cancelled, and must not play (``session_reading``)."""
        return audio_cut(self, item_id)

    @property
    def completed_responses(self) -> int:
        """The view's ``completed_responses``, without a snapshot: a scenario run polls it
        every 20 ms while it waits for an answer, when the view is rebuilt after each delta."""
        return self._responses.completed

    def carry_usage(self, earlier: UsageView) -> None:
        """Continue the usage totals of an earlier session of this conversation (reconnect)."""
        self._service.usage.carry(earlier)
        self._view = None

    @property
    def response_active(self) -> bool:
        """True from asking for (or hearing of) a response until its ``response.done``."""
        return self._responses.busy

    # === plumbing ================================================================================

    def _finish(self) -> list[Action]:
        """Add the mic action if the gate's verdict changed; mark the view stale; hand out."""
        verdict = self._gate.report(self._ptt.key_open)
        if verdict is not None:
            self._out.act(UnmuteMic() if verdict == "live" else MuteMic(verdict))
        self._version += 1
        self._view = None
        return self._out.take()

    def _run(self, step: Callable[[Any, float], None], arg: Any, now: float) -> None:
        """Run a handler; if it raises, what it decided so far is dropped with it."""
        try:
            step(arg, now)
        except BaseException:
            self._out.take()
            raise

    def _reject(self, message: str) -> list[Action]:
        self._out.notice("warning", message)
        return self._finish()

    # === server events ===========================================================================

    def _on_session(self, event: Event, now: float) -> None:
        """Follow the session the server reports (VAD, transcription, format), not the request."""
        got = self._service.session(event)
        if got is None:
            return
        session, reported = got
        self._barge_in.follow_vad(*vad_timings(session), reported.turn_detection)
        if reported.transcription is not None:
            self._transcript.set_transcription(reported.transcription)
        self._audio.ledger.set_format(output_format(session))

    def _on_error(self, event: Event, now: float) -> None:
        """A server error; a race the provider is known to report (a cancel after the
        response ended, in xAI's wording too) is information, never a failure."""
        benign = self._edge.benign_race(event.get("error"))
        if benign is not None:
            self._out.notice("info", benign)
            return
        self._responses.error(event)

    def _on_response_created(self, event: Event, now: float) -> None:
        if self._responses.created(event):
            self._owed.created()
            self._gate.response_active()
            self._tools.response_created(event)

    def _on_response_done(self, event: Event, now: float) -> None:
        response = self._responses.done(event)
        if response is not None:
            self._gate.response_done(now)
            self._feed.response_output(response)
            self._service.response_done(response, now)
            if self._owed.done(final_status(response.get("status"))) \
                    and not self._responses.busy:
                self._responses.request()  # the turn the cut answer's server left unanswered
        if isinstance(raw := event.get("response"), Mapping):
            self._tools.response_done(raw, now)

    def _on_speech_started(self, event: Event, now: float) -> None:
        self._owed.speech_started()
        item_id, start_ms = _str(event.get("item_id")), _num(event.get("audio_start_ms"))
        self._segments.started(now, item_id, start_ms)
        if self._service.server_interrupts and self._interruption.assistant_speaking():
            # the server cancels; the speaker must stop too
            self._interruption.interrupt(now, cancel=False)
            return
        self._local.server_heard(now, live=self._interruption.local_live())
        if self._local.interrupting:
            self._gate.audio_evidence(now)  # (see Interruption.local_talk)
        self._interruption.apply(now, self._barge_in.speech_started(
            now, item_id, start_ms,
            assistant_speaking=self._interruption.assistant_speaking(),
            playing_since=self._playback.playing_since,
        ))

    def _on_speech_stopped(self, event: Event, now: float) -> None:
        item_id, end_ms = _str(event.get("item_id")), _num(event.get("audio_end_ms"))
        duration = self._segments.stopped(now, item_id, end_ms)
        self._interruption.apply(now, self._barge_in.speech_stopped(duration, end_ms))

    # === user commands ===========================================================================

    def _talk_pressed(self, inp: TalkPressed, now: float) -> None:
        if not self._ptt.press() or not self._interruption.assistant_speaking():
            return
        if self._barge_in.enabled:
            self._interruption.interrupt(now)
        elif self._playback.playing:
            self._out.notice(
                "info",
                "the assistant is speaking: the mic opens when it finishes (barge-in is off)",
            )

    def _set_ptt_style(self, inp: SetPttStyle, now: float) -> None:
        self._ptt.set_style(inp.style)
        if self._ptt.style != self.policy.ptt_style:
            self.policy = replace(self.policy, ptt_style=self._ptt.style)

    def _cancel_requested(self, inp: CancelRequested, now: float) -> None:
        self._responses.drop_queued()
        if self._interruption.assistant_speaking():
            self._interruption.interrupt(now)
        else:
            self._out.notice("info", "nothing to cancel")

    # === local facts =============================================================================

    def _mic_audio(self, inp: MicAudio, now: float) -> None:
        ms = inp.ms
        if not isinstance(ms, int | float) or not math.isfinite(ms) or ms <= 0:
            return
        self._ptt.audio(ms)
        self._interruption.apply(now, self._barge_in.mic_audio(ms))

    def _set_local_detector(self, inp: SetLocalDetector, now: float) -> None:
        self._local.set_on(bool(inp.on))
        self._barge_in.local_judge = bool(inp.on)


def _server_table(s: Session) -> dict[str, Handler]:
    """Which part of ``s`` takes each server event (its own handlers for the shared ones)."""
    stop = s._interruption.stop
    handlers: dict[str, Handler] = {
        **s._feed.handlers(),
        **s._audio.handlers(),
        **s._service.handlers(),
        "session.created": s._on_session,
        "session.updated": s._on_session,
        "error": s._on_error,
        "input_audio_buffer.speech_started": s._on_speech_started,
        "input_audio_buffer.speech_stopped": s._on_speech_stopped,
        "response.created": s._on_response_created,
        "response.done": s._on_response_done,
        "output_audio_buffer.stopped": lambda e, now: stop(now, "stopped", "server"),
        "output_audio_buffer.cleared": lambda e, now: stop(now, "cleared", "server"),
    }
    for kind in ("response.output_item.added", "response.output_item.done"):
        handlers[kind] = _both(handlers[kind], s._tools.output_item)
    committed = "input_audio_buffer.committed"
    handlers[committed] = _both(handlers[committed], lambda e, now: _committed(s))
    return handlers


def _committed(s: Session) -> None:
    """A turn was committed: owed an answer if one ran then and the server makes them."""
    reported = s._service.reported
    s._owed.committed(answer_running=s._responses.busy, server_answers=s.policy.mode == "vad"
                      and (reported is None or reported.create_response is not False))


def _input_table(s: Session) -> dict[type, Callable[[Any, float], None]]:
    """Which part takes each input (read once by :class:`Session`'s constructor)."""
    return {
        TalkPressed: s._talk_pressed,
        TalkReleased: lambda i, now: s._ptt.release(),
        SetPttStyle: s._set_ptt_style,
        ToggleMute: lambda i, now: s._gate.toggle_user_mute(),
        SetBargeIn: lambda i, now: s._interruption.barge_in_changed(
            s._barge_in.set_enabled(bool(i.enabled))),
        CancelRequested: s._cancel_requested,
        SendText: s._requests.send_text,
        SendImage: s._requests.send_image,
        UpdateSession: s._requests.update_session,
        PlaybackStarted: lambda i, now: _played(s, i, now),
        PlaybackProgress: lambda i, now: s._audio.progress(now, i.item_id, i.played_ms),
        PlaybackDrained: lambda i, now: _drained(s, now),
        MicAudio: s._mic_audio,
        LocalTalk: s._interruption.local_talk,
        SetLocalDetector: s._set_local_detector,
        TransportState: lambda i, now: _transport(s, i, now),
        SetMicAvailable: lambda i, now: s._gate.set_available(bool(i.available)),
        EchoLeaking: lambda i, now: s._interruption.barge_in_changed(
            s._barge_in.set_echo_leaking(bool(i.leaking), bool(i.hold))),
        ToolFinished: lambda i, now: s._tools.finished(
            str(i.call_id), i.output, bool(i.ok), float(i.duration), now),
        ToolApproval: lambda i, now: s._tools.approval(str(i.call_id), str(i.decision), now),
        SetTools: s._requests.set_tools,
    }


def _played(s: Session, inp: PlaybackStarted, now: float) -> None:
    s._audio.start(now, "local", inp.item_id, None)
    s._timing.local({"type": "local.playback.started", "item_id": inp.item_id})


def _drained(s: Session, now: float) -> None:
    s._interruption.stop(now, "drained", "local")
    s._timing.local({"type": "local.playback.drained"})


def _transport(s: Session, inp: TransportState, now: float) -> None:
    """The connection's state; once lost, what was playing or pending from it is over."""
    s._transport_state = str(inp.state)
    if s._transport_state not in _LOST_STATES:
        return
    s._audio.lost(now)
    s._responses.tracker.lost()
    s._barge_in.drop()


def _both(first: Handler, second: Handler) -> Handler:
    """One event read by two parts, in order."""
    def handler(event: Event, now: float) -> None:
        first(event, now)
        second(event, now)
    return handler


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None
