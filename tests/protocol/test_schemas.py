"""The committed schemas are exactly what the pinned SDK generates, and the overlay is sound."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from voicechat.protocol.dialect import Dialect
from voicechat.protocol.names import CLIENT_EVENTS
from voicechat.protocol.validation import load_schema

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    importlib.util.find_spec("openai") is None, reason="openai SDK not installed (dev extra)"
)
def test_committed_schemas_match_a_fresh_generation() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_schemas.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("dialect", list(Dialect))
def test_overlaid_schema_is_valid_draft_2020_12(dialect: Dialect) -> None:
    Draft202012Validator.check_schema(load_schema(dialect))


@pytest.mark.parametrize("dialect", list(Dialect))
def test_schema_event_types_match_names(dialect: Dialect) -> None:
    schema = load_schema(dialect)
    defs = schema["$defs"]
    kinds = sorted(
        defs[branch["$ref"].rsplit("/", 1)[-1]]["properties"]["type"]["const"]
        for branch in schema["anyOf"]
    )
    assert kinds == list(CLIENT_EVENTS[dialect])


def test_overlay_closes_objects_and_adds_nulls_and_ranges() -> None:
    defs = load_schema(Dialect.GA)["$defs"]
    server_vad = defs["ServerVad"]
    assert server_vad["additionalProperties"] is False
    assert server_vad["properties"]["threshold"]["minimum"] == 0
    assert server_vad["properties"]["threshold"]["maximum"] == 1
    audio_input = defs["RealtimeAudioConfigInputParam"]["properties"]
    assert {"type": "null"} in audio_input["noise_reduction"]["anyOf"]
    session = defs["RealtimeSessionCreateRequestParam"]["properties"]
    assert session["model"] == {"type": "string"}


def test_runtime_does_not_need_openai_or_pydantic() -> None:
    code = (
        "import sys\n"
        "sys.modules['openai'] = None\n"
        "sys.modules['pydantic'] = None\n"
        "from voicechat.protocol.dialect import Dialect\n"
        "from voicechat.protocol.validation import validate_client_event\n"
        "e = validate_client_event({'type': 'session.update', 'session': {}}, Dialect.GA)\n"
        "print(e.code)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "missing_required_parameter"
