"""Whether and where traces go: the standard ``OTEL_*`` variables, else the config file.

Why the standard variables first: a team that runs a collector already exports
``OTEL_EXPORTER_OTLP_ENDPOINT`` (and its headers) for every service, and voicechat should join
that setup without a word of its own. The config keys (``otel_endpoint``, ``otel_protocol``,
``otel_content``) are for a user who wants traces from voicechat alone. As everywhere in
voicechat, the environment beats the file.

What is read here is only what picks the exporter: the endpoint, the protocol, the service
name, ``OTEL_SDK_DISABLED`` / ``OTEL_TRACES_EXPORTER=none`` and the content opt-in. The rest
(``OTEL_EXPORTER_OTLP_HEADERS``, ``..._TIMEOUT``, ``..._COMPRESSION``, certificates,
``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_TRACES_SAMPLER``, ``OTEL_BSP_*``) the SDK reads itself.

No SDK import here: this runs on every start, with or without the ``otel`` extra.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

Protocol_ = Literal["http/protobuf", "grpc"]
PROTOCOLS: tuple[Protocol_, ...] = ("http/protobuf", "grpc")
DEFAULT_SERVICE_NAME = "voicechat"
#: The GenAI instrumentations' opt-in for message content (true/false, or the newer
#: NO_CONTENT / SPAN_ONLY / EVENT_ONLY / SPAN_AND_EVENT); only spans are written here.
CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
_CONTENT_ON = frozenset({"1", "true", "yes", "on", "span_only", "span_and_event"})
_CONTENT_OFF = frozenset({"", "0", "false", "no", "off", "no_content", "event_only"})
_TRACES_PATH = "v1/traces"


class TelemetrySettingsError(ValueError):
    """A telemetry setting is wrong; the message names where it came from and the fix."""


class OtelOptions(Protocol):
    """What :func:`read_settings` reads of voicechat's ``Settings`` (duck-typed, so the proxy
    and tests can pass any object with these three attributes)."""

    otel_endpoint: str | None
    otel_protocol: str | None
    otel_content: bool


@dataclass(frozen=True)
class TelemetrySettings:
    """Resolved: where spans go, how, under which service name, and whether content may."""

    endpoint: str  # the full traces URL (HTTP) or the collector address (gRPC)
    protocol: Protocol_
    service_name: str
    content: bool
    origin: str  # which variable or key gave the endpoint, for notices


def read_settings(options: OtelOptions | None, env: Mapping[str, str]) -> TelemetrySettings | None:
    """The settings, ``None`` when no endpoint is set or the SDK is disabled.

    Raises :class:`TelemetrySettingsError` for a protocol voicechat cannot export with or an
    endpoint that is not a URL, so a caller can stop before connecting (exit 2)."""
    if _true(env.get("OTEL_SDK_DISABLED")):
        return None
    exporters = [e.strip().lower() for e in env.get("OTEL_TRACES_EXPORTER", "").split(",")]
    if exporters == ["none"]:
        return None
    protocol = _protocol(options, env)
    traces_url = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
    base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
    configured = (options.otel_endpoint or "").strip() if options is not None else ""
    if traces_url:
        endpoint, origin = traces_url, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    elif base:
        endpoint, origin = _signal_url(base, protocol), "OTEL_EXPORTER_OTLP_ENDPOINT"
    elif configured:
        endpoint, origin = _signal_url(configured, protocol), "config key otel_endpoint"
    else:
        return None
    if protocol == "http/protobuf" and not endpoint.startswith(("http://", "https://")):
        raise TelemetrySettingsError(
            f"{origin}: {endpoint!r} is not an http(s) URL; give the collector's OTLP/HTTP "
            "address, e.g. http://localhost:4318")
    return TelemetrySettings(
        endpoint=endpoint, protocol=protocol,
        service_name=_service_name(env),
        content=_content(options, env), origin=origin)


def _protocol(options: OtelOptions | None, env: Mapping[str, str]) -> Protocol_:
    for name in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        value = env.get(name, "").strip().lower()
        if value:
            return _checked_protocol(value, f"environment variable {name}")
    value = ((options.otel_protocol or "") if options is not None else "").strip().lower()
    return _checked_protocol(value, "config key otel_protocol") if value else "http/protobuf"


def _checked_protocol(value: str, origin: str) -> Protocol_:
    for known in PROTOCOLS:
        if value == known:
            return known
    raise TelemetrySettingsError(
        f"{origin}: {value!r} is not a protocol voicechat exports with; use http/protobuf "
        "(the default) or grpc")


def _signal_url(base: str, protocol: Protocol_) -> str:
    """``OTEL_EXPORTER_OTLP_ENDPOINT`` is a base URL: OTLP/HTTP appends ``v1/traces`` (the
    spec's rule); gRPC takes the address as it is."""
    if protocol == "grpc" or base.rstrip("/").endswith("/" + _TRACES_PATH):
        return base
    return base.rstrip("/") + "/" + _TRACES_PATH


def _content(options: OtelOptions | None, env: Mapping[str, str]) -> bool:
    value = env.get(CONTENT_ENV)
    if value is not None and value.strip().lower() in _CONTENT_ON | _CONTENT_OFF:
        return value.strip().lower() in _CONTENT_ON
    return bool(options.otel_content) if options is not None else False


def _service_name(env: Mapping[str, str]) -> str:
    """``OTEL_SERVICE_NAME``, else ``service.name`` in ``OTEL_RESOURCE_ATTRIBUTES`` (the
    spec's order), else ``voicechat`` rather than the SDK's ``unknown_service``."""
    named = env.get("OTEL_SERVICE_NAME", "").strip()
    if named:
        return named
    for pair in env.get("OTEL_RESOURCE_ATTRIBUTES", "").split(","):
        key, _, value = pair.partition("=")
        if key.strip() == "service.name" and value.strip():
            return value.strip()
    return DEFAULT_SERVICE_NAME


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")
