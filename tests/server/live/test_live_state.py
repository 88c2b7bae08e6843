"""The GPT-Live session rules, sans-IO (no server): startup resolution, ``session.update``'s
merge within one delegation type, delegation ids, pending calls. Properties with hypothesis."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from voicechat.protocol.live import errors
from voicechat.server.live.state import DEFAULT_INSTRUCTIONS, LiveState

RESPONSES = {"type": "responses", "responses": {"model": "gpt-5.5", "instructions": "Be exact.",
                                                "tools": [{"type": "web_search"}]}}


def started(delegation: dict[str, Any] | None = None, *, webrtc: bool = False) -> LiveState:
    state = LiveState(session_id="live_1", expires_at=0, webrtc=webrtc)
    config: dict[str, Any] = {"model": "gpt-live-1"}
    if delegation is not None:
        config["delegation"] = delegation
    assert state.start(config) is None
    return state


def test_startup_resolves_the_documented_defaults() -> None:
    state = started()
    resource = state.resource
    assert resource["status"] == "active"
    assert resource["audio"] == {"format": {"type": "audio/pcm", "rate": 24000},
                                 "output": {"voice": "marin"}}
    assert resource["delegation"] == {"type": "client"}
    assert resource["instructions"] == DEFAULT_INSTRUCTIONS
    assert "format" not in started(webrtc=True).resource["audio"]


def test_a_refused_start_starts_nothing_and_a_second_start_is_refused() -> None:
    state = LiveState(session_id="live_1", expires_at=0, webrtc=False)
    problem = state.start({"model": "gpt-live-1", "voice": "marin"})
    assert problem is not None and problem.code == errors.UNKNOWN_PARAMETER
    assert not state.started
    assert state.start({"model": "gpt-live-1"}) is None
    again = state.start({"model": "gpt-live-1"})
    assert again is not None and again.code == errors.SESSION_ALREADY_STARTED


_settings = st.fixed_dictionaries({}, optional={
    "model": st.sampled_from(["gpt-5.5", "gpt-5.6-luna"]),
    "instructions": st.text(max_size=10),
    "max_output_tokens": st.integers(16, 4096),
    "tools": st.lists(st.just({"type": "web_search"}), max_size=2),
})


@given(st.lists(st.tuples(st.sampled_from(["client", "responses", "decisions"]), _settings),
                max_size=6))
def test_updates_never_change_the_type_and_keep_what_they_omit(
    updates: list[tuple[str, dict[str, Any]]],
) -> None:
    state = started(RESPONSES)
    expected = dict(RESPONSES["responses"])  # type: ignore[arg-type]
    for kind, settings in updates:
        problem = state.update({"delegation": {"type": kind, "responses": settings}})
        if kind != "responses":
            assert problem is not None and problem.code == errors.IMMUTABLE_FIELD_UPDATE
            continue
        assert problem is None
        expected.update(settings)
        assert state.delegation_type == "responses"
        assert state.responses_config == expected


def test_delegation_ids_follow_the_mode() -> None:
    client = started()
    assert client.check_delegation_id(None) is None
    unknown = client.check_delegation_id("item_x")
    assert unknown is not None and unknown.code == errors.UNKNOWN_DELEGATION
    client.client_delegations.add("item_x")
    assert client.check_delegation_id("item_x") is None
    responses = started(RESPONSES)
    refused = responses.check_delegation_id("item_x")
    assert refused is not None and refused.code == errors.DELEGATION_ID_NOT_ALLOWED


@given(st.lists(st.sampled_from(["call_a", "call_b", "call_c"]), max_size=5))
def test_outputs_answer_pending_calls_only(answers: list[str]) -> None:
    state = started(RESPONSES)
    state.pending_calls.update({"call_a": "f", "call_b": "g"})
    for call_id in answers:
        problem = state.add_output({"type": "function_call_output", "call_id": call_id,
                                    "output": "x"})
        assert (problem is None) == (call_id in ("call_a", "call_b"))
    missing = state.missing_outputs()
    assert set(missing) == {"call_a", "call_b"} - set(answers)
    if not missing:
        assert [c for c, _, _ in state.take_answered_calls()] == ["call_a", "call_b"]
        assert not state.pending_calls
