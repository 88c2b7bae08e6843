"""The session follows what the server reports (issue 11, items 1-3): mismatch notices, VAD type,
transcription off, usage and cost, rate limits, response endings, diarized segments, and
malformed events skipped with a notice naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.core.harness import (
    Harness,
    flushed,
    notices,
    response_done,
    response_starts,
    sent_types,
    user_turn,
)
from voicechat.core import MicAudio, PlaybackProgress
from voicechat.core.barge_in import INTERRUPT, NOTHING, BargeIn
from voicechat.core.server_session import differences, read_reported
from voicechat.protocol.pricing import PRICES, Tokens, estimate_usd, prices_for, tokens_from_usage

#: a GA session.updated of a server that ignored the request (shape of real GA recordings)
IGNORING = {
    "type": "realtime",
    "object": "realtime.session",
    "id": "sess_C9x",
    "model": "gpt-realtime-2025-08-28",
    "output_modalities": ["audio"],
    "audio": {
        "input": {
            "format": {"type": "audio/pcm", "rate": 24000},
            "transcription": None,
            "noise_reduction": None,
            "turn_detection": {"type": "semantic_vad", "eagerness": "auto",
                               "create_response": True, "interrupt_response": True},
        },
        "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin",
                   "speed": 1.0},
    },
    "tracing": None,
}

USAGE = {
    "total_tokens": 1372,
    "input_tokens": 1120,
    "output_tokens": 252,
    "input_token_details": {
        "text_tokens": 1000, "audio_tokens": 120, "image_tokens": 0, "cached_tokens": 960,
        "cached_tokens_details": {"text_tokens": 960, "audio_tokens": 0, "image_tokens": 0},
    },
    "output_token_details": {"text_tokens": 52, "audio_tokens": 200},
}


def updated(h: Harness, session: dict[str, Any]) -> list[str]:
    return notices(h.ev("session.updated", session=session), "warning")


# --- item 1: the session the server reports ----------------------------------------------------


def test_ignored_request_is_reported_once_per_difference() -> None:
    h = Harness(barge_in=True)
    h.start()
    said = updated(h, IGNORING)
    assert any("input transcription is off (asked for gpt-4o-mini-transcribe)" in s for s in said)
    assert any("turn detection is semantic_vad (asked for server_vad)" in s for s in said)
    assert any("interrupt_response is true (asked for false)" in s for s in said)
    assert any("the server cancels the assistant itself" in s for s in said)
    assert all(s.startswith("the server did not apply") or "cancels" in s for s in said)
    assert updated(h, IGNORING) == []  # said once
    assert h.view.server_session.turn_detection == "semantic_vad"


def test_session_created_and_an_applied_request_say_nothing() -> None:
    h = Harness()
    [update] = [a for a in h.start() if hasattr(a, "event")]
    assert notices(h.ev("session.created", session=IGNORING)) == []  # before the update
    assert updated(h, update.event["session"]) == []


def test_formats_models_and_create_response_are_compared() -> None:
    asked = {"model": "gpt-realtime", "audio": {
        "input": {"format": {"type": "audio/pcmu"}, "transcription": {"model": "whisper-1"},
                  "turn_detection": {"type": "server_vad", "create_response": True}},
        "output": {"format": {"type": "audio/pcmu"}}}}
    got = {"model": "gpt-4o-realtime-preview", "audio": {
        "input": {"format": {"type": "audio/pcm", "rate": 24000},
                  "transcription": {"model": "gpt-4o-transcribe"},
                  "turn_detection": {"type": "server_vad", "create_response": False}},
        "output": {"format": {"type": "audio/pcmu"}}}}
    said = " | ".join(differences(asked, got))
    assert "input transcription uses gpt-4o-transcribe (asked for whisper-1)" in said
    assert "create_response is false (asked for true)" in said
    assert "model is gpt-4o-realtime-preview (asked for gpt-realtime)" in said
    assert "audio input format" in said and "audio output format" not in said
    assert differences(asked, {}) == []  # a server that says nothing is not contradicting


@given(st.dictionaries(st.sampled_from(["audio", "model", "type"]),
                       st.recursive(st.none() | st.booleans() | st.text(max_size=5),
                                    lambda c: st.dictionaries(st.text(max_size=12), c,
                                                              max_size=3), max_leaves=8)))
def test_any_reported_session_is_read_without_raising(session: dict[str, Any]) -> None:
    read_reported(session)
    differences(IGNORING, session)
    h = Harness()
    h.start()
    h.ev("session.updated", session=session)


def test_transcription_off_settles_pending_turns() -> None:
    h = Harness()
    h.start()
    user_turn(h, "item_u1", None)
    assert h.view.entries[-1].status == "pending"
    updated(h, IGNORING)
    assert h.view.entries[-1].status == "untranscribed"
    user_turn(h, "item_u2", "item_u1")
    assert h.view.entries[-1].status == "untranscribed"


def test_semantic_vad_user_guard_counts_no_silence() -> None:
    b = BargeIn(enabled=True, vad=True, min_assistant_speech_ms=500, min_user_speech_ms=300)
    b.follow_vad(None, None, "semantic_vad")
    b.speech_started(10.0, "u", 0, assistant_speaking=True, playing_since=8.0)
    assert b.mic_audio(299) == NOTHING
    assert b.mic_audio(1) == INTERRUPT  # 300 ms of speech, no assumed 200 ms of silence
    b.follow_vad(None, None, "server_vad")
    assert b.silence_ms == 200


def test_server_that_interrupts_itself_cuts_playback_without_cancelling() -> None:
    h = Harness(barge_in=False)
    h.start()
    updated(h, IGNORING)
    response_starts(h, "resp_1", "item_a1", None)
    h.ev("output_audio_buffer.started", response_id="resp_1")
    h.advance(1.0)
    h.do(PlaybackProgress("item_a1", 1000))
    out = h.ev("input_audio_buffer.speech_started", audio_start_ms=5000, item_id="item_u2")
    assert flushed(out)
    assert "response.cancel" not in sent_types(out)  # the server cancels on its own
    assert "conversation.item.truncate" in sent_types(out)
    assert h.do(MicAudio(2000)) == []


# --- item 2: usage and cost --------------------------------------------------------------------


def test_usage_per_response_and_totals_with_estimated_cost() -> None:
    h = Harness(model="gpt-realtime")
    h.start()
    for n in (1, 2):
        response_starts(h, f"resp_{n}", f"item_a{n}", None)
        h.ev("response.done", response={"id": f"resp_{n}", "status": "completed",
                                        "output": [], "usage": USAGE})
    usage = h.view.usage
    assert usage.responses == 2
    assert usage.total.input_total == 2240 and usage.total.output_audio == 400
    assert usage.total.cached == 1920
    assert usage.last.response_id == "resp_2"
    one = (40 * 4.0 + 960 * 0.4 + 120 * 32.0 + 52 * 16.0 + 200 * 64.0) / 1e6
    assert usage.last.cost_usd == pytest.approx(one)
    assert usage.cost_usd == pytest.approx(2 * one)
    assert "estimate" in usage.label


def test_reported_model_prices_the_usage_and_unknown_models_have_no_cost() -> None:
    h = Harness(model="my-azure-deployment")
    h.start()
    h.ev("response.done", response={"id": "r", "status": "completed", "usage": USAGE})
    assert h.view.usage.cost_usd is None and h.view.usage.total.total == 1372
    h.ev("session.updated", session={"model": "gpt-4o-mini-realtime-preview-2024-12-17"})
    h.ev("response.done", response={"id": "r2", "status": "completed", "usage": USAGE})
    assert h.view.usage.last.cost_usd is not None


def test_beta_usage_without_cached_split_and_overrides() -> None:
    beta = {"input_tokens": 100, "output_tokens": 10,
            "input_token_details": {"text_tokens": 50, "audio_tokens": 50, "cached_tokens": 20},
            "output_token_details": {"text_tokens": 10, "audio_tokens": 0}, "extra": 1}
    tokens = tokens_from_usage(beta)
    assert tokens is not None and tokens.cached_unsplit == 20
    prices = prices_for("gpt-4o-realtime-preview-2025-06-03")
    assert prices == PRICES["gpt-4o-realtime"]
    expected = (40 * 5.0 + 10 * 2.5 + 40 * 40.0 + 10 * 2.5 + 10 * 20.0) / 1e6
    assert estimate_usd(tokens, prices) == pytest.approx(expected)
    cheap = prices_for("gpt-realtime", {"gpt-realtime": {"audio_output": 1.0, "bogus": 9}})
    assert cheap is not None and cheap.audio_output == 1.0 and cheap.text_input == 4.0
    assert prices_for("other", {"other": {"text_input": 1}}) is None  # incomplete: ignored


@given(st.recursive(st.none() | st.integers() | st.floats() | st.text(max_size=3),
                    lambda c: st.dictionaries(st.text(max_size=25), c, max_size=4),
                    max_leaves=12))
def test_any_usage_reads_to_non_negative_counts(usage: Any) -> None:
    tokens = tokens_from_usage(usage)
    if tokens is not None:
        assert all(v >= 0 for v in vars(tokens).values())
        assert estimate_usd(tokens, PRICES["gpt-realtime"]) >= 0
    assert Tokens() + Tokens(output_text=1) == Tokens(output_text=1)


# --- item 3: rate limits, timeouts, endings, segments ------------------------------------------


def test_rate_limits_keep_remaining_and_reset_time() -> None:
    h = Harness()
    h.start()
    h.now = 100.0
    h.ev("rate_limits.updated", rate_limits=[
        {"name": "tokens", "limit": 40000, "remaining": 39000, "reset_seconds": 1.5}, "junk"])
    [limit] = h.view.rate_limits
    assert (limit.name, limit.remaining, limit.limit, limit.reset_at) == (
        "tokens", 39000, 40000, 101.5)
    assert notices(h.ev("rate_limits.updated", rate_limits="x")) == [
        "skipped a malformed rate_limits.updated: field 'rate_limits' is not a list"]


@pytest.mark.parametrize(("status", "reason", "said"), [
    ("cancelled", "turn_detected", "the server heard the user speak (turn_detected)"),
    ("cancelled", "client_cancelled", "the client cancelled it (client_cancelled)"),
    ("incomplete", "max_output_tokens", "ended incomplete: it reached max_output_tokens"),
    ("incomplete", "content_filter", "ended incomplete: the content filter stopped it"),
])
def test_response_endings_are_explained(status: str, reason: str, said: str) -> None:
    h = Harness()
    h.start()
    response_starts(h, "resp_1", "item_a1", None)
    out = response_done(h, "resp_1", "item_a1", "hi", status=status, reason=reason)
    assert any(said in n for n in notices(out))


def test_idle_timeout_is_a_notice() -> None:
    h = Harness()
    h.start()
    out = h.ev("input_audio_buffer.timeout_triggered", audio_start_ms=0, audio_end_ms=5000,
               item_id="item_u1")
    assert any("idle timeout" in n for n in notices(out))


def test_diarized_segments_show_speakers_and_times() -> None:
    h = Harness()
    h.start()
    user_turn(h, "item_u1", None)
    seg = {"id": "seg_1", "content_index": 0, "item_id": "item_u1", "obfuscation": "x"}
    h.ev("conversation.item.input_audio_transcription.segment", **seg, speaker="A",
         start=0.0, end=1.25, text=" Hello.")
    h.ev("conversation.item.input_audio_transcription.segment", **seg, speaker="B",
         start=1.5, end=2.0, text="Hi!")
    h.ev("conversation.item.input_audio_transcription.completed", item_id="item_u1",
         content_index=0, transcript="Hello. Hi!")
    entry = h.view.entries[-1]
    assert entry.text == "A (0.0–1.2 s): Hello.\nB (1.5–2.0 s): Hi!"
    assert entry.status == "done"


# --- item 4: malformed events name the event and the field -------------------------------------


@pytest.mark.parametrize(("event", "said"), [
    ({"type": "response.created", "response": "x"},
     "skipped a malformed response.created: field 'response' has no 'id'"),
    ({"type": "response.output_audio.delta", "item_id": "i", "delta": 5},
     "skipped a malformed response.output_audio.delta: field 'delta' is not a string"),
    ({"type": "session.updated", "session": 3},
     "skipped a malformed session.updated: field 'session' is not an object"),
    ({"type": "conversation.item.input_audio_transcription.segment", "item_id": "i", "text": 1},
     "skipped a malformed conversation.item.input_audio_transcription.segment: "
     "field 'text' is not a string"),
])
def test_malformed_events_are_skipped_with_a_named_field(event: dict[str, Any], said: str) -> None:
    h = Harness(strict=True)
    h.start()
    assert notices(h.session.receive(event, 0.0)) == [said]


def test_usage_carries_over_to_the_next_session() -> None:
    h = Harness(model="gpt-realtime")
    h.start()
    h.ev("response.done", response={"id": "r", "status": "completed", "usage": USAGE})
    nxt = Harness(model="gpt-realtime")
    nxt.session.carry_usage(h.view.usage)
    nxt.ev("response.done", response={"id": "r2", "status": "completed", "usage": USAGE})
    assert nxt.view.usage.responses == 2 and nxt.view.usage.total.total == 2 * 1372


def test_beta_dialect_session_and_usage_read_alike() -> None:
    """Beta names (``input_audio_transcription``, top-level ``turn_detection``) map to GA."""
    h = Harness(dialect="beta", model="gpt-4o-realtime-preview")
    h.start()
    session = {"id": "sess", "object": "realtime.session",
               "model": "gpt-4o-realtime-preview-2024-12-17", "modalities": ["text", "audio"],
               "input_audio_format": "pcm16", "input_audio_transcription": None,
               "turn_detection": {"type": "server_vad", "create_response": True,
                                  "interrupt_response": True, "silence_duration_ms": 500}}
    said = notices(h.wire(json.dumps({"type": "session.updated", "event_id": "e",
                                      "session": session})))
    assert any("input transcription is off" in s for s in said)
    assert any("interrupt_response is true" in s for s in said)
    h.wire(json.dumps({"type": "response.created", "event_id": "e1",
                       "response": {"id": "r", "status": "in_progress"}}))
    h.wire(json.dumps({"type": "response.done", "event_id": "e2", "response": {
        "id": "r", "status": "completed", "output": [], "usage": {
            "input_tokens": 80, "output_tokens": 20,
            "input_token_details": {"cached_tokens": 0, "text_tokens": 60, "audio_tokens": 20},
            "output_token_details": {"text_tokens": 5, "audio_tokens": 15}}}}))
    usage = h.view.usage
    assert usage.total.total == 100
    assert usage.cost_usd == pytest.approx((60 * 5 + 20 * 40 + 5 * 20 + 15 * 80) / 1e6)


def test_the_session_end_the_server_names_is_in_the_view_until_it_moves() -> None:
    """``expires_at`` of the session object (OpenAI's 60-minute cap, a provider's own) is what
    the status bar counts down to; a ``session.updated`` that leaves it out has not moved it,
    and a transcription session's 0 is no end."""
    h = Harness()
    h.start()
    assert h.session.view.expires_at is None
    h.ev("session.created", session={**IGNORING, "expires_at": 1_800_000_000})
    assert h.session.view.expires_at == 1_800_000_000
    h.ev("session.updated", session=IGNORING)
    assert h.session.view.expires_at == 1_800_000_000
    h.ev("session.updated", session={**IGNORING, "expires_at": 1_800_000_600})
    assert h.session.view.expires_at == 1_800_000_600
    assert read_reported({"expires_at": 0}).expires_at is None
    assert read_reported({"expires_at": True}).expires_at is None
