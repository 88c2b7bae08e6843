"""``voicechat validate FILE``: lint a client event or session config before a server sees it.

Why a command: a Realtime developer's most common failure is a config the server rejects
(beta and GA shapes mixed up, a typo, a field from the docs of another API version), and the
server only says so after a connection. This prints the error the server would send, in its
words, plus hints at the likely fix.

Exit codes: 0 valid, 1 invalid (the error on stdout), 2 the file could not be used (stderr).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from voicechat.protocol.dialect import Dialect
from voicechat.protocol.errors import ProtocolError
from voicechat.protocol.hints import hints_for
from voicechat.protocol.secrets import redact_text
from voicechat.protocol.validation import validate_client_event, validate_session

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_UNUSABLE = 2

#: Bare GA sessions carry a ``type`` too; event types always contain a dot.
_SESSION_TYPES = frozenset({"realtime", "transcription"})

#: API keys and ephemeral tokens must never be echoed back, even inside a quoted bad value.


def run(file: Path, *, dialect: str, azure: bool) -> int:
    payload = _read(file)
    if payload is None:
        return EXIT_UNUSABLE
    target = Dialect(dialect)
    bare_session = is_bare_session(payload)
    error = check(payload, target, azure=azure, bare_session=bare_session)
    if error is None:
        print("ok")
        return EXIT_OK
    print(f"error: {_redact(error.message)}")
    where = f"  param: {error.param}" if error.param else ""
    print(f"  code: {error.code}{where}")
    for hint in hints_for(payload, error, target, azure=azure, bare_session=bare_session):
        print(f"hint: {_redact(hint)}")
    return EXIT_INVALID


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
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _unusable(f"{file}: no such file")
    except IsADirectoryError:
        return _unusable(f"{file}: is a directory; pass a JSON file")
    except PermissionError:
        return _unusable(f"{file}: permission denied")
    except UnicodeDecodeError:
        return _unusable(f"{file}: not UTF-8 text; pass a JSON file")
    except OSError as exc:
        return _unusable(f"{file}: cannot read ({exc.strerror or exc})")
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


def _unusable(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    return None


def _redact(text: str) -> str:
    return redact_text(text)
