"""Property tests: random interleavings of server events, user inputs, local facts and time.

The session runs with ``strict=True`` so a handler bug raises instead of becoming a Notice. A
small independent model, written from the rules rather than from the code, checks after every
step that:

* no exception ever escapes (from the wire, in either dialect);
* the mic pump's per-frame reads (``media_now``) and the completed responses a scenario run
  polls equal the view's;
* ``response.create`` is never sent while a response is active from the client's view (announced
  by ``response.created`` and not yet done, or requested and not yet answered);
* every ``conversation.item.truncate`` asks for at most the audio reported played, and at most
  the audio received;
* the mic is never muted for playback longer than settle + fallback after playback ended, and is
  reopened at the latest settle + fallback after the last response's ``response.done``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.harness import Harness
from voicechat.core import (
    CancelRequested,
    FlushPlayback,
    MicAudio,
    MicReason,
    PlaybackDrained,
    PlaybackProgress,
    PlaybackStarted,
    Send,
    SendText,
    SetBargeIn,
    SetMicAvailable,
    TalkPressed,
    TalkReleased,
    ToggleMute,
    TransportState,
)
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.mapping import server_event_from_canonical

RIDS = ["resp_0", "resp_1", "resp_2"]
AIDS = ["item_a0", "item_a1", "item_a2"]
UIDS = ["item_u0", "item_u1", "item_u2"]
ANY_ID = st.sampled_from([*RIDS, *AIDS, *UIDS, None])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5000)
    | st.floats(allow_nan=False)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def ev(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, **fields}


server_events = st.one_of(
    # issue 11: the session the server reports, usage, limits, timeouts, segments
    st.builds(
        lambda tx, kind, interrupt: ev("session.updated", session={"audio": {"input": {
            "transcription": {"model": "whisper-1"} if tx else None,
            "turn_detection": None if kind is None else {
                "type": kind, "interrupt_response": interrupt, "create_response": True}}}}),
        st.booleans(),
        st.sampled_from(["server_vad", "semantic_vad", None]),
        st.booleans(),
    ),
    st.builds(
        lambda r, s, n: ev("response.done", response={
            "id": r, "status": s, "status_details": {"type": s, "reason": "max_output_tokens"},
            "usage": {"input_tokens": n, "output_tokens": n,
                      "input_token_details": {"text_tokens": n, "cached_tokens": n // 2},
                      "output_token_details": {"audio_tokens": n}}}),
        st.sampled_from(RIDS),
        st.sampled_from(["completed", "incomplete"]),
        st.integers(0, 5000),
    ),
    st.builds(
        lambda n: ev("rate_limits.updated", rate_limits=[
            {"name": "tokens", "limit": 40000, "remaining": n, "reset_seconds": 0.5}]),
        st.integers(0, 40000),
    ),
    st.builds(
        lambda u: ev("input_audio_buffer.timeout_triggered", item_id=u, audio_start_ms=0,
                     audio_end_ms=5000),
        st.sampled_from(UIDS),
    ),
    st.builds(
        lambda u, who, t: ev("conversation.item.input_audio_transcription.segment", item_id=u,
                             speaker=who, start=0.0, end=1.0, text=t, id="seg"),
        st.sampled_from(UIDS),
        st.sampled_from(["A", "B"]),
        st.text(max_size=5),
    ),
    st.builds(
        lambda r: ev("response.created", response={"id": r, "status": "in_progress"}),
        st.sampled_from(RIDS),
    ),
    st.builds(
        lambda r, s, why: ev(
            "response.done",
            response={"id": r, "status": s, "status_details": {"type": s, "reason": why}},
        ),
        st.sampled_from(RIDS),
        st.sampled_from(["completed", "cancelled", "failed"]),
        st.sampled_from(["turn_detected", "client_cancelled", None]),
    ),
    st.builds(
        lambda k, r: ev(f"output_audio_buffer.{k}", response_id=r),
        st.sampled_from(["started", "stopped", "cleared"]),
        st.sampled_from(RIDS),
    ),
    st.builds(
        lambda r, a: ev(
            "response.content_part.added",
            response_id=r,
            item_id=a,
            output_index=0,
            content_index=0,
            part={"type": "audio", "transcript": ""},
        ),
        st.sampled_from(RIDS),
        st.sampled_from(AIDS),
    ),
    st.builds(
        lambda r, a, n: ev(
            "response.output_audio.delta",
            response_id=r,
            item_id=a,
            delta=base64.b64encode(bytes(n)).decode(),
        ),
        st.sampled_from(RIDS),
        st.sampled_from(AIDS),
        st.integers(0, 4800),
    ),
    st.builds(
        lambda a, d: ev("response.output_audio_transcript.delta", item_id=a, delta=d),
        st.sampled_from(AIDS),
        st.text(max_size=5),
    ),
    st.builds(
        lambda u, ms: ev("input_audio_buffer.speech_started", item_id=u, audio_start_ms=ms),
        st.sampled_from(UIDS),
        st.integers(0, 20000),
    ),
    st.builds(
        lambda u, ms: ev("input_audio_buffer.speech_stopped", item_id=u, audio_end_ms=ms),
        st.sampled_from(UIDS),
        st.integers(0, 20000),
    ),
    st.builds(
        lambda u, p: ev("input_audio_buffer.committed", item_id=u, previous_item_id=p),
        st.sampled_from(UIDS),
        ANY_ID,
    ),
    st.builds(
        lambda i, p, role, kind: ev(
            kind,
            previous_item_id=p,
            item={
                "id": i,
                "type": "message",
                "role": role,
                "content": [
                    {
                        "type": "input_audio" if role == "user" else "output_audio",
                        "transcript": None,
                    }
                ],
            },
        ),
        st.sampled_from([*AIDS, *UIDS]),
        ANY_ID,
        st.sampled_from(["user", "assistant"]),
        st.sampled_from(["conversation.item.added", "conversation.item.done"]),
    ),
    st.builds(
        lambda u, t: ev(
            "conversation.item.input_audio_transcription.completed", item_id=u, transcript=t
        ),
        st.sampled_from(UIDS),
        st.text(max_size=5),
    ),
    st.builds(
        lambda u: ev(
            "conversation.item.input_audio_transcription.failed",
            item_id=u,
            error={"message": "failed"},
        ),
        st.sampled_from(UIDS),
    ),
    st.builds(
        lambda i: ev("conversation.item.truncated", item_id=i, audio_end_ms=5),
        st.sampled_from(AIDS),
    ),
    st.builds(
        lambda i: ev("conversation.item.deleted", item_id=i), st.sampled_from([*AIDS, *UIDS])
    ),
    st.builds(
        lambda code, r: ev(
            "error",
            error={
                "code": code,
                "message": f"Conversation already has an active response in progress: {r}.",
            },
        ),
        st.sampled_from(
            [
                "conversation_already_has_active_response",
                "response_cancel_not_active",
                "input_audio_buffer_commit_empty",
                None,
            ]
        ),
        st.sampled_from(RIDS),
    ),
    st.builds(
        lambda kind, extra: {**extra, "type": kind},
        st.sampled_from(
            [
                "response.done",
                "response.created",
                "conversation.item.added",
                "response.output_item.done",
                "session.updated",
                "error",
                "output_audio_buffer.started",
                "input_audio_buffer.speech_started",
                "made.up",
            ]
        ),
        st.dictionaries(
            st.sampled_from(
                [
                    "response",
                    "item",
                    "session",
                    "error",
                    "item_id",
                    "response_id",
                    "delta",
                    "previous_item_id",
                    "audio_start_ms",
                    "audio_end_ms",
                ]
            ),
            json_values,
            max_size=4,
        ),
    ),
)

inputs = st.one_of(
    st.just(TalkPressed()),
    st.just(TalkReleased()),
    st.just(ToggleMute()),
    st.builds(SetBargeIn, st.booleans()),
    st.just(CancelRequested()),
    st.builds(SendText, st.sampled_from(["", "  ", "hello", "more please"])),
    st.builds(PlaybackStarted, st.sampled_from([*AIDS, None])),
    st.builds(PlaybackProgress, st.sampled_from(AIDS), st.floats(0, 20000)),
    st.just(PlaybackDrained()),
    st.builds(MicAudio, st.floats(0, 1500)),
    st.builds(TransportState, st.sampled_from(["connected", "closed", "reconnecting"])),
    st.builds(SetMicAvailable, st.booleans()),
)


def answer(rid: str, aid: str, nbytes: int, played: float) -> list[tuple[str, Any]]:
    """A response that starts speaking: reaches the deep states (barge-in, truncation) often."""
    return [
        ("event", ev("response.created", response={"id": rid, "status": "in_progress"})),
        (
            "event",
            ev(
                "response.content_part.added",
                response_id=rid,
                item_id=aid,
                part={"type": "audio", "transcript": ""},
            ),
        ),
        (
            "event",
            ev(
                "response.output_audio.delta",
                response_id=rid,
                item_id=aid,
                delta=base64.b64encode(bytes(nbytes)).decode(),
            ),
        ),
        ("event", ev("output_audio_buffer.started", response_id=rid)),
        ("input", PlaybackStarted(aid)),
        ("wait", 0.7),
        ("input", PlaybackProgress(aid, played)),
    ]


def speech(uid: str, mic_ms: float, length_ms: int) -> list[tuple[str, Any]]:
    return [
        ("event", ev("input_audio_buffer.speech_started", item_id=uid, audio_start_ms=1000)),
        ("input", MicAudio(mic_ms)),
        (
            "event",
            ev("input_audio_buffer.speech_stopped", item_id=uid, audio_end_ms=1000 + length_ms),
        ),
    ]


macros = st.one_of(
    st.builds(
        answer,
        st.sampled_from(RIDS),
        st.sampled_from(AIDS),
        st.integers(0, 96000),
        st.floats(0, 3000),
    ),
    st.builds(speech, st.sampled_from(UIDS), st.floats(0, 1000), st.integers(0, 2000)),
    st.builds(lambda text: [("input", SendText(text))], st.sampled_from(["hi", " "])),
    st.builds(
        lambda ms: [
            ("input", TalkPressed()),
            ("input", MicAudio(ms)),
            ("input", TalkPressed()),
            ("input", TalkReleased()),
        ],
        st.floats(0, 2000),
    ),
)

steps = st.lists(
    st.one_of(
        st.tuples(st.just("macro"), macros),
        st.tuples(st.just("event"), server_events),
        st.tuples(st.just("input"), inputs),
        st.tuples(st.just("wait"), st.floats(0.0, 1.5)),
        st.tuples(st.just("garbage"), st.one_of(st.text(max_size=20), json_values.map(json.dumps))),
    ),
    min_size=5,
    max_size=50,
)

policies = st.fixed_dictionaries(
    {
        "mode": st.sampled_from(["vad", "ptt", "transcribe"]),
        "transport": st.sampled_from(["webrtc", "websocket"]),
        "barge_in": st.booleans(),
        "ptt_style": st.sampled_from(["toggle", "release"]),
        "dialect": st.sampled_from(["ga", "beta"]),
        "min_user_speech_ms": st.sampled_from([0.0, 300.0]),
    }
)


@dataclass
class Model:
    """The rules, tracked from the outside."""

    settle: float
    fallback: float
    active: str | None = None  # a response id, "requested", or None
    create_event_id: str | None = None
    played: dict[str, float] = field(default_factory=dict)
    received_ms: dict[str, float] = field(default_factory=dict)
    ended_at: float | None = None  # playback ended and has not started again
    sources: set[str] = field(default_factory=set)  # "server" and/or "local" say it plays
    last_response: str | None = None
    ended: set[str | None] = field(default_factory=set)

    def start(self, source: str) -> None:
        self.sources.add(source)
        self.ended_at = None

    def stop(self, source: str, now: float) -> None:
        """Playback has ended once neither the server nor the speaker plays."""
        self.sources.discard(source)
        if not self.sources and self.ended_at is None:
            self.ended_at = now

    def before_event(self, event: dict[str, Any], now: float) -> None:
        kind = event.get("type")
        if kind == "response.created":
            response = event.get("response")
            rid = response.get("id") if isinstance(response, dict) else None
            if isinstance(rid, str):
                self.active = rid
                self.last_response = rid
                self.ended.discard(rid)
        elif kind == "response.done" and isinstance(event.get("response"), dict):
            rid = event["response"].get("id")
            rid = rid if isinstance(rid, str) else None
            if rid in self.ended:
                pass  # a repeated end
            elif self.active not in (None, "requested") and rid is not None and rid != self.active:
                pass  # the end of a superseded response
            else:
                self.active = None
                if rid is not None:
                    self.ended.add(rid)
        elif kind == "error" and isinstance(event.get("error"), dict):
            error = event["error"]
            if error.get("code") == "conversation_already_has_active_response":
                if self.active == "requested":
                    self.active = None
                if self.active is None:
                    message = str(error.get("message"))
                    for rid in RIDS:
                        if rid in message:
                            self.active = rid
            elif self.active == "requested" and error.get("event_id") == self.create_event_id:
                self.active = None
        elif kind == "output_audio_buffer.started":
            self.start("server")
        elif kind in ("output_audio_buffer.stopped", "output_audio_buffer.cleared"):
            self.stop("server", now)
        elif kind == "response.output_audio.delta":
            item, delta = event.get("item_id"), event.get("delta")
            if isinstance(item, str) and isinstance(delta, str):
                raw = len(base64.b64decode(delta))
                self.received_ms[item] = self.received_ms.get(item, 0.0) + raw / 48.0

    def before_input(self, inp: Any, now: float) -> None:
        if isinstance(inp, PlaybackStarted):
            self.start("local")
        elif isinstance(inp, PlaybackDrained):
            self.stop("local", now)
        elif isinstance(inp, PlaybackProgress):
            self.played[inp.item_id] = max(self.played.get(inp.item_id, 0.0), inp.played_ms)
        elif isinstance(inp, TransportState) and inp.state != "connected":
            self.active = None
            self.sources.clear()
            self.stop("local", now)

    def check_actions(self, actions: list[Any], now: float) -> None:
        for action in actions:
            if isinstance(action, FlushPlayback):
                self.sources.clear()
                self.stop("local", now)
            if not isinstance(action, Send):
                continue
            event = action.event
            if event["type"] == "response.create":
                assert self.active is None, f"response.create while {self.active} is active"
                self.active = "requested"
                self.create_event_id = event["event_id"]
            elif event["type"] == "conversation.item.truncate":
                end = event["audio_end_ms"]
                item = event["item_id"]
                assert isinstance(end, int) and end >= 0
                assert end <= self.played.get(item, 0.0), (end, self.played)
                if item in self.received_ms:
                    assert end <= self.received_ms[item] + 1e-6, (end, self.received_ms)

    def check_mic(self, h: Harness) -> None:
        if self.ended_at is not None and h.now > self.ended_at + self.settle + self.fallback:
            assert h.view.mic_reason is not MicReason.PLAYBACK, (
                f"muted for playback {h.now - self.ended_at:.2f}s after playback ended"
            )


def feed(h: Harness, model: Model, event: dict[str, Any], dialect: Dialect) -> list[Any]:
    model.before_event(event, h.now)
    if dialect is Dialect.GA:
        return h.wire(json.dumps(event))
    beta = server_event_from_canonical(event, dialect)
    return h.wire(json.dumps(beta)) if beta is not None else []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=policies, script=steps, wind_down=st.sampled_from(["end_signal", "done"]))
def test_random_sessions_keep_every_rule(
    policy: dict[str, Any], script: list[Any], wind_down: str
) -> None:
    h = Harness(strict=True, **policy)
    dialect = Dialect(policy["dialect"])
    model = Model(settle=0.4, fallback=0.6)
    model.check_actions(h.start(), h.now)
    version = h.view.version
    tokens = 0
    flat: list[tuple[str, Any]] = []
    for kind, payload in script:
        flat += payload if kind == "macro" else [(kind, payload)]
    for kind, payload in flat:
        if kind == "event":
            out = feed(h, model, payload, dialect)
        elif kind == "input":
            model.before_input(payload, h.now)
            out = h.do(payload)
        elif kind == "wait":
            out = h.advance(payload)
        else:
            out = h.wire(payload)
        model.check_actions(out, h.now)
        model.check_mic(h)
        view = h.view
        # the mic pump's per-frame reads agree with the view they stand in for
        assert h.session.media_now() == (view.mic_open, view.playing, view.response_active)
        assert h.session.completed_responses == view.completed_responses
        assert view.version >= version
        version = view.version
        ids = [entry.id for entry in view.entries]
        assert len(ids) == len(set(ids))
        # usage only grows, and its estimate is never negative
        assert view.usage.total.total >= tokens and (view.usage.cost_usd or 0.0) >= 0
        tokens = view.usage.total.total

    # Wind down: playback ends (an end-of-playback signal, or only the response's end and
    # silence). Either way the mic must reopen within settle + fallback.
    if wind_down == "end_signal":
        out = feed(h, model, ev("output_audio_buffer.stopped", response_id="resp_0"), dialect)
        model.check_actions(out, h.now)
        model.before_input(PlaybackDrained(), h.now)
        model.check_actions(h.do(PlaybackDrained()), h.now)
    else:
        if h.session.response_active and h.session._responses.active_id is None:
            created = ev("response.created", response={"id": "resp_end"})
            model.check_actions(feed(h, model, created, dialect), h.now)
        done = ev(
            "response.done",
            response={"id": h.session._responses.active_id or "resp_end", "status": "completed"},
        )
        model.check_actions(feed(h, model, done, dialect), h.now)
    end = h.now
    model.check_actions(h.advance(0.4 + 0.6 + 0.01), h.now)
    assert h.view.mic_reason is not MicReason.PLAYBACK, f"still muted {h.now - end:.2f}s later"
    assert h.session.next_deadline() is None
