"""Acceptance: the official SDK's Live client (google-genai 3.3.0, ``client.aio.live``) against
the local server, changed only through its documented ``HttpOptions`` (``base_url`` and the
SSL context that trusts the loopback's certificate: see tests/server/gemini/peers.py for why
the SDK needs TLS).

A typed turn (audio and an output transcription), a tool round trip answered with
``send_tool_response``, ``goAway`` then the 1011 deadline and a resumed session that carries
the conversation on, an ephemeral token on the v1alpha constrained path, and the deprecated
``media=`` argument refused as Google refuses it.
"""

from __future__ import annotations

import asyncio
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from google.genai import errors as genai_errors
from google.genai import types

from tests.helpers import local_server
from tests.server.gemini.peers import TlsPair, sdk_client
from tests.speech import TEST_PHRASES
from voicechat.server.app import LocalServer

MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"
AUDIO_OUT = types.LiveConnectConfig(response_modalities=[types.Modality.AUDIO],
                                    output_audio_transcription=types.AudioTranscriptionConfig())


async def _turn(session: Any) -> list[types.LiveServerMessage]:
    """Messages until the turn completes (the SDK's ``receive()`` stops there)."""
    got: list[types.LiveServerMessage] = []

    async def read() -> None:
        async for message in session.receive():
            got.append(message)

    await asyncio.wait_for(read(), 40)
    return got


def _said(messages: list[types.LiveServerMessage]) -> str:
    return "".join(m.server_content.output_transcription.text or ""
                   for m in messages
                   if m.server_content and m.server_content.output_transcription)


async def test_sdk_completes_a_typed_turn(tls_server: LocalServer, tls_pair: TlsPair) -> None:
    client = sdk_client(tls_server, tls_pair)
    async with client.aio.live.connect(model=MODEL, config=AUDIO_OUT) as session:
        await session.send_client_content(
            turns=types.Content(role="user", parts=[types.Part(text="Hello Gemini")]),
            turn_complete=True)
        messages = await _turn(session)
    assert _said(messages) == "You said: Hello Gemini"
    audio = b"".join(m.data for m in messages if m.data)
    assert len(audio) > 4800  # 0.1 s at 24 kHz, 16-bit
    last = messages[-1]
    assert last.server_content.turn_complete
    assert last.usage_metadata.total_token_count > 0


@pytest.mark.script('Let me look. @call get_weather {"city": "Paris"}', "It is sunny in Paris.")
async def test_sdk_tool_round_trip(tls_server: LocalServer, tls_pair: TlsPair) -> None:
    tool = types.Tool(function_declarations=[types.FunctionDeclaration(
        name="get_weather", description="The weather in a city",
        parameters=types.Schema(type="OBJECT", properties={"city": types.Schema(
            type="STRING")}))])
    config = AUDIO_OUT.model_copy(update={"tools": [tool]})
    client = sdk_client(tls_server, tls_pair)
    async with client.aio.live.connect(model=MODEL, config=config) as session:
        await session.send_realtime_input(text="What is the weather in Paris?")
        calls: list[types.FunctionCall] = []
        async for message in session.receive():
            if message.tool_call:
                calls = list(message.tool_call.function_calls or [])
                break
        assert [(c.name, c.args) for c in calls] == [("get_weather", {"city": "Paris"})]
        await session.send_tool_response(function_responses=[types.FunctionResponse(
            id=calls[0].id, name="get_weather", response={"weather": "sunny"})])
        messages = await _turn(session)
    assert _said(messages).strip() == "It is sunny in Paris."


