"""Headless Chromium does OpenAI's browser WebRTC quickstart against the local server.

The same harness runs through ``voicechat proxy`` in issue 12's acceptance test; here it is
checked on its own: the call connects over ICE on 127.0.0.1, audio flows both ways (the
server's reply is decoded with energy by Chromium; the fake mic's speech is transcribed by the
server), and the server's events arrive on the ``oai-events`` data channel.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.browser.client import HEARING, browser_call
from tests.helpers import local_server
from tests.speech import TEST_PHRASES, speech_wav

KEY = "sk-browser-test-0123456789"
PHRASE = TEST_PHRASES[0]


async def test_browser_quickstart_call_against_the_local_server(tmp_path: Path) -> None:
    mic = speech_wav(tmp_path / "mic.wav", [PHRASE], rate=48000, tail_s=1.5)
    async with local_server(api_key=KEY, asr_phrases=TEST_PHRASES) as srv:
        call = await browser_call(srv.base_url, api_key=KEY, workdir=tmp_path / "chromium",
                                  session=HEARING, mic_wav=mic, await_transcript=PHRASE)

    assert call.steps["calls"]["status"] == 201
    assert re.fullmatch(r"/v1/realtime/calls/rtc_\w+", call.location), call.location
    assert call.steps["calls"]["answer_is_sdp"]
    connected = call.steps["connected"]
    assert connected["label"] == "oai-events"
    assert connected["ice"] in ("connected", "completed")
    # The server offers only 127.0.0.1; ICE paired with it.
    assert call.steps["done"]["pair"]["remote"]["address"] == "127.0.0.1"

    types = call.types
    assert types[0] == "session.created"
    assert types.index("response.created") < types.index("response.done")
    done = call.steps["done"]
    assert done["response"]["status"] == "completed", done["response"]
    assert "hello browser" in str(done["response"]["output"])  # the echo responder's reply
    assert {"output_audio_buffer.started", "output_audio_buffer.stopped"} <= set(types)
    # Audio flowed to the browser (decoded, audible) and from it (the server heard the phrase).
    assert done["remote_track"] == "audio"
    assert done["inbound"]["packets"] > 0 and done["inbound"]["energy"] > 0, done["inbound"]
    assert done["outbound"]["packets"] > 0, done["outbound"]
    assert "input_audio_buffer.speech_started" in types
    assert PHRASE in done["heard"]
