"""A real browser (headless Chromium) against the local server, from another origin.

Issue #3 promises that browser clients work as they do against the real API. HTTP-level CORS
tests (``test_http.py``) check headers; this test checks what a browser actually does with them.
A page served by a separate "app backend" (another 127.0.0.1 port, hence another origin):

1. cannot mint a token itself, even holding the key: the minting endpoints give it no CORS
   headers and refuse the preflight, so the POST never reaches the handler;
2. gets an ``ek_`` token from its own backend and does the documented WebRTC flow without
   waiting for ICE gathering (mic, ``oai-events`` channel, SDP offer POSTed with
   ``Authorization: Bearer ek_…`` after a CORS preflight, ``Location`` readable), then runs
   ``session.update``, a text turn whose audio it receives, a spoken turn from Chromium's fake
   mic (a WAV of a test phrase) that the server transcribes exactly, and a cross-origin hang-up;
   the beta SDP endpoint ``POST /v1/realtime?model=`` gets the same treatment, briefly;
3. opens browser WebSockets authenticated by the ``openai-insecure-api-key.`` subprotocol (beta
   marked by ``openai-beta.realtime-v1``) and gets the ``realtime`` subprotocol back (browsers
   drop a handshake that answers none of the protocols they offered).

The page (``browser/realtime_page.html``) POSTs what it saw to the backend after every step, so
no DevTools protocol is needed: Chromium just loads the page and its process group is killed
afterwards. A failure names the step the browser reached and what it saw.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from tests.browser.chromium import chromium, find_chromium
from tests.browser.origin import PageOrigin
from tests.conftest import require_or_skip
from tests.helpers import local_server
from tests.speech import TEST_PHRASES, speech_wav
from voicechat.server.app import LocalServer

PAGE = Path(__file__).parent / "browser" / "realtime_page.html"
BACKEND_KEY = "sk-backend-only-0123456789"
BETA_MODEL = "gpt-4o-realtime-preview-2024-12-17"
MIC_PHRASE = TEST_PHRASES[0]  # what Chromium's fake mic says, over and over
#: The page's ek_ tokens start with server VAD off, so the mic cannot start turns on its own.
QUIET_SESSION = {"type": "realtime", "audio": {"input": {"turn_detection": None}}}
RUN_TIMEOUT_S = 120.0


def app_origin(srv: LocalServer) -> PageOrigin:
    """The page's own origin: serves the page, mints ek_ tokens with the key, collects reports."""

    async def mint(request: web.Request) -> web.Response:
        """``?dialect=ga`` mints at client_secrets, ``beta`` at the beta sessions endpoint."""
        beta = request.query.get("dialect") == "beta"
        path, body = (
            ("/v1/realtime/sessions", {"model": BETA_MODEL})
            if beta
            else ("/v1/realtime/client_secrets", {"session": QUIET_SESSION})
        )
        async with aiohttp.ClientSession() as http:
            resp = await http.post(
                f"{srv.base_url}{path}",
                json=body,
                headers={"Authorization": f"Bearer {BACKEND_KEY}"},
            )
            data = await resp.json()
        value = data["client_secret"]["value"] if beta else data["value"]
        return web.json_response({"value": value}, status=resp.status)

    # The "leaked" key lets the page prove that CORS, not a missing key, stops it minting.
    config = {"server": srv.base_url, "leaked_key": BACKEND_KEY, "beta_model": BETA_MODEL,
              "phrase": MIC_PHRASE}
    return PageOrigin(PAGE, config, mint)


