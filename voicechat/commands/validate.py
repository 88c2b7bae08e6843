"""``voicechat validate FILE``: lint a client event or session config before a server sees it.

Why a command: a Realtime developer's most common failure is a config the server rejects
(beta and GA shapes mixed up, a typo, a field from the docs of another API version), and the
server only says so after a connection. This prints the error the server would send, in its
words, plus hints at the likely fix.

GPT-Live (``/v1/live/sessions``) payloads are checked by their own validator
(:mod:`voicechat.protocol.live.validation`): chosen with ``--api live``, or recognised from the
content with the default ``--api auto`` (a Live-only event type, a ``gpt-live-*`` model, a
Live-only config key, or a WebRTC create body ``{"session", "transport"}``).

Gemini Live messages (``{"setup": …}``, ``{"realtimeInput": …}``…, either spelling) are
checked by :mod:`voicechat.protocol.gemini.validation`: chosen with ``--api gemini``, or
recognised by their keys (no ``type``, one client message key). A ``setup`` is judged as a
connection's first message, anything else as one sent after it; a refusal prints the close code
Google ends the connection with, what it means and the fix.

``--provider xai|voice-live`` lints a payload in that service's own shape against its profile
(:mod:`voicechat.protocol.providers`): its dialect, its fields put where the schema has them
(xAI's top-level ``voice``), its extras set aside (Voice Live's ``azure_semantic_vad``), and what
the schema cannot tell said as ``error (xai): …`` or ``warning (xai): …`` lines.

Exit codes: 0 valid, 1 invalid (the error on stdout), 2 the file could not be used (stderr).
"""

from __future__ import annotations

import codecs
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

from voicechat.eventlog.source import PIPE_WAIT_S, pipe_has_news
from voicechat.protocol.dialect import Dialect
from voicechat.protocol.errors import ProtocolError
from voicechat.protocol.gemini import close_codes as gemini_close_codes
from voicechat.protocol.gemini import names as gemini_names
from voicechat.protocol.gemini import spelling as gemini_spelling
from voicechat.protocol.gemini.errors import Refusal as GeminiRefusal
from voicechat.protocol.gemini.family import side_of as gemini_side
from voicechat.protocol.gemini.validation import audio_notes as gemini_audio_notes
from voicechat.protocol.gemini.validation import parse_client_message as parse_gemini
from voicechat.protocol.hints import hints_for
from voicechat.protocol.live import errors as live_errors
from voicechat.protocol.live.validation import (
    detect_live,
    is_create_request,
    validate_create_request,
    validate_session_config,
)
from voicechat.protocol.live.validation import (
    validate_client_event as validate_live_event,
)
from voicechat.protocol.providers import (
    Profile,
    ProfileProblem,
    profile_for,
    profile_problems,
    validation_session,
)
from voicechat.protocol.secrets import redact_text
from voicechat.protocol.text import printable
from voicechat.protocol.validation import validate_client_event, validate_session

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_UNUSABLE = 2

#: Bare GA sessions carry a ``type`` too; event types always contain a dot.
_SESSION_TYPES = frozenset({"realtime", "transcription"})

#: The most :func:`_read_text` reads: a client event is at most 15 MiB of JSON (an audio append).
MAX_BYTES = 32 << 20

#: ``--api`` values: which API family the payload belongs to
APIS = ("auto", "realtime", "live", "gemini")


def run(file: Path, *, dialect: str, azure: bool, api: str = "auto",
        provider: str | None = None) -> int:
    profile = profile_for(provider) if provider is not None else None
    if profile is not None and profile.unavailable is not None:
        _unusable(f"--provider: {profile.unavailable}")
        return EXIT_UNUSABLE
    payload = _read(file)
    if payload is None:
        return EXIT_UNUSABLE
    if api == "gemini" or (profile is not None and profile.family == "gemini") or (
            api == "auto" and gemini_side(payload) == "client"):
        return _run_gemini(payload)
    if api == "live" or (api == "auto" and detect_live(payload)):
        return _run_live(payload)
    target = Dialect(dialect)
    bare_session = is_bare_session(payload)
    notes: list[ProfileProblem] = []
    if profile is not None and profile.name in ("xai", "voice-live"):
        # the service's own shape: its profile's dialect, its fields read as the schema's
        target, azure = profile.dialect, profile.azure
        notes = profile_problems(_session_of(payload, bare_session), profile)
        payload = _as_dialect(payload, bare_session, profile)
    error = check(payload, target, azure=azure, bare_session=bare_session)
    for note in notes:
        print(f"{note.level} ({profile.name if profile else ''}): {_redact(note.message)}")
    if error is None:
        if any(note.level == "error" for note in notes):
            return EXIT_INVALID
        print("ok" if profile is None else f"ok ({profile.title})")
        return EXIT_OK
    print(f"error: {_redact(error.message)}")
    where = f"  param: {_redact(error.param)}" if error.param else ""
    print(f"  code: {error.code}{where}")
    for hint in hints_for(payload, error, target, azure=azure, bare_session=bare_session):
        print(f"hint: {_redact(hint)}")
    return EXIT_INVALID


def _session_of(payload: dict[str, Any], bare_session: bool) -> dict[str, Any]:
    """The session object of a bare session or of a ``session.update`` (else empty)."""
    if bare_session:
        return payload
    session = payload.get("session")
    return session if payload.get("type") == "session.update" and isinstance(session, dict) \
        else {}


def _as_dialect(payload: dict[str, Any], bare_session: bool, profile: Profile
                ) -> dict[str, Any]:
    """``payload`` in the provider's shape read as its dialect's validator judges it."""
    if bare_session:
        return validation_session(payload, profile)
    session = payload.get("session")
    if payload.get("type") == "session.update" and isinstance(session, dict):
        return {**payload, "session": validation_session(session, profile)}
    return payload


