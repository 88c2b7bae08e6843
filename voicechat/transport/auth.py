"""Where to connect and with which credential, for the four targets of issue #5.

- OpenAI GA: key ``POST /v1/realtime/client_secrets`` (``value``); SDP ``POST /v1/realtime/calls``;
  WebSocket ``/v1/realtime?model=M``.
- OpenAI beta: key ``POST /v1/realtime/sessions`` (``client_secret.value``); SDP
  ``POST /v1/realtime?model=M``; WebSocket the same path with ``OpenAI-Beta: realtime=v1``.
- Azure GA (``api-key`` header): key ``POST /openai/v1/realtime/client_secrets``; SDP
  ``POST /openai/v1/realtime/calls``; WebSocket ``/openai/v1/realtime?model=DEPLOYMENT``.
- Azure preview: key ``POST /openai/realtimeapi/sessions?api-version=V``; SDP
  ``POST https://REGION.realtimeapi-preview.ai.azure.com/v1/realtimertc?model=DEPLOYMENT``;
  WebSocket ``/openai/realtime?api-version=V&deployment=DEPLOYMENT``.

Keys are minted *just before* connecting because beta keys live one minute. WebSocket connections
use the long-lived key directly (what the official SDK does server-side); WebRTC always uses an
ephemeral key, as the browser flow does. No function here logs, formats or raises with a key in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp

from voicechat.config import DEFAULT_CONNECT_TIMEOUT_S, EXTRA_PROVIDERS, OPENAI_BASE, Settings
from voicechat.protocol.providers import PROFILES, Profile


class AuthError(Exception):
    """The key was refused or minting failed; the message says what to check (never the key)."""


class ConnectError(Exception):
    """The server could not be reached or answered with something unusable."""


class Unauthorized(ConnectError):
    """HTTP 401 while connecting (the ephemeral key expired or was refused)."""


class SignallingMissing(ConnectError):
    """WebRTC's signalling is not there (404/405, an HTML page, an answer that is not SDP or
    JSON): a gateway that relays only the WebSocket. The runtime falls back to WebSocket."""


class Refused(ConnectError):
    """A refusal said in plain words, with its ``fix``; ``lasting``: a retry will not help."""

    def __init__(self, message: str, fix: str, *, lasting: bool = True) -> None:
        super().__init__(message)
        self.fix = fix
        self.lasting = lasting


def signalling_missing(status: int, content_type: str, text: str, url: str,
                       what: str) -> SignallingMissing | None:
    """The error to raise when an answer to a WebRTC signalling request says the route is not
    there (the rule from the gateways' answers: 404/405, ``text/html``, a 2xx that is neither
    SDP nor JSON); ``None`` for an answer to judge otherwise (401/403 are never a reason to
    fall back: they are about the key)."""
    html = "html" in content_type.lower() or text.lstrip()[:15].lower().startswith(
        ("<!doctype", "<html"))
    if status in (404, 405) or (status < 400 and html):
        shown = "an HTML page" if html else server_message(text)
        return SignallingMissing(f"HTTP {status} from {redact_url(url)} for {what}: {shown}")
    return None


@dataclass(frozen=True)
class Endpoint:
    """One Realtime endpoint: provider, dialect, base URL, model/deployment."""

    provider: str  # openai | azure | local
    dialect: str  # ga | beta
    base_url: str  # http(s)://host[:port] with no trailing slash
    model: str
    api_key: str | None = field(default=None, repr=False)
    azure_api_version: str = "2025-04-01-preview"
    azure_webrtc_url: str | None = None  # preview only: https://<region>.realtimeapi-preview.ai.azure.com
    transcription: bool = False  # a transcription-only session (--mode transcribe)
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S  # each connection step, seconds
    #: the provider's profile: for xAI and Voice Live it gives the WebSocket's path and query
    #: and how the key travels (OpenAI and Azure OpenAI keep the rules above)
    profile: Profile = PROFILES["openai"]

    @property
    def azure(self) -> bool:
        return self.provider == "azure"

    @property
    def profiled(self) -> bool:
        """Whether the profile, not the OpenAI/Azure rules, shapes the URL and the key."""
        return self.profile.name in EXTRA_PROVIDERS

    @property
    def key_variable(self) -> str:
        """The environment variable an error about the key should name."""
        if self.profiled:
            return " or ".join(self.profile.key_env)
        return "AZURE_OPENAI_API_KEY" if self.azure else "OPENAI_API_KEY"

    # --- URLs -----------------------------------------------------------------------------------

    def secret_url(self) -> str:
        if self.azure and self.dialect == "ga":
            return f"{self.base_url}/openai/v1/realtime/client_secrets"
        if self.azure:
            query = urlencode({"api-version": self.azure_api_version})
            return f"{self.base_url}/openai/realtimeapi/sessions?{query}"
        if self.dialect == "ga":
            return f"{self.base_url}/v1/realtime/client_secrets"
        if self.transcription:
            return f"{self.base_url}/v1/realtime/transcription_sessions"
        return f"{self.base_url}/v1/realtime/sessions"

    def sdp_url(self) -> str:
        if self.azure and self.dialect == "ga":
            return f"{self.base_url}/openai/v1/realtime/calls"
        if self.azure:
            rtc_base = self.azure_webrtc_url or self.base_url
            return f"{rtc_base.rstrip('/')}/v1/realtimertc?{urlencode({'model': self.model})}"
        if self.dialect == "ga":
            return f"{self.base_url}/v1/realtime/calls"
        return f"{self.base_url}/v1/realtime?{urlencode({'model': self.model})}"

    def ws_url(self) -> str:
        ws_base = "ws" + self.base_url[len("http"):] if self.base_url.startswith("http") else (
            self.base_url
        )
        intent = {"intent": "transcription"} if self.transcription else {}
        if self.profiled:
            query = {**dict(self.profile.ws_query), self.profile.model_param: self.model, **intent}
            return f"{ws_base}{self.profile.ws_path}?{urlencode(query)}"
        if self.azure and self.dialect == "ga":
            return f"{ws_base}/openai/v1/realtime?{urlencode({'model': self.model, **intent})}"
        if self.azure:
            query = urlencode(
                {"api-version": self.azure_api_version, "deployment": self.model, **intent}
            )
            return f"{ws_base}/openai/realtime?{query}"
        return f"{ws_base}/v1/realtime?{urlencode({'model': self.model, **intent})}"

    # --- headers --------------------------------------------------------------------------------

    def key_headers(self) -> dict[str, str]:
        """Headers carrying the long-lived key (minting, and WebSocket connections)."""
        headers: dict[str, str] = {}
        key = self.api_key or "local-demo"
        if self.azure or self.profile.uses_api_key_header():
            headers["api-key"] = key
        else:
            headers["Authorization"] = f"Bearer {key}"
        if self.dialect == "beta" and not self.azure and not self.profiled:
            headers["OpenAI-Beta"] = "realtime=v1"
        return headers

    def secret_body(self, session: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON body of the mint request: GA wraps a typed session, beta is flat.

        A transcription session's type is fixed when it is created (the server refuses to turn a
        realtime session into one later), so ``--mode transcribe`` asks for it here.
        """
        if self.transcription:
            return {"session": {"type": "transcription"}} if self.dialect == "ga" else {}
        if self.dialect == "ga":
            body_session: dict[str, Any] = {"type": "realtime", "model": self.model}
            if session:
                body_session.update(session)
            return {"session": body_session}
        body: dict[str, Any] = {"model": self.model}
        if session:
            body.update(session)
        return body


