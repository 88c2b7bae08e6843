"""``invalid-session-param`` and ``dialect-mismatch``: configs the server refused.

Both start from the same evidence (``error`` events naming a parameter, and the client event
they answer), so they share one classifier: an error is a dialect mismatch when the parameter
is a top-level field of the *other* dialect (``session.input_audio_format`` on GA,
``session.type`` on beta), or a required GA field missing from a beta-shaped update. Everything
else about parameters is ``invalid-session-param``, so one cause gives one finding.
"""

from __future__ import annotations

import json
import re
from typing import Any

from voicechat.doctor.context import Context
from voicechat.doctor.rules.base import ERRORS, Rule, error_of, error_text
from voicechat.eventlog.dialects import (
    BETA_SESSION_KEYS,
    GA_SESSION_KEYS,
    client_event_dialect,
)
from voicechat.eventlog.entry import Entry
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.mapping import SESSION_RENAMES_BETA_TO_GA, SESSION_RENAMES_GA_TO_BETA

PARAM_CODES = frozenset(
    {"unknown_parameter", "invalid_type", "invalid_value", "missing_required_parameter",
     "invalid_event", "integer_below_min_value", "integer_above_max_value",
     "decimal_below_min_value", "decimal_above_max_value"}
)

#: Valid keys of the objects people most often get wrong, per dialect (for "valid: …" hints).
VALID_KEYS: dict[Dialect, dict[str, list[str]]] = {
    Dialect.GA: {
        "session": ["type", "model", "output_modalities", "instructions", "audio", "tools",
                    "tool_choice", "max_output_tokens", "truncation", "prompt", "include",
                    "tracing"],
        "session.audio.input": ["format", "transcription", "noise_reduction", "turn_detection"],
        "session.audio.output": ["format", "voice", "speed"],
        "session.audio.input.turn_detection": [
            "type", "threshold", "prefix_padding_ms", "silence_duration_ms", "idle_timeout_ms",
            "create_response", "interrupt_response", "eagerness (semantic_vad only)"],
        "session.audio.input.transcription": ["model", "language", "prompt"],
        "response": ["output_modalities", "instructions", "audio", "tools", "tool_choice",
                     "max_output_tokens", "conversation", "metadata", "prompt", "input"],
    },
    Dialect.BETA: {
        "session": ["modalities", "instructions", "voice", "input_audio_format",
                    "output_audio_format", "input_audio_transcription", "turn_detection",
                    "input_audio_noise_reduction", "tools", "tool_choice", "temperature",
                    "max_response_output_tokens", "speed", "tracing"],
        "session.turn_detection": [
            "type", "threshold", "prefix_padding_ms", "silence_duration_ms", "create_response",
            "interrupt_response", "eagerness (semantic_vad only)"],
        "session.input_audio_transcription": ["model", "language", "prompt"],
        "response": ["modalities", "instructions", "voice", "output_audio_format", "tools",
                     "tool_choice", "temperature", "max_response_output_tokens", "conversation",
                     "metadata", "input"],
    },
}

#: The valid form of fields whose *shape* differs between dialects.
VALID_FORMS: dict[Dialect, dict[str, str]] = {
    Dialect.GA: {
        "session.type": '"realtime" (or "transcription")',
        "session.audio.input.format": '{"type": "audio/pcm", "rate": 24000}',
        "session.audio.output.format": '{"type": "audio/pcm", "rate": 24000}',
        "session.output_modalities": '["audio"] or ["text"]',
        "session.audio.input.turn_detection.type": '"server_vad" or "semantic_vad"',
        "session.audio.input.transcription.model":
            '"gpt-4o-mini-transcribe", "gpt-4o-transcribe" or "whisper-1"',
    },
    Dialect.BETA: {
        "session.input_audio_format": '"pcm16", "g711_ulaw" or "g711_alaw"',
        "session.output_audio_format": '"pcm16", "g711_ulaw" or "g711_alaw"',
        "session.modalities": '["text", "audio"] or ["text"]',
        "session.turn_detection.type": '"server_vad" or "semantic_vad"',
        "session.input_audio_transcription.model":
            '"whisper-1", "gpt-4o-mini-transcribe" or "gpt-4o-transcribe"',
        "session.temperature": "a number from 0.6 to 1.2",
    },
}