def _run_live(payload: dict[str, Any]) -> int:
    """GPT-Live: an event, a WebRTC create body, or a bare startup config."""
    if is_create_request(payload):
        problem = validate_create_request(payload)
    elif "type" in payload:  # a startup config has no "type"; every event has one
        problem = validate_live_event(payload)
    else:
        problem = validate_session_config(payload)
    if problem is None:
        print("ok (GPT-Live)")
        return EXIT_OK
    print(f"error: {_redact(problem.message)}")
    where = f"  param: {_redact(problem.param)}" if problem.param else ""
    print(f"  code: {problem.code}{where}")
    if problem.code == live_errors.UNKNOWN_PARAMETER and problem.param in _REALTIME_ONLY:
        print(f"hint: '{problem.param}' is a Realtime setting; GPT-Live has no such field "
              "(the model decides turns itself; voice and instructions are fixed at start).")
    return EXIT_INVALID


def _run_gemini(payload: dict[str, Any]) -> int:
    """Gemini Live: one client message; a refusal is the close the service answers with."""
    first = next((gemini_spelling.camel(str(k)) for k in payload), "")
    message = parse_gemini(payload, setup_done=first != gemini_names.SETUP)
    if not isinstance(message, GeminiRefusal):
        print("ok (Gemini Live)")
        if message.kind == gemini_names.REALTIME_INPUT:
            blob = gemini_spelling.get(message.body, gemini_names.AUDIO)
            for note in gemini_audio_notes(blob) if isinstance(blob, dict) else []:
                print(f"note: {_redact(note)}")
        return EXIT_OK
    meaning = gemini_close_codes.describe(message.code)
    print(f"error: {_redact(message.reason)}")
    where = f"  param: {_redact(message.param)}" if message.param else ""
    print(f"  close: {message.code} ({meaning.name}){where}")
    print(f"hint: {meaning.fix}")
    return EXIT_INVALID


#: Realtime settings people carry over to a GPT-Live config (reference §5, pitfall 4)
_REALTIME_ONLY = frozenset(
    f"session.{key}"
    for key in ("temperature", "turn_detection", "modalities", "output_modalities", "voice",
                "tools", "tool_choice", "input_audio_format", "output_audio_format",
                "input_audio_transcription", "max_response_output_tokens", "type")
)


def is_bare_session(payload: dict[str, Any]) -> bool:
    """A client event has a dotted ``type``; anything else is taken as a session object."""
    kind = payload.get("type")
    if kind is None or kind in _SESSION_TYPES:
        return True
    return not (isinstance(kind, str) and "." in kind)


def check(
    payload: dict[str, Any], dialect: Dialect, *, azure: bool, bare_session: bool
) -> ProtocolError | None:
    """Validate as an event, or as a session (beta: realtime or transcription session)."""
    if not bare_session:
        return validate_client_event(payload, dialect, azure=azure)
    error = validate_session(payload, dialect, azure=azure)
    if (
        error is not None
        and dialect is Dialect.BETA
        and validate_session(payload, dialect, azure=azure, transcription=True) is None
    ):
        return None
    return error


def _read(file: Path) -> dict[str, Any] | None:
    text = _read_text(file)
    if text is None:
        return None
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        return _unusable(
            f"{file}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        )
    except RecursionError:
        return _unusable(f"{file}: nested deeper than any Realtime event; pass a client event "
                         "or a session object")
    if not isinstance(payload, dict):
        kind = type(payload).__name__
        names = {"list": "an array", "str": "a string", "NoneType": "null"}
        return _unusable(
            f"{file}: holds {names.get(kind, 'a ' + kind)}; expected a JSON object "
            '(a client event with a "type", or a bare session object)'
        )
    return payload


def _read_text(file: Path) -> str | None:
    """The file's text, or ``None`` after saying why not. A FIFO nobody writes to is not
    waited on forever, and no more than :data:`MAX_BYTES` is read (``/dev/zero``)."""
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return _unusable(f"{file}: no such file; check the path")
    except PermissionError:
        return _unusable(f"{file}: permission denied; check the file's permissions")
    except OSError as exc:
        return _unusable(f"{file}: cannot read ({exc.strerror or exc})")
    mode = os.fstat(fd).st_mode
    if stat.S_ISDIR(mode):
        os.close(fd)
        return _unusable(f"{file}: is a directory; pass a JSON file")
    with open(fd, "rb") as handle:
        os.set_blocking(fd, True)
        if not stat.S_ISREG(mode) and not pipe_has_news(fd):
            return _unusable(f"{file}: nothing came through it in {PIPE_WAIT_S:g} s; start "
                             "its writer first, or save the JSON to a file and pass that")
        try:
            data = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            return _unusable(f"{file}: cannot read ({exc.strerror or exc})")
    if len(data) > MAX_BYTES:
        return _unusable(f"{file}: larger than {MAX_BYTES >> 20} MB, more than any client "
                         "event; pass one event or one session object")
    try:
        return data.decode(_encoding(data))
    except UnicodeDecodeError:
        return _unusable(f"{file}: not UTF-8 text; pass a JSON file (saved as UTF-8)")


def _encoding(data: bytes) -> str:
    """UTF-8, or UTF-16/32 when a byte-order mark says so (PowerShell 5's ``>``)."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8-sig"


def _unusable(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    return None


def _redact(text: str) -> str:
    """Printable and without credentials: the payload's own keys and values come back in the
    server's wording (``Unknown parameter: 'session.<key>'``), and a crafted key could hold a
    key or a terminal escape."""
    return printable(redact_text(text))