async def test_sdk_go_away_deadline_and_resume(tmp_path: Path, tls_pair: TlsPair) -> None:
    script = tmp_path / "script.txt"
    script.write_text("First answer.\nSecond answer.\n", encoding="utf-8")
    async with local_server(responder=f"script:{script}", tls=tls_pair.server,
                            gemini_connection_s=6.0, gemini_go_away_lead_s=2.0) as srv:
        client = sdk_client(srv, tls_pair)
        config = AUDIO_OUT.model_copy(update={
            "session_resumption": types.SessionResumptionConfig()})
        handle: str | None = None
        async with client.aio.live.connect(model=MODEL, config=config) as session:
            await session.send_client_content(
                turns=types.Content(role="user", parts=[types.Part(text="One")]))
            go_away: types.LiveServerGoAway | None = None
            with pytest.raises(genai_errors.APIError) as ended:
                while True:  # receive() ends at each turn's end; the connection goes on
                    async for message in session.receive():
                        if message.session_resumption_update:
                            handle = message.session_resumption_update.new_handle or handle
                        go_away = message.go_away or go_away
            assert go_away is not None and go_away.time_left == "2s"
            assert ended.value.code == 1011 and "Deadline expired" in str(ended.value)
        assert handle
        resumed = AUDIO_OUT.model_copy(update={
            "session_resumption": types.SessionResumptionConfig(handle=handle)})
        async with client.aio.live.connect(model=MODEL, config=resumed) as session:
            await session.send_client_content(
                turns=types.Content(role="user", parts=[types.Part(text="Two")]))
            messages = await _turn(session)
        assert _said(messages) == "Second answer."  # the script went on: the same session


@pytest.mark.filterwarnings("ignore:Inheritance class AiohttpClientSession:DeprecationWarning")
async def test_sdk_ephemeral_token_on_the_constrained_path(tls_server: LocalServer,
                                                           tls_pair: TlsPair) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", genai_errors.ExperimentalWarning)  # the SDK's own note
        minting = sdk_client(tls_server, tls_pair, api_version="v1alpha")
        token = await minting.aio.auth_tokens.create(
            config=types.CreateAuthTokenConfig(uses=1))
        assert token.name and token.name.startswith("auth_tokens/")
        client = sdk_client(tls_server, tls_pair, api_key=token.name, api_version="v1alpha")
        async with client.aio.live.connect(model=MODEL, config=AUDIO_OUT) as session:
            await session.send_realtime_input(text=TEST_PHRASES[0])
            assert _said(await _turn(session)) == f"You said: {TEST_PHRASES[0]}"
        with pytest.raises(genai_errors.APIError) as refused:  # the close answers setup
            async with client.aio.live.connect(model=MODEL, config=AUDIO_OUT):
                pass
        assert refused.value.code == 1008 and "used up" in str(refused.value)


async def test_sdk_deprecated_media_argument_gets_googles_1007(tls_server: LocalServer,
                                                               tls_pair: TlsPair) -> None:
    client = sdk_client(tls_server, tls_pair)
    async with client.aio.live.connect(model=MODEL, config=AUDIO_OUT) as session:
        await session.send_realtime_input(
            media=types.Blob(data=bytes(320), mime_type="audio/pcm;rate=16000"))
        with pytest.raises(genai_errors.APIError) as refused:
            await asyncio.wait_for(_turn(session), 40)
    assert refused.value.code == 1007
    assert "media_chunks is deprecated" in str(refused.value)


async def test_sdk_against_voicechat_serve_with_tls_and_a_short_life(tmp_path: Path,
                                                                    tls_pair: TlsPair) -> None:
    """``voicechat serve`` as users run it (its own process, the recogniser in a worker) with
    ``--tls-cert/--tls-key`` and ``--gemini-connection-s``: the SDK's typed turn, then goAway
    and the 1011 deadline at the life the option set."""
    import signal

    from tests.runtime.server_process import ServerProcess

    proc = ServerProcess(tmp_path / "serve.log", "--voice", "tone", "--gemini-connection-s", "6",
                         "--tls-cert", str(tls_pair.cert_file), "--tls-key",
                         str(tls_pair.key_file))
    await proc.start()
    try:
        served = SimpleNamespace(base_url=f"https://127.0.0.1:{proc.port}")
        client = sdk_client(served, tls_pair)
        async with client.aio.live.connect(model=MODEL, config=AUDIO_OUT) as session:
            await session.send_client_content(
                turns=types.Content(role="user", parts=[types.Part(text="Hello")]))
            first = await _turn(session)
            assert _said(first) == "You said: Hello"
            go_away = next((m.go_away for m in first if m.go_away), None)  # a slow machine
            with pytest.raises(genai_errors.APIError) as ended:
                while True:
                    async for message in session.receive():
                        go_away = message.go_away or go_away
        assert go_away is not None and go_away.time_left == "3s"  # half of a short life
        assert ended.value.code == 1011
    finally:
        await proc.kill(signal.SIGINT)
    assert "Gemini Live:" in (tmp_path / "serve.log").read_text()