def endpoint_for(settings: Settings, local_base_url: str | None = None) -> Endpoint:
    """The endpoint the settings point at (``local_base_url`` = the embedded server's URL)."""
    transcription = settings.mode == "transcribe"
    profile = PROFILES.get(settings.provider, PROFILES["openai"])
    if settings.server == "local":
        if local_base_url is None:
            raise ValueError("the embedded server's URL is needed for --server local")
        return Endpoint("local", settings.dialect, local_base_url.rstrip("/"), settings.model,
                        transcription=transcription, connect_timeout=settings.connect_timeout,
                        profile=profile)
    if settings.provider in EXTRA_PROVIDERS:
        base = settings.server.rstrip("/")
        return Endpoint(settings.provider, settings.dialect, base.removesuffix("/v1"),
                        settings.model, api_key=settings.api_key, transcription=transcription,
                        connect_timeout=settings.connect_timeout, profile=profile)
    if settings.server == "azure":
        assert settings.azure_endpoint is not None
        webrtc = settings.azure_webrtc_url
        if webrtc is None and settings.azure_region:
            webrtc = f"https://{settings.azure_region}.realtimeapi-preview.ai.azure.com"
        return Endpoint(
            "azure",
            settings.dialect,
            settings.azure_endpoint.rstrip("/"),
            settings.model,
            api_key=settings.api_key,
            azure_api_version=settings.azure_api_version,
            azure_webrtc_url=webrtc,
            transcription=transcription,
            connect_timeout=settings.connect_timeout,
        )
    base = OPENAI_BASE if settings.server == "openai" else settings.server.rstrip("/")
    if base.endswith("/v1"):
        base = base[: -len("/v1")]
    return Endpoint("openai", settings.dialect, base, settings.model, api_key=settings.api_key,
                    transcription=transcription, connect_timeout=settings.connect_timeout)


