"""Human hints that go with a validation error: the likely fix, not just the fault.

Why: the server's messages name the problem ("Unknown parameter: 'session.input_audio_format'.")
but not the cause, which is most often the other dialect's spelling (beta's flat session sent to
a GA endpoint, or the reverse), a typo, or a read-only field pasted from ``session.created``.
These functions look for those causes. They are pure functions over the payload and the error,
so the CLI, the TUI and the doctor can all show them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from voicechat.protocol.dialect import Dialect
from voicechat.protocol.errors import ProtocolError
from voicechat.protocol.mapping import SESSION_RENAMES_BETA_TO_GA, SESSION_RENAMES_GA_TO_BETA
from voicechat.protocol.validation import (
    known_property_names,
    validate_client_event,
    validate_session,
)

_DIALECT_NAMES = {Dialect.GA: "GA", Dialect.BETA: "beta"}

#: Fields the server reports in ``session.created``/``updated`` but rejects in an update.
READ_ONLY_SESSION_FIELDS = frozenset({"id", "object", "expires_at", "client_secret"})

_BODY_PREFIXES = ("session.", "response.")


def dialect_name(dialect: Dialect) -> str:
    return _DIALECT_NAMES[dialect]


def other_dialect_hint(
    payload: Mapping[str, Any],
    dialect: Dialect,
    *,
    azure: bool = False,
    bare_session: bool = False,
) -> str | None:
    """Say so when the payload is valid in the dialect it was *not* checked against."""
    other = dialect.other
    if bare_session:
        valid = validate_session(payload, other, azure=azure) is None or (
            other is Dialect.BETA
            and validate_session(payload, other, azure=azure, transcription=True) is None
        )
    else:
        valid = validate_client_event(payload, other, azure=azure) is None
    if not valid:
        return None
    thing = "session" if bare_session else "event"
    name = dialect_name(other)
    return (
        f"this {thing} is valid in the {name} dialect; if your endpoint speaks {name}, "
        f"use --dialect {other.value}"
    )


def rename_hint(error: ProtocolError, dialect: Dialect) -> str | None:
    """Name the other dialect's spelling when an unknown key is a known beta/GA rename."""
    if error.code != "unknown_parameter" or not error.param:
        return None
    prefix, key = _split_body(error.param)
    if prefix is None:
        return None
    if dialect is Dialect.GA:
        if key == "temperature":
            return "GA sessions have no 'temperature' (beta only); remove it"
        target = SESSION_RENAMES_BETA_TO_GA.get(key)
        if target is not None:
            return f"'{key}' is the beta name; in GA it is '{prefix}{target}'"
        return None
    if key == "type" and prefix == "session.":
        return (
            "beta sessions have no 'type': the event name says it (session.update, or "
            "transcription_session.update for transcription)"
        )
    flat = [
        (beta, ga)
        for ga, beta in SESSION_RENAMES_GA_TO_BETA.items()
        if ga == key or ga.startswith(key + ".")
    ]
    if not flat:
        return None
    if len(flat) == 1 and flat[0][1] == key:
        return f"'{key}' is the GA name; in beta it is '{prefix}{flat[0][0]}'"
    listing = ", ".join(f"'{beta}' (GA {ga})" for beta, ga in flat)
    return f"'{key}' is GA nesting; beta uses flat keys instead: {listing}"


def spelling_hint(error: ProtocolError, dialect: Dialect) -> str | None:
    """``did you mean 'silence_duration_ms'?`` for near-miss keys and enum values."""
    if error.code == "unknown_parameter" and error.param:
        leaf = re.split(r"[.\[]", error.param)[-1]
        names = sorted(known_property_names(dialect) - {leaf})
        match = difflib.get_close_matches(leaf, names, n=1, cutoff=0.75)
        if match:
            return f"did you mean '{match[0]}'?"
        return None
    if error.code == "invalid_value":
        value = re.match(r"Invalid value: '([^']*)'\.", error.message)
        _, _, tail = error.message.partition("Supported values are:")
        choices = re.findall(r"'([^']*)'", tail)
        if value and choices:
            match = difflib.get_close_matches(value.group(1), choices, n=1, cutoff=0.6)
            if match:
                return f"did you mean '{match[0]}'?"
    return None


def read_only_hint(error: ProtocolError) -> str | None:
    if error.code != "unknown_parameter" or not error.param:
        return None
    prefix, key = _split_body(error.param)
    if prefix == "session." and key in READ_ONLY_SESSION_FIELDS:
        return (
            f"'session.{key}' is read-only (the server reports it in session.created/updated); "
            "remove it before sending"
        )
    return None


def missing_type_hint(
    session: Mapping[str, Any], error: ProtocolError, dialect: Dialect, *, azure: bool = False
) -> list[str]:
    """GA sessions need ``type``; say which, and what checking the rest of the session finds."""
    if dialect is not Dialect.GA or error.param != "session.type":
        return []
    if error.code != "missing_required_parameter":
        return []
    out = ['GA sessions need "type": "realtime" (or "transcription" for a transcription session)']
    rest = validate_session({"type": "realtime", **session}, dialect, azure=azure)
    if rest is None:
        out.append('with "type": "realtime" added, the rest of this session is valid GA')
    else:
        out.append(f'with "type": "realtime" added, the next problem is: {rest.message}')
    return out


def hints_for(
    payload: Mapping[str, Any],
    error: ProtocolError,
    dialect: Dialect,
    *,
    azure: bool = False,
    bare_session: bool = False,
) -> list[str]:
    """Every hint that applies, most useful first, without duplicates."""
    found: list[str | None] = [
        read_only_hint(error),
        other_dialect_hint(payload, dialect, azure=azure, bare_session=bare_session),
    ]
    session = payload if bare_session else payload.get("session")
    if isinstance(session, Mapping) and (bare_session or payload.get("type") == "session.update"):
        found.extend(missing_type_hint(session, error, dialect, azure=azure))
    renamed = rename_hint(error, dialect)
    found.append(renamed)
    if renamed is None:
        found.append(spelling_hint(error, dialect))
    out: list[str] = []
    for hint in found:
        if hint and hint not in out:
            out.append(hint)
    return out


def _split_body(param: str) -> tuple[str | None, str]:
    """``session.audio.input`` → (``session.``, ``audio.input``); other params → (None, param)."""
    for prefix in _BODY_PREFIXES:
        if param.startswith(prefix):
            return prefix, param[len(prefix) :]
    return None, param
