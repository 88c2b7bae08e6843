"""A browser Realtime client for tests: headless Chromium doing OpenAI's WebRTC quickstart.

:func:`browser_call` serves ``quickstart.html`` from a small aiohttp "app backend" on
127.0.0.1 (its own origin, as a real web app has), which mints an ``ek_`` key at
``{base}/v1/realtime/client_secrets`` with the real key and hands the page ``base``; the page
calls ``{base}/v1/realtime/calls`` itself. ``base`` is the local server, or ``voicechat proxy``
in front of it (issue 12's acceptance test). The page reports every step back; a failure raises
an ``AssertionError`` that names the step, what the page saw (ICE state and candidates) and the
tail of Chromium's log, so a browser that cannot do WebRTC here fails loudly, never silently.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from tests.browser.chromium import WEBRTC_FLAGS, chromium, find_chromium
from tests.browser.origin import PageOrigin
from tests.conftest import require_or_skip

PAGE = Path(__file__).parent / "quickstart.html"
#: Server VAD off: Chromium's fake mic must not start turns during the typed one.
QUIET_SESSION: dict[str, Any] = {"type": "realtime",
                                 "audio": {"input": {"turn_detection": None}}}
#: Server VAD that transcribes what the mic says but starts no responses (the typed turn does).
HEARING: dict[str, Any] = {"type": "realtime", "audio": {"input": {
    "transcription": {"model": "whisper-1"},
    "turn_detection": {"type": "server_vad", "create_response": False,
                       "interrupt_response": False}}}}
RUN_TIMEOUT_S = 120.0


@dataclass
class BrowserCall:
    """What the page reported, step by step (``calls``, ``connected``, ``done``)."""

    steps: dict[str, dict[str, Any]]

    @property
    def location(self) -> str:
        return str(self.steps["calls"]["location"])

    @property
    def call_id(self) -> str:
        return self.location.rstrip("/").rsplit("/", 1)[-1]

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event the page received on the ``oai-events`` data channel, in order."""
        return list(self.steps["done"]["events"])

    @property
    def types(self) -> list[str]:
        return [str(e.get("type")) for e in self.events]


def quickstart_origin(base: str, api_key: str, session: dict[str, Any], say: str,
                      hang_up: bool, await_transcript: str | None) -> PageOrigin:
    """The quickstart page's origin: it mints ``ek_`` keys at ``base`` with ``api_key``."""

    async def mint(request: web.Request) -> web.Response:
        async with aiohttp.ClientSession() as http, http.post(
            f"{base}/v1/realtime/client_secrets", json={"session": session},
            headers={"Authorization": f"Bearer {api_key}"},
        ) as resp:
            data = await resp.json(content_type=None)
            status = resp.status
        if status != 200 or not isinstance(data, dict) or "value" not in data:
            return web.json_response({"error": data, "status": status}, status=502)
        return web.json_response({"value": data["value"]})

    config = {"base": base, "say": say, "hang_up": hang_up, "await_transcript": await_transcript}
    return PageOrigin(PAGE, config, mint)


@contextlib.asynccontextmanager
async def open_browser_call(
    base: str, *, api_key: str, workdir: Path, session: dict[str, Any] | None = None,
    say: str = "hello browser", mic_wav: Path | None = None,
    flags: Iterable[str] = WEBRTC_FLAGS, hang_up: bool = False,
    await_transcript: str | None = None, timeout: float = RUN_TIMEOUT_S,
) -> AsyncIterator[BrowserCall]:
    """Run the quickstart in headless Chromium against ``base``; yields what the page saw once
    its turn is done, with Chromium (and, unless ``hang_up``, the call) still alive.

    ``mic_wav`` is what the fake mic says (looped); with ``await_transcript`` (that phrase) the
    page also waits until the server has transcribed it whole (the session must have VAD and
    transcription on: :data:`HEARING`); ``steps["done"]["heard"]`` lists the transcripts.
    Chromium missing: a skip on a developer's machine, a failure under CI (scripts/setup.sh
    installs it).
    """
    binary = find_chromium()
    require_or_skip(binary is not None, "Chromium is not installed (apt-get install chromium)")
    assert binary is not None
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "chromium.log"
    async with quickstart_origin(base, api_key, session or QUIET_SESSION, say, hang_up,
                                 await_transcript) as origin, \
            chromium(binary, origin.origin + "/", workdir / "profile", log, mic_wav,
                     flags=flags):
        yield BrowserCall(await origin.collect(log, timeout))


async def browser_call(base: str, **options: Any) -> BrowserCall:
    """:func:`open_browser_call`, hanging up and closing Chromium before returning."""
    options.setdefault("hang_up", True)
    async with open_browser_call(base, **options) as call:
        return call