def extract_secret(payload: Any, dialect: str) -> str:
    """The ephemeral key in a mint response (GA ``value``; beta ``client_secret.value``)."""
    if isinstance(payload, dict):
        if isinstance(payload.get("value"), str):
            return str(payload["value"])
        secret = payload.get("client_secret")
        if isinstance(secret, dict) and isinstance(secret.get("value"), str):
            return str(secret["value"])
        if isinstance(secret, str):
            return secret
    raise ConnectError(
        f"the {dialect} key-minting endpoint answered without a client secret; "
        "is --dialect right for this server?"
    )


async def mint_ephemeral_key(
    http: aiohttp.ClientSession, endpoint: Endpoint, session: dict[str, Any] | None = None
) -> str:
    """Ask the server for a short-lived client key (returned, never logged)."""
    url = endpoint.secret_url()
    headers = {**endpoint.key_headers(), "Content-Type": "application/json"}
    try:
        async with (
            answered_within(url, endpoint.connect_timeout, "minting a session key"),
            http.post(url, data=json.dumps(endpoint.secret_body(session)),
                      headers=headers) as resp,
        ):
            text = await resp.text()
            missing = signalling_missing(resp.status, resp.content_type, text, url,
                                         "minting a session key")
            if missing is not None:
                raise missing
            if resp.status == 401:
                raise AuthError(
                    f"the server refused the API key (401) when minting a session key; "
                    f"check {endpoint.key_variable}"
                )
            if resp.status >= 400:
                raise ConnectError(
                    f"minting a session key failed: HTTP {resp.status} from {redact_url(url)}: "
                    f"{server_message(text)}"
                )
    except aiohttp.ClientError as exc:
        raise ConnectError(f"cannot reach {redact_url(url)}: {reason(exc)}") from exc
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SignallingMissing(f"minting a session key: {redact_url(url)} did not answer JSON "
                                f"(HTTP {resp.status})") from exc
    return extract_secret(payload, endpoint.dialect)


def reason(exc: BaseException) -> str:
    """An exception's message, or its kind when it has none (aiohttp's timeouts have none)."""
    return str(exc).strip() or type(exc).__name__


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: what a timeout names (never a path or a query)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}" if parts.netloc else url


@contextlib.asynccontextmanager
async def answered_within(url: str, seconds: float, what: str) -> AsyncIterator[None]:
    """Bound one connection step (connect, send, read the answer) to ``seconds``.

    aiohttp's own default is five minutes and its timeout error has an empty message, so a
    server that accepts TCP and never answers would hang the client and then explain nothing:
    the :class:`ConnectError` names the server, the wait and the step.
    """
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError as exc:
        raise ConnectError(
            f"{what}: no answer from {origin(url)} within {seconds:g} s (is it a Realtime server? "
            "a slow one needs a longer connect_timeout)"
        ) from exc


def server_message(body: str) -> str:
    """The ``error.message`` of an OpenAI-style error body, else a short excerpt."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        return body.strip()[:200] or "(empty body)"
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return str(data["error"].get("message", ""))[:300]
    return body.strip()[:200]


def redact_url(url: str) -> str:
    """URLs we build never carry keys, but strip any query value named like one anyway."""
    if "key" not in url.lower():
        return url
    base, _, query = url.partition("?")
    parts = [p if "key" not in p.split("=")[0].lower() else p.split("=")[0] + "=***"
             for p in query.split("&")]
    return base + "?" + "&".join(parts)


async def connect_with_fresh_key(
    mint: Any, connect: Any, notice: Any
) -> Any:
    """Mint a key, connect with it; on 401 mint once more (and say so), then give up clearly.

    ``mint()`` returns a key, ``connect(key)`` raises :class:`Unauthorized` on 401, ``notice(level,
    message)`` reports what happened. Kept generic so WebRTC and WebSocket share the rule.
    """
    key = await mint()
    try:
        return await connect(key)
    except Unauthorized:
        notice("warning", "the server refused the session key (401); minting a new one and "
                          "retrying once")
    key = await mint()
    try:
        return await connect(key)
    except Unauthorized as exc:
        raise AuthError(
            "the server refused a freshly minted session key twice (401); check the API key, "
            "the model/deployment name and the system clock"
        ) from exc