_INDEX = re.compile(r"\[(\d+)\]")


def value_at(event: dict[str, Any], param: str) -> tuple[bool, Any]:
    """The value a client event had at an error's ``param`` path (``session.tools[0].x``)."""
    node: Any = event
    for part in _INDEX.sub(r".\1", param).split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdecimal() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False, None
    return True, node


def short_json(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mismatch_of(error: dict[str, Any], client: Entry | None) -> Dialect | None:
    """The dialect the *client* wrote in, when the error shows it is the server's other one."""
    code = error.get("code")
    param = error.get("param") or ""
    parts = param.split(".")
    if code == "unknown_parameter" and len(parts) == 2 and parts[0] in ("session", "response"):
        key = parts[1]
        if key in BETA_SESSION_KEYS or key == "modalities":
            return Dialect.BETA
        if key in GA_SESSION_KEYS or key == "output_modalities":
            return Dialect.GA
    if (code == "missing_required_parameter" and param == "session.type" and client is not None
            and client_event_dialect(client.event) is Dialect.BETA):
        return Dialect.BETA
    if (code == "invalid_value" and param == "type" and client is not None
            and client.event.get("type") == "transcription_session.update"):
        return Dialect.BETA  # a beta-only event sent to a GA server
    return None


class InvalidSessionParam(Rule):
    id = "invalid-session-param"
    title = "The server rejected a parameter the client sent"
    feeds_on = ERRORS

    def __init__(self) -> None:
        super().__init__()
        self.params: dict[str, tuple[str, str]] = {}  # param → (code, message)

    def feed(self, entry: Entry, ctx: Context) -> None:
        error = error_of(entry)
        if error is None or error.get("code") not in PARAM_CODES or ctx.live:
            return  # GPT-Live's refusals: live-unknown-config-field (its own schema)
        param = error.get("param") or ""
        if param.endswith("audio_end_ms"):
            return  # truncate-out-of-range
        client = ctx.client_event_for(entry)
        if mismatch_of(error, client) is not None:
            return  # dialect-mismatch explains it
        detail = error_text(error)
        if client is not None:
            detail += f"; answers {client.type} ({client.where()})"
            found, value = value_at(client.event, param)
            if found:
                detail += f" which sent {param} = {short_json(value)}"
        self.add(entry, detail)
        if len(self.params) < 8:
            self.params.setdefault(param or "(event)", (str(error.get("code")),
                                                        str(error.get("message") or "")))

    def fix(self, ctx: Context) -> str:
        dialect = ctx.dialect or Dialect.GA
        lines = []
        for param, (code, message) in self.params.items():
            lines.append(_param_fix(dialect, param, code, message))
        lines.append(f"Validate configs before sending: voicechat validate FILE --dialect "
                     f"{dialect.value}.")
        return "\n".join(lines)


def _param_fix(dialect: Dialect, param: str, code: str, message: str) -> str:
    name = f"{dialect.value.upper()} ({'flat' if dialect is Dialect.BETA else 'nested'} session)"
    form = VALID_FORMS[dialect].get(param)
    parent = param.rsplit(".", 1)[0] if "." in param else ""
    keys = VALID_KEYS[dialect].get(parent)
    if code == "unknown_parameter":
        hint = f"Remove '{param}': the {name} dialect has no such field"
        if keys:
            hint += f"; valid keys of '{parent}' are {', '.join(keys)}"
        return hint + "."
    if code == "missing_required_parameter":
        return f"Add '{param}'" + (f": {form}" if form else "") + "."
    supported = re.search(r"Supported values are: (.*?)\.?$", message)
    expected = re.search(r"expected (.*?), but got", message)
    if form:
        valid = form
    elif supported:
        valid = "one of " + supported.group(1)
    elif expected:
        valid = expected.group(1)
    else:
        valid = "the value the message asks for"
    return f"Set '{param}' to {valid} ({name})."


class DialectMismatch(Rule):
    id = "dialect-mismatch"
    title = "The client speaks the other dialect (beta vs GA) than the server"
    feeds_on = ERRORS | {"session.update", "transcription_session.update", "response.create"}

    def __init__(self) -> None:
        super().__init__()
        self.client_dialect: Dialect | None = None
        self.keys: set[str] = set()
        self.pending: list[tuple[Entry, Dialect]] = []

    def feed(self, entry: Entry, ctx: Context) -> None:
        if ctx.live:
            return  # GPT-Live is one dialect of its own: nothing to mismatch
        if entry.dir == "out" and entry.type in ("session.update", "transcription_session.update",
                                                 "response.create"):
            shape = client_event_dialect(entry.event)
            if shape is not None:
                if ctx.dialect is None:
                    if len(self.pending) < 50:
                        self.pending.append((entry, shape))
                else:
                    self._check(entry, shape, ctx.dialect)
            return
        error = error_of(entry)
        if error is None:
            return
        client = ctx.client_event_for(entry)
        wrote = mismatch_of(error, client)
        if wrote is None:
            return
        self.client_dialect = wrote
        param = str(error.get("param"))
        self.keys.add(param.split(".", 1)[-1])
        self.add(entry, f"{error_text(error)}: a {wrote.value} field sent to a "
                        f"{wrote.other.value} server")

    def _check(self, entry: Entry, shape: Dialect, server: Dialect) -> None:
        if shape is server:
            return
        self.client_dialect = shape
        body = entry.event.get("session") or entry.event.get("response") or {}
        own = BETA_SESSION_KEYS | {"modalities"} if shape is Dialect.BETA else GA_SESSION_KEYS
        keys = sorted(k for k in body if k in own) if isinstance(body, dict) else []
        raw_type = str(entry.event.get("type"))
        if raw_type == "transcription_session.update":
            keys = ["transcription_session.update", *keys]
        self.keys.update(keys)
        self.add(entry, f"{raw_type} in the {shape.value} shape ({', '.join(keys)}) sent to a "
                        f"{server.value} server")

    def conclude(self, ctx: Context) -> None:
        if ctx.dialect is not None:
            for entry, shape in self.pending:
                self._check(entry, shape, ctx.dialect)
        self.pending.clear()

    def fix(self, ctx: Context) -> str:
        server = ctx.dialect or (self.client_dialect.other if self.client_dialect else Dialect.GA)
        if server is Dialect.GA:
            renames = [f"{k} → {SESSION_RENAMES_BETA_TO_GA[k]}" for k in sorted(self.keys)
                       if k in SESSION_RENAMES_BETA_TO_GA]
            text = ("The server speaks GA: send the nested GA session with \"type\": \"realtime\"")
            if renames:
                text += "; rename " + ", ".join(renames)
            if "input_audio_format" in self.keys or "output_audio_format" in self.keys:
                text += '; formats are objects ({"type": "audio/pcm", "rate": 24000})'
            if "transcription_session.update" in self.keys:
                text += '; use session.update with "type": "transcription"'
            if "temperature" in self.keys:
                text += "; drop temperature (GA has none)"
            return text + (". Or connect to a beta endpoint (header OpenAI-Beta: realtime=v1) "
                           "if your client only speaks beta.")
        renames = [f"{k} → {SESSION_RENAMES_GA_TO_BETA[k]}" for k in sorted(self.keys)
                   if k in SESSION_RENAMES_GA_TO_BETA]
        text = "The server speaks beta (OpenAI-Beta: realtime=v1): send the flat beta session"
        if "type" in self.keys:
            text += " without \"type\""
        if renames:
            text += "; rename " + ", ".join(renames)
        if "audio" in self.keys:
            text += ('; move audio.input.* / audio.output.* to the flat fields (turn_detection, '
                     'input_audio_format "pcm16", voice, …)')
        return text + (". Or drop the OpenAI-Beta header to use the GA endpoint. If your client "
                       "never sent that header, something between it and the model did: OpenAI "
                       "retired the beta API on 2026-05-12, so a beta answer today most often "
                       "comes through a gateway that forces the header upstream (new-api does "
                       "for every client; its responses carry X-Oneapi-Request-Id), and OpenAI "
                       "itself then refuses with beta_api_shape_disabled.")
