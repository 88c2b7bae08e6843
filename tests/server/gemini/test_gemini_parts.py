"""The Gemini peer's parts without a socket: credentials and tokens, resumption handles, the
setup read into the responder's offer, the connection's life."""

from __future__ import annotations

from voicechat.protocol.gemini import client_messages, close_codes, names
from voicechat.protocol.gemini.errors import Refusal
from voicechat.server.auth import TokenStore
from voicechat.server.gemini.conversation import (
    Conversation,
    Resumptions,
    instructions_from_setup,
    offer_from_setup,
)
from voicechat.server.gemini.credentials import EphemeralTokens, admit
from voicechat.server.gemini.options import GeminiOptions
from voicechat.server.voice.tools import NO_TOOLS


def test_a_project_key_rides_on_the_url_or_the_sdks_header() -> None:
    keys, tokens = TokenStore(api_key="k"), EphemeralTokens()
    assert admit({}, {"key": "k"}, constrained=False, keys=keys, tokens=tokens) is None
    assert admit({names.API_KEY_HEADER: "k"}, {}, constrained=False, keys=keys,
                 tokens=tokens) is None
    refused = admit({}, {"key": "nope"}, constrained=False, keys=keys, tokens=tokens)
    assert refused is not None and refused.code == close_codes.POLICY_VIOLATION


def test_an_ephemeral_token_serves_its_uses_on_the_constrained_path_only() -> None:
    keys, tokens = TokenStore(api_key="k"), EphemeralTokens()
    token = tokens.mint(uses=1)
    assert token is not None and token.name.startswith(names.TOKEN_PREFIX)
    header = {"Authorization": f"Token {token.name}"}
    wrong_path = admit(header, {}, constrained=False, keys=keys, tokens=tokens)
    assert wrong_path is not None and "Constrained" in wrong_path.reason
    assert admit(header, {}, constrained=True, keys=keys, tokens=tokens) is None
    used_up = admit({}, {"access_token": token.name}, constrained=True, keys=keys,
                    tokens=tokens)
    assert used_up is not None and "used up" in used_up.reason
    late = tokens.mint(new_session_s=0)
    assert late is not None and "time to start" in str(tokens.use(late.name))


def _conversation() -> Conversation:
    return Conversation(instructions="", offer=NO_TOOLS, responder=None)


def test_handles_resume_their_conversation_once_it_is_detached() -> None:
    resumptions = Resumptions(ttl_s=60)
    conversation = _conversation()
    first, second = resumptions.issue(conversation), resumptions.issue(conversation)
    busy = resumptions.resume(first)
    assert isinstance(busy, Refusal) and busy.code == close_codes.INTERNAL_ERROR
    resumptions.detach(conversation)
    assert resumptions.resume(second) is conversation and conversation.attached
    unknown = resumptions.resume("nope")
    assert isinstance(unknown, Refusal) and unknown.code == close_codes.INVALID_PAYLOAD


def test_expired_handles_are_forgotten() -> None:
    resumptions = Resumptions(ttl_s=0)
    conversation = _conversation()
    handle = resumptions.issue(conversation)
    resumptions.detach(conversation)
    assert isinstance(resumptions.resume(handle), Refusal)


def test_the_setup_becomes_the_responders_offer_and_instructions() -> None:
    setup = client_messages.setup(instructions="Be brief.", tools=[
        {"name": "get_time", "description": "now", "parameters": {"type": "object"}}])["setup"]
    offer = offer_from_setup(setup)
    assert [t.name for t in offer.tools] == ["get_time"] and offer.calls_allowed
    assert instructions_from_setup(setup) == "Be brief."
    assert instructions_from_setup({"system_instruction": "Plain."}) == "Plain."


def test_go_away_comes_before_the_end() -> None:
    assert GeminiOptions().go_away_at_s == names.CONNECTION_LIFETIME_S - 10
    assert GeminiOptions(connection_lifetime_s=4, go_away_lead_s=10).go_away_at_s == 2