async def test_browser_on_another_origin_uses_ek_token_over_webrtc_and_websocket(
    tmp_path: Path,
) -> None:
    binary = find_chromium()
    require_or_skip(binary is not None, "Chromium is not installed (apt-get install chromium)")
    assert binary is not None
    mic_wav = speech_wav(tmp_path / "mic.wav", [MIC_PHRASE], rate=48000, tail_s=1.5)
    async with local_server(api_key=BACKEND_KEY, asr_phrases=TEST_PHRASES) as srv:
        minted: list[str] = []
        mint = srv.tokens.mint

        def counting_mint(*args: Any, **kwargs: Any) -> tuple[str, int]:
            token, expires = mint(*args, **kwargs)
            minted.append(token)
            return token, expires

        srv.tokens.mint = counting_mint  # type: ignore[method-assign]
        async with app_origin(srv) as backend:
            assert backend.origin != srv.base_url  # another port: another origin
            log = tmp_path / "chromium.log"
            profile = tmp_path / "profile"
            async with chromium(binary, backend.origin + "/", profile, log, mic_wav):
                steps = await backend.collect(log, RUN_TIMEOUT_S)
        open_calls = set(srv.calls)

    # 1. The page could not mint, neither with a preflighted request nor a simple one.
    attempts = steps["mint"]
    assert attempts["preflighted"]["blocked"], attempts
    assert attempts["simple"]["blocked"], attempts
    # Only the backend's four tokens exist: the refused preflight kept the POST from the server.
    assert len(minted) == 4
    assert all(token.startswith("ek_") for token in minted)

    # 2. WebRTC: 201, a readable Location (exposed by CORS), an SDP answer.
    calls = steps["calls"]
    assert calls["status"] == 201, calls
    assert re.fullmatch(r"/v1/realtime/calls/rtc_\w+", calls["location"] or ""), calls
    assert calls["answer_is_sdp"]
    channel = steps["channel"]
    assert channel["label"] == "oai-events"
    assert channel["session_created"]["type"] == "realtime"
    assert channel["session_created"]["model"] == "gpt-realtime"
    # The call took its session from the ek_ token the backend minted.
    assert channel["session_created"]["audio"]["input"]["turn_detection"] is None
    assert steps["update"]["session"]["instructions"] == "Be brief."
    turn = steps["turn"]
    assert turn["response"]["status"] == "completed", turn["response"]
    spoken = json.dumps(turn["response"]["output"])
    assert "hello browser" in spoken  # the echo responder said back what the page typed
    assert turn["types"].index("response.created") < turn["types"].index("response.done")
    assert {"output_audio_buffer.started", "output_audio_buffer.stopped"} <= set(turn["types"])
    assert turn["remote_track"] == "audio"
    inbound = turn["inbound"]
    assert inbound is not None and inbound["packets"] > 0, turn
    assert inbound["energy"] > 0, inbound  # Chromium decoded audible Opus, not silence
    # ... and the server decoded the browser's Opus: VAD and speech recognition heard the mic.
    mic = steps["mic"]
    assert mic["speech_started"], mic
    assert MIC_PHRASE in mic["transcripts"], mic

    # Hung up cross-origin at Location + /hangup; the server closed the call.
    assert steps["hangup"] == {"step": "hangup", "status": 200, "channel": "closed"}
    assert calls["location"].rsplit("/", 1)[1] not in open_calls

    # Beta WebRTC (POST /v1/realtime?model=) speaks the beta dialect on the data channel.
    beta_rtc = steps["beta_webrtc"]
    assert beta_rtc["http"]["status"] == 201, beta_rtc
    assert beta_rtc["http"]["answer_is_sdp"]
    assert beta_rtc["session_created"]["model"] == BETA_MODEL
    assert "modalities" in beta_rtc["session_created"]  # beta shape (GA says output_modalities)
    assert beta_rtc["response_done"]["response"]["status"] == "completed", beta_rtc
    assert "response.text.delta" in beta_rtc["types"]  # beta event names on the channel
    # real beta WebRTC sessions announce no conversation (beta WebSocket ones do)
    assert "conversation.created" not in beta_rtc["types"]

    # 3. Browser WebSockets: key in a subprotocol, "realtime" selected, beta by subprotocol.
    ws = steps["websocket"]
    assert ws["protocol"] == "realtime"
    assert ws["session_created"]["type"] == "realtime"
    beta_ws = steps["beta_websocket"]
    assert beta_ws["protocol"] == "realtime"
    assert beta_ws["session_created"]["model"] == BETA_MODEL
    assert "modalities" in beta_ws["session_created"]
    assert "type" not in beta_ws["session_created"]
