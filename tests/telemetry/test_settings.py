"""Which variables and keys turn export on, and where the spans go."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.test_architecture import loaded_by
from voicechat import telemetry
from voicechat.config import resolve
from voicechat.config_schema import ConfigError
from voicechat.telemetry.settings import TelemetrySettingsError, read_settings


@dataclass
class Options:
    otel_endpoint: str | None = None
    otel_protocol: str | None = None
    otel_content: bool = False


def test_the_base_endpoint_gets_the_traces_path_and_the_traces_endpoint_wins() -> None:
    base = read_settings(None, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/"})
    assert base is not None and base.endpoint == "http://c:4318/v1/traces"
    assert base.protocol == "http/protobuf" and base.service_name == "voicechat"
    both = read_settings(None, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
                                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t:1/custom"})
    assert both is not None and both.endpoint == "http://t:1/custom"
    assert both.origin == "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"


def test_the_environment_beats_the_config_keys() -> None:
    options = Options("http://file:4318", "grpc", True)
    from_file = read_settings(options, {})
    assert from_file is not None
    assert (from_file.endpoint, from_file.protocol, from_file.content) == (
        "http://file:4318", "grpc", True)
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://env:4318",
           "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
           "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "NO_CONTENT"}
    from_env = read_settings(options, env)
    assert from_env is not None
    assert (from_env.endpoint, from_env.protocol, from_env.content) == (
        "http://env:4318/v1/traces", "http/protobuf", False)


@pytest.mark.parametrize("value, on", [("true", True), ("SPAN_ONLY", True),
                                       ("span_and_event", True), ("EVENT_ONLY", False),
                                       ("false", False)])
def test_the_genai_content_variable(value: str, on: bool) -> None:
    settings = read_settings(None, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
                                    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": value})
    assert settings is not None and settings.content is on


def test_service_name_from_the_standard_variables() -> None:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
           "OTEL_RESOURCE_ATTRIBUTES": "team=voice,service.name=front-desk"}
    assert (read_settings(None, env) or pytest.fail()).service_name == "front-desk"
    env["OTEL_SERVICE_NAME"] = "kiosk"
    assert (read_settings(None, env) or pytest.fail()).service_name == "kiosk"


def test_off_switches() -> None:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}
    assert read_settings(None, {**env, "OTEL_SDK_DISABLED": "true"}) is None
    assert read_settings(None, {**env, "OTEL_TRACES_EXPORTER": "none"}) is None
    assert read_settings(Options(), {}) is None


def test_a_protocol_we_cannot_export_with_is_named_with_the_fix() -> None:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
           "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}
    with pytest.raises(TelemetrySettingsError, match=r"OTEL_EXPORTER_OTLP_PROTOCOL.*grpc"):
        read_settings(None, env)
    started = telemetry.start(env=env)
    assert started.telemetry is None and started.notice is not None
    assert "http/json" in started.notice and "http/protobuf" in started.notice


def test_the_config_file_keys(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('otel_endpoint = "http://localhost:4318"\notel_protocol = "grpc"\n'
                      "otel_content = true\n")
    settings = resolve({}, env={}, config_path=config)
    assert (settings.otel_endpoint, settings.otel_protocol, settings.otel_content) == (
        "http://localhost:4318", "grpc", True)
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    assert resolve({}, env={}, config_path=empty).otel_endpoint is None
    config.write_text('otel_protocol = "http/json"\n')
    with pytest.raises(ConfigError, match="otel_protocol"):
        resolve({}, env={}, config_path=config)


def test_importing_the_package_loads_no_sdk() -> None:
    code = "import voicechat.telemetry as t\nt.read_settings(None, {})\n"
    assert loaded_by(code, ("opentelemetry.sdk", "opentelemetry.exporter", "grpc")) == []
