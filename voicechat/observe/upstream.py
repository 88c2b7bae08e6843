"""Which Realtime server the proxy forwards to and ``watch`` attaches to, from a short name.

``openai``, ``azure``, ``xai``, ``voice-live`` and ``gemini`` are the hosted services (the
provider profiles); anything else must be a URL (our local server, ``voicechat serve``, or a
corporate gateway). Azure has no fixed host, so ``azure`` reads the endpoint
from ``AZURE_OPENAI_ENDPOINT`` like the chat client does; the key variable is named so the
commands can say which one is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from voicechat.protocol.providers import AZURE, NAMES, OPENAI, PROFILES

OPENAI_BASE = "https://api.openai.com"
#: Every value ``--upstream``/``--server`` takes, as its errors list them.
CHOICES = f"{', '.join(NAMES)}, or a URL such as http://127.0.0.1:8765"


class UpstreamError(ValueError):
    """The ``--upstream``/``--server`` value names no usable server; the message says why."""


@dataclass(frozen=True, slots=True)
class Upstream:
    """A Realtime server: ``base`` is scheme://host[:port] with no path and no trailing slash."""

    base: str
    azure: bool
    key_env: str | None  # the variable holding its API key (None: our keyless local server)
    #: the provider named on the command line (``xai``, ``voice-live``, ``gemini``), if any
    provider: str | None = None

    def http_url(self, path_qs: str) -> str:
        return self.base + path_qs

    def ws_url(self, path_qs: str) -> str:
        """The WebSocket URL of ``path_qs`` (``http`` → ``ws``, ``https`` → ``wss``)."""
        scheme, rest = self.base.split("://", 1)
        return ("wss" if scheme == "https" else "ws") + "://" + rest + path_qs

    def sideband_path(self, call_id: str) -> str:
        """Where a call's sideband is: Azure serves the GA API under ``/openai/v1``."""
        prefix = "/openai/v1" if self.azure else "/v1"
        return f"{prefix}/realtime?call_id={call_id}"

    def live_sideband_path(self, session_id: str) -> str:
        """Where a GPT-Live session's sideband is (Azure: under ``/openai/v1/live/sessions``,
        the path its published docs and every third-party client use)."""
        prefix = "/openai/v1" if self.azure else "/v1"
        return f"{prefix}/live/sessions/{session_id}/attach"


def resolve_upstream(spec: str, env: Mapping[str, str]) -> Upstream:
    """``openai`` | ``azure`` | ``xai`` | ``voice-live`` | ``gemini`` |
    ``http(s)://host[:port]`` → :class:`Upstream`."""
    name = spec.strip()
    if name.lower() == "openai":
        return Upstream(OPENAI_BASE, azure=False, key_env="OPENAI_API_KEY")
    if name.lower() == "azure":
        endpoint = env.get("AZURE_OPENAI_ENDPOINT", "").strip()
        if not endpoint:
            raise UpstreamError(
                "azure needs an endpoint: set AZURE_OPENAI_ENDPOINT or pass the URL itself "
                "(https://NAME.openai.azure.com)"
            )
        return _from_url(endpoint, force_azure=True)
    profile = PROFILES.get(name.lower())
    if profile is not None and profile.name not in (OPENAI, AZURE):
        return _provider(profile.name, env)
    if name.lower() == "local":
        # (the chat client embeds the local server; the proxy and watch attach to a running one)
        raise UpstreamError("'local' is the chat client's embedded server; here the server must "
                            "be running already: start `voicechat serve` and pass its URL "
                            f"(http://127.0.0.1:8765 by default). Takes {CHOICES}")
    return _from_url(name, force_azure=False)


def _provider(name: str, env: Mapping[str, str]) -> Upstream:
    """``xai``, ``voice-live`` or ``gemini``: the profile's host (or the variable holding it,
    for Voice Live, whose every resource has its own) and its key variable."""
    profile = PROFILES[name]
    base = profile.base_url
    if profile.endpoint_env is not None:
        base = env.get(profile.endpoint_env, "").strip() or None
    if base is None:
        raise UpstreamError(f"{name} needs an endpoint: set {profile.endpoint_env} or pass the "
                            "URL itself (https://NAME.services.ai.azure.com)")
    found = _from_url(base, force_azure=False)
    return Upstream(found.base, azure=profile.azure, key_env=profile.key_env[0],
                    provider=name)


def _from_url(url: str, *, force_azure: bool) -> Upstream:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("ws", "wss"):
        scheme = "http" if scheme == "ws" else "https"
    if scheme not in ("http", "https") or not parts.netloc:
        raise UpstreamError(
            f"{url!r} is not a server: use {CHOICES}"
        )
    if parts.username or parts.password:
        raise UpstreamError("put no credentials in the server URL: the key travels in a header")
    host = (parts.hostname or "").lower()
    azure = force_azure or host.endswith((".openai.azure.com", ".cognitiveservices.azure.com"))
    openai = host == "api.openai.com"
    key_env = "AZURE_OPENAI_API_KEY" if azure else "OPENAI_API_KEY" if openai else None
    base = urlunsplit((scheme, parts.netloc, "", "", "")).rstrip("/")
    return Upstream(base, azure=azure, key_env=key_env)
