"""Issue 12's acceptance test: a browser client in headless Chromium doing WebRTC through
``voicechat proxy``, its call watched via the sideband.

The browser only changes its base URL to the proxy's: its backend mints the ``ek_`` key through
the proxy, the page POSTs its SDP offer to the proxy, and media flows straight between Chromium
and the server (the proxy carries HTTP only). The proxy attaches to the call's sideband on its
own; its ``--no-ui`` lines must show the call's events: the typed turn's response and the fake
mic's speech transcribed. ``voicechat watch CALL_ID --no-ui`` does the same for a call the
browser made straight to the server.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.browser.client import HEARING, open_browser_call
from tests.browser.commands import command
from tests.helpers import local_server
from tests.speech import TEST_PHRASES, speech_wav

KEY = "sk-browser-test-0123456789"
PHRASE = TEST_PHRASES[0]


async def test_browser_webrtc_through_the_proxy_watched_via_the_sideband(tmp_path: Path) -> None:
    mic = speech_wav(tmp_path / "mic.wav", [PHRASE], rate=48000, tail_s=1.5)
    async with local_server(api_key=KEY, asr_phrases=TEST_PHRASES) as srv, command(
        "proxy", "--listen", "127.0.0.1:0", "--upstream", srv.base_url, "--no-ui",
    ) as proxy:
        ready = await proxy.wait_for(r"voicechat proxy ready: http://127\.0\.0\.1:\d+",
                                     "the proxy to say where it listens")
        base = re.search(r"http://127\.0\.0\.1:\d+", ready)
        assert base is not None
        async with open_browser_call(base.group(0), api_key=KEY, workdir=tmp_path / "chromium",
                                     session=HEARING, mic_wav=mic,
                                     await_transcript=PHRASE) as call:
            call_id = call.call_id
            assert call.steps["calls"]["status"] == 201
            assert call.location == f"/v1/realtime/calls/{call_id}"
            assert srv.find_call(call_id) is not None  # the proxy created it upstream
            done = call.steps["done"]
            assert done["response"]["status"] == "completed"
            assert done["inbound"]["energy"] > 0 and done["outbound"]["packets"] > 0
            assert PHRASE in done["heard"]
            # The proxy's sideband shows the same call: its session, the turn, the mic.
            tag = re.escape(f"[call {call_id}]")
            await proxy.wait_for(rf"{tag} .*response\.done", "the sideband's response.done")
            await proxy.wait_for(rf"{tag} .*transcription\.completed.*{re.escape(PHRASE)}",
                                 "the mic's phrase transcribed, via the sideband")
    # The browser's own HTTP went through the proxy: the key mint and the SDP exchange.
    assert proxy.matching(r"/v1/realtime/client_secrets"), proxy.text()
    assert proxy.matching(r"/v1/realtime/calls\b.*201"), proxy.text()
    assert KEY not in proxy.text()


async def test_voicechat_watch_shows_a_browser_call(tmp_path: Path) -> None:
    mic = speech_wav(tmp_path / "mic.wav", [PHRASE], rate=48000, tail_s=1.5)
    async with local_server(api_key=KEY, asr_phrases=TEST_PHRASES) as srv:
        async with open_browser_call(srv.base_url, api_key=KEY, workdir=tmp_path / "chromium",
                                     session=HEARING, mic_wav=mic) as call:
            assert call.steps["done"]["response"]["status"] == "completed"
            # The call stays open and the fake mic keeps speaking: what watch attaches to.
            async with command("watch", call.call_id, "--server", srv.base_url, "--no-ui",
                               env={"OPENAI_API_KEY": KEY}, open_stdin=True) as watch:
                tag = re.escape(f"[call {call.call_id}]")
                await watch.wait_for(rf"{tag} .*speech_started", "speech_started via watch")
                await watch.wait_for(rf"{tag} .*transcription\.completed.*{re.escape(PHRASE)}",
                                     "the mic's phrase transcribed, via watch", timeout=60)
        assert KEY not in watch.text()
