"""Which paths the proxy serves (everything else is a 404 naming these)."""

from __future__ import annotations

import pytest

from voicechat.protocol.gemini import names
from voicechat.proxy.listen import ListenError, is_loopback, parse_listen
from voicechat.proxy.paths import (
    call_id_from_location,
    is_call_offer,
    is_gemini_path,
    is_rest_path,
    is_websocket_path,
)


@pytest.mark.parametrize("path", [
    "/v1/realtime/client_secrets", "/v1/realtime/sessions", "/v1/realtime/calls",
    "/v1/realtime/calls/rtc_1/hangup", "/v1/realtime/calls/rtc_1/accept",
    "/v1/realtime/calls/rtc_1/reject", "/v1/realtime/calls/rtc_1/refer", "/v1/realtime",
    "/openai/v1/realtime/client_secrets", "/openai/v1/realtime/calls/rtc_1/hangup",
    "/openai/realtimeapi/sessions",
])
def test_realtime_rest_paths_are_served(path: str) -> None:
    assert is_rest_path(path)


@pytest.mark.parametrize("path", ["/", "/v1/chat/completions", "/v1/realtime/calls/a/b/hangup",
                                  "/v1/realtime/calls/rtc_1/delete", "/healthz"])
def test_other_paths_are_not(path: str) -> None:
    assert not is_rest_path(path)


def test_call_offers_and_their_location() -> None:
    assert is_call_offer("/v1/realtime/calls") and is_call_offer("/openai/v1/realtime/calls")
    assert not is_call_offer("/v1/realtime/calls/rtc_1/hangup")
    assert call_id_from_location("/v1/realtime/calls/rtc_abc") == "rtc_abc"
    assert call_id_from_location("https://api.openai.com/v1/realtime/calls/rtc_x/") == "rtc_x"


def test_listen_addresses() -> None:
    assert parse_listen("127.0.0.1:0", allow_remote=False) == ("127.0.0.1", 0)
    assert parse_listen("[::1]:8766", allow_remote=False) == ("::1", 8766)
    assert is_loopback("localhost") and not is_loopback("0.0.0.0")
    with pytest.raises(ListenError, match="--allow-remote"):
        parse_listen("0.0.0.0:8766", allow_remote=False)
    assert parse_listen("0.0.0.0:8766", allow_remote=True) == ("0.0.0.0", 8766)
    with pytest.raises(ListenError, match="HOST:PORT"):
        parse_listen("8766", allow_remote=False)


def test_other_providers_websocket_paths() -> None:
    """Voice Live's path and Google's own Gemini paths are relayed; xAI's is ``/v1/realtime``."""
    assert is_websocket_path("/voice-live/realtime")
    for path in (names.PATH, names.ALPHA_PATH, names.V1_PATH, names.CONSTRAINED_PATH):
        assert is_websocket_path(path) and is_gemini_path(path)
    assert not is_gemini_path("/v1/realtime") and not is_websocket_path("/voice-live/other")
