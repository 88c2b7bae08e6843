"""OpenTelemetry traces of every session: one trace, a span per turn, its stages, tools and
barge-ins, exported over OTLP to the collector a team already runs.

Why a package of its own: the client's runtime and ``voicechat proxy`` both export, from the
same record stream the event log holds, and the SDK is an optional extra (``voicechat[otel]``)
that must cost nothing when unused. So this module imports no SDK: :func:`start` reads the
settings, checks that the extra is installed, and only then loads the SDK side
(:mod:`voicechat.telemetry.export`). What a trace holds is decided without the SDK
(:mod:`voicechat.telemetry.spans`), from the turn timeline's figures (:mod:`voicechat.latency`).

The wiring, in full::

    started = telemetry.start(settings, on_notice=show)     # never raises
    if started.notice: show(started.notice)                 # e.g. the extra is missing
    tel = started.telemetry                                 # None: no export
    trace = tel.session("voicechat session", telemetry.session_attributes(...), time.time())
    trace.on_record(t, direction, event)                    # every record of the session
    trace.end(t)                                            # at the session's end
    tel.shutdown(2.0)                                       # bounded, at exit

Privacy: by default no attribute holds a transcript, a tool's arguments or result, or audio;
``otel_content = true`` (or ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``) adds the
words and tool payloads. Secrets are masked in every attribute, opted in or not.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

from voicechat.telemetry.settings import (
    OtelOptions,
    TelemetrySettings,
    TelemetrySettingsError,
    read_settings,
)

if TYPE_CHECKING:
    from voicechat.telemetry.export import Telemetry
    from voicechat.telemetry.trace import SessionTrace

#: How to get the SDK, named in the notice when it is missing.
INSTALL_COMMAND = "pip install 'voicechat[otel]'"
_SDK_MODULES = ("opentelemetry.trace", "opentelemetry.sdk.trace",
                "opentelemetry.sdk.trace.export", "opentelemetry.sdk.resources")
_EXPORTER_MODULES = {
    "http/protobuf": ("opentelemetry.exporter.otlp.proto.http.trace_exporter",),
    "grpc": ("opentelemetry.exporter.otlp.proto.grpc.trace_exporter",),
}


class Started(NamedTuple):
    """What :func:`start` gives: the running export (``None``: none), and a notice to show
    when export was asked for and could not start (``None``: nothing to say)."""

    telemetry: Telemetry | None
    notice: str | None


def start(options: OtelOptions | None = None, *, env: Mapping[str, str] | None = None,
          on_notice: Callable[[str], None] | None = None) -> Started:
    """Start trace export if the ``OTEL_*`` variables or the config keys ask for it.

    ``options``: voicechat's ``Settings`` (its ``otel_endpoint``, ``otel_protocol``,
    ``otel_content``) or ``None`` for the environment alone. ``on_notice`` receives later
    notices (a collector that cannot be reached), on the event loop that was running when
    ``start`` was called (else on the export thread). Never raises: a bad setting or a missing
    extra is the returned notice, and the session runs without traces."""
    try:
        settings = read_settings(options, os.environ if env is None else env)
    except TelemetrySettingsError as exc:
        return Started(None, f"OpenTelemetry export is off: {exc}")
    if settings is None:
        return Started(None, None)
    missing = _missing_modules(settings)
    if missing is not None:
        return Started(None, (
            f"OpenTelemetry export is set ({settings.origin}) but its packages are not "
            f"installed ({missing}): install them with {INSTALL_COMMAND} (or run "
            "scripts/setup.sh); this session runs without traces"))
    from voicechat.telemetry.export import start_export

    try:
        return Started(start_export(settings, on_notice), None)
    except Exception as exc:  # the SDK refused its configuration (a bad header, a cert path)
        return Started(None, f"OpenTelemetry export could not start: {type(exc).__name__}: "
                             f"{exc}")


def session_attributes(*, model: str, server: str, transport: str | None = None,
                       api: str = "realtime", proxy: bool = False) -> dict[str, Any]:
    """The root span's attributes for a session, GenAI names where they exist.

    ``server``: ``local``, ``openai``, ``azure`` or a base URL (never a key: URLs with
    credentials are masked anyway)."""
    attrs: dict[str, Any] = {
        "gen_ai.provider.name": "azure.ai.openai" if server == "azure" else "openai",
        "gen_ai.request.model": model, "voicechat.api": api}
    attrs["gen_ai.system"] = attrs["gen_ai.provider.name"]  # the name before semconv 1.37
    if transport:
        attrs["voicechat.transport"] = transport
    if proxy:
        attrs["voicechat.proxy"] = True
    if server.startswith(("http://", "https://")):
        parts = urlsplit(server)
        if parts.hostname:
            attrs["server.address"] = parts.hostname
        if parts.port:
            attrs["server.port"] = parts.port
    else:
        attrs["voicechat.server"] = server
    return attrs


def _missing_modules(settings: TelemetrySettings) -> str | None:
    """The first SDK module that does not import, checked on each start (cheap once loaded)."""
    for name in (*_SDK_MODULES, *_EXPORTER_MODULES[settings.protocol]):
        try:
            importlib.import_module(name)
        except ImportError:
            return name
    return None


__all__ = ["INSTALL_COMMAND", "SessionTrace", "Started", "Telemetry", "TelemetrySettings",
           "TelemetrySettingsError", "read_settings", "session_attributes", "start"]


def __getattr__(name: str) -> Any:
    """``Telemetry`` and ``SessionTrace`` load the SDK: only on first use."""
    if name == "Telemetry":
        return importlib.import_module("voicechat.telemetry.export").Telemetry
    if name == "SessionTrace":
        return importlib.import_module("voicechat.telemetry.trace").SessionTrace
    raise AttributeError(name)
