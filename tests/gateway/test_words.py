"""Gateway refusals in plain words (voicechat.protocol.gateway_errors), and the rule for when
WebRTC's signalling counts as missing (voicechat.transport.auth.signalling_missing)."""

from __future__ import annotations

import pytest

from voicechat.protocol.gateway_errors import (
    error_event_refusal,
    family,
    handshake_refusal,
    meaning,
)
from voicechat.transport.auth import signalling_missing

URL = "http://127.0.0.1:1/v1/realtime/calls"


@pytest.mark.parametrize("status", [401, 403, 400, 500])
def test_key_and_other_errors_never_mean_missing_signalling(status: int) -> None:
    assert signalling_missing(status, "application/json", '{"error":{"message":"x"}}', URL,
                              "the SDP offer") is None


@pytest.mark.parametrize(("status", "ctype", "body"), [
    (404, "application/json", '{"detail":"Not Found"}'),
    (405, "text/plain", "Method Not Allowed"),
    (200, "text/html", "<!doctype html><html></html>"),
])
def test_missing_signalling(status: int, ctype: str, body: str) -> None:
    assert signalling_missing(status, ctype, body, URL, "the SDP offer") is not None


@pytest.mark.parametrize(("said", "words"), [
    ("当前分组 default 下对于模型 gpt-realtime 无可用渠道 (request id: 1)", "no channel"),
    ("无效的令牌 (request id: 1)", "invalid token"),
    ("该令牌已过期 (request id: 1)", "expired"),
    ("该令牌额度已用尽 (request id: 1)", "quota used up"),
    ("您的 IP 不在令牌允许访问的列表中", "IP not allowed"),
    ("Country, region, or territory not supported", "region blocked"),
    ("dial failed to wss://api.openai.com: websocket: bad handshake", "upstream unreachable"),
])
def test_each_gateway_message_is_explained(said: str, words: str) -> None:
    found = meaning(said)
    assert found is not None and words in found.what


def test_a_503_names_the_family_and_keeps_the_chinese() -> None:
    body = ('{"error":{"message":"当前分组 default 下对于模型 gpt-realtime 无可用渠道",'
            '"type":"new_api_error"}}')
    said = handshake_refusal(503, {"X-Oneapi-Request-Id": "1"}, body, "ws://gw/v1/realtime")
    assert "new-api gateway" in said.message and "无可用渠道" in said.message
    assert "no channel" in said.message and said.lasting
    assert family(None, {"detail": "Not Found"}) == "LiteLLM"


def test_errors_a_conversation_goes_on_after_are_not_refusals() -> None:
    expired = {"code": "session_expired", "message": "Your session hit the maximum duration "
               "of 60 minutes."}
    assert error_event_refusal(expired, dialect="ga", gateway=None) is None
    unknown = {"code": "unknown_parameter", "message": "Unknown parameter: 'session.foo'."}
    assert error_event_refusal(unknown, dialect="ga", gateway=None) is None


def test_the_beta_refusal_says_who_sends_the_header() -> None:
    error = {"code": "beta_api_shape_disabled",
             "message": "The Realtime Beta API is no longer supported."}
    ga = error_event_refusal(error, dialect="ga", gateway="new-api/one-api")
    assert ga is not None and "OpenAI-Beta: realtime=v1" in ga.message
    assert "new-api sends that header" in ga.message
    beta = error_event_refusal(error, dialect="beta", gateway=None)
    assert beta is not None and "--dialect ga" in beta.fix
