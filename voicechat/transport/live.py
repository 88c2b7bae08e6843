"""GPT-Live (``/v1/live/sessions``) over the project's two transports.

What differs from Realtime is small at this layer, so the Realtime transports are reused and
only these change (reference §1.1, §1.2, §3.5):

* the URL: ``wss://…/v1/live/sessions`` with **no query** (the model goes in ``session.start``);
  Azure ``wss://<resource>.openai.azure.com/openai/v1/live/sessions`` with the ``api-key``
  header, as for Realtime (decided: the published path, not the repo copy's ``/openai/v1/live``;
  no ``api-version``, which one client reports working without);
* the audio events: ``session.input_audio.append`` up, ``session.output_audio.delta`` down
  (PCM16 24 kHz, the session's default format, which the core leaves unset);
* WebRTC: **one JSON POST** ``{"session": <config>, "transport": {"type": "webrtc", "sdp":
  offer}}`` answered ``201`` with ``{"session": {"id"}, "transport": {"sdp": answer}}``. There
  are no ephemeral keys for GPT-Live, so the long-lived key goes in the POST's headers (the
  client is the trusted side here, a terminal app, not a browser). The POST starts the session:
  nothing is sent on the data channel until ``session.started`` arrives there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import aiohttp

from voicechat.transport.auth import (
    AuthError,
    ConnectError,
    Endpoint,
    answered_within,
    reason,
    redact_url,
    server_message,
)
from voicechat.transport.base import TransportCallbacks
from voicechat.transport.webrtc import WebRtcTransport
from voicechat.transport.websocket import WebSocketTransport

LIVE_PATH = "/v1/live/sessions"
AZURE_LIVE_PATH = "/openai/v1/live/sessions"


def live_sessions_url(endpoint: Endpoint) -> str:
    """``https://…/v1/live/sessions`` (Azure: ``…/openai/v1/live/sessions``): the WebRTC
    create's URL; the WebSocket's is the same with ``ws(s)``."""
    path = AZURE_LIVE_PATH if endpoint.azure else LIVE_PATH
    return f"{endpoint.base_url}{path}"


def live_ws_url(endpoint: Endpoint) -> str:
    url = live_sessions_url(endpoint)
    return "ws" + url[len("http"):] if url.startswith("http") else url


def live_headers(endpoint: Endpoint) -> dict[str, str]:
    """The key headers without Realtime's beta header (GPT-Live has one dialect)."""
    headers = endpoint.key_headers()
    headers.pop("OpenAI-Beta", None)
    return headers


class LiveWebSocketTransport(WebSocketTransport):
    """The primary WebSocket: JSON events both ways, audio as base64 PCM16 24 kHz."""

    audio_deltas = frozenset({"session.output_audio.delta"})
    append_type = "session.input_audio.append"

    def url(self) -> str:
        return live_ws_url(self.endpoint)

    async def connect(self) -> None:
        # the same handshake as Realtime, with GPT-Live's headers (no OpenAI-Beta)
        self.endpoint = _without_beta(self.endpoint)
        await super().connect()


class LiveWebRtcTransport(WebRtcTransport):
    """aiortc with the ``oai-events`` channel; the session is created (and started) by one
    JSON POST carrying the offer."""

    def __init__(
        self, endpoint: Endpoint, callbacks: TransportCallbacks, session: Mapping[str, Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(_without_beta(endpoint), callbacks, **kwargs)
        self.session_config = dict(session)
        self.session_id: str | None = None

    def offer_url(self) -> str:
        return live_sessions_url(self.endpoint)

    async def exchange_sdp(self, offer_sdp: str) -> str:
        url = live_sessions_url(self.endpoint)
        body = {"session": self.session_config,
                "transport": {"type": "webrtc", "sdp": offer_sdp}}
        headers = {**live_headers(self.endpoint), "Content-Type": "application/json"}
        try:
            async with (
                aiohttp.ClientSession() as http,
                answered_within(url, self.endpoint.connect_timeout, "creating the session"),
                http.post(url, data=json.dumps(body), headers=headers) as resp,
            ):
                text = await resp.text()
                status = resp.status
        except aiohttp.ClientError as exc:
            raise ConnectError(f"cannot reach {redact_url(url)}: {reason(exc)}") from exc
        if status == 401:
            what = "AZURE_OPENAI_API_KEY" if self.endpoint.azure else "OPENAI_API_KEY"
            raise AuthError(f"the server refused the API key (401); check {what}")
        if status != 201:
            raise ConnectError(f"the GPT-Live session create was refused: HTTP {status} from "
                               f"{redact_url(url)}: {server_message(text)}")
        return self._read_answer(text, url)

    def _read_answer(self, text: str, url: str) -> str:
        try:
            reply = json.loads(text)
            sdp = reply["transport"]["sdp"]
            session_id = reply["session"]["id"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ConnectError(f"the GPT-Live session create at {redact_url(url)} answered 201 "
                               "without transport.sdp and session.id") from exc
        if not isinstance(sdp, str):
            raise ConnectError("the GPT-Live session create answered a non-string SDP")
        self.session_id = self.call_id = str(session_id)
        return sdp


def _without_beta(endpoint: Endpoint) -> Endpoint:
    """GPT-Live has no beta dialect: never send Realtime's ``OpenAI-Beta`` header."""
    if endpoint.dialect == "ga":
        return endpoint
    from dataclasses import replace

    return replace(endpoint, dialect="ga")
