"""GPT-Live failures said clearly: a refused key on either transport, and a session config the
server would refuse: the WebRTC create's 400 names it; over WebSocket the core's own check
refuses ``session.start`` before it is sent and the session is failed, not waited for."""

from __future__ import annotations

import pytest

from tests.helpers import local_server, until
from voicechat.config import Settings
from voicechat.eventlog.record import LogRecord
from voicechat.runtime.live import LiveRuntime
from voicechat.transport.auth import AuthError, ConnectError

TOO_LONG = "Speak softly. " * 6000  # over the 16,384-token instructions limit


def settings_for(base_url: str, transport: str, **extra: object) -> Settings:
    return Settings(server=base_url, api="live", model="gpt-live-1", transport=transport,
                    api_key="sk-wrong-key", mic="none", speaker="none", **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize("transport", ["websocket", "webrtc"])
async def test_a_refused_key_is_an_auth_error_naming_the_variable(transport: str) -> None:
    async with local_server(api_key="sk-the-right-one") as srv:
        runtime = LiveRuntime(settings_for(srv.base_url, transport))
        with pytest.raises(AuthError) as caught:
            await runtime.start()
    assert "401" in str(caught.value) and "OPENAI_API_KEY" in str(caught.value)
    assert "sk-" not in str(caught.value)


async def test_a_refused_config_over_webrtc_names_the_field() -> None:
    async with local_server(api_key="sk-wrong-key") as srv:
        runtime = LiveRuntime(settings_for(srv.base_url, "webrtc", instructions=TOO_LONG))
        with pytest.raises(ConnectError) as caught:
            await runtime.start()
    message = str(caught.value)
    assert "HTTP 400" in message and "/v1/live/sessions" in message
    assert "instructions" in message.lower()


async def test_a_refused_config_over_websocket_fails_the_session() -> None:
    async with local_server(api_key="sk-wrong-key") as srv:
        runtime = LiveRuntime(settings_for(srv.base_url, "websocket", instructions=TOO_LONG))
        records: list[LogRecord] = []
        runtime.subscribe(records.append)
        await runtime.start()
        try:
            await until(lambda: runtime.live_view.state == "failed", "the failed start")
        finally:
            await runtime.stop()
    notices = [r.event["message"] for r in records if r.event["type"] == "local.notice"]
    assert any("16384 tokens" in n and "session.start not sent" in n for n in notices)
    assert any("did not start" in n for n in notices)
    assert not [r for r in records if r.dir == "out"]  # refused here, before the wire
    assert runtime.mic_frames_sent == 0  # nothing streamed into a session that never began
