"""The reader's fast path for our own records builds exactly what the generic path builds."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.doctor.logstrategy import events, logs
from voicechat.eventlog import reader
from voicechat.eventlog.entry import Entry, make_entry
from voicechat.eventlog.redact import needs_redaction, redact_event


def _read(path: Path) -> tuple[list[Entry], tuple[Any, ...]]:
    stats = reader.ReadStats()
    entries = list(reader.read_entries(path, stats))
    return entries, (stats.lines, stats.events, stats.skipped_lines, stats.torn_last_line,
                     stats.kinds, stats.tracker.server, stats.tracker.server_evidence)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs())
def test_any_log_reads_the_same_with_and_without_the_fast_path(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.jsonl"
        path.write_text(text, encoding="utf-8")
        fast = _read(path)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(reader.Builder, "record", lambda self, obj, line, text: None)
            assert _read(path) == fast


@given(st.integers(0, 10**6), st.integers(1, 10**6), st.none() | st.floats(0, 1e6),
       st.none() | st.text(max_size=5), st.sampled_from(["in", "out", "local"]), events(),
       st.booleans())
def test_make_entry_is_the_entry_the_constructor_builds(index: int, line: int, t: float | None,
                                                        ts: str | None, direction: Any,
                                                        event: dict[str, Any],
                                                        in_array: bool) -> None:
    canonical = {**event, "type": event["type"].upper()}
    built = make_entry(index, line, t, ts, direction, event, canonical, in_array)
    assert built == Entry(index=index, line=line, t=t, ts=ts, dir=direction, event=event,
                          canonical=canonical, in_array=in_array)
    assert built.type == canonical["type"]


_SECRETISH = st.sampled_from(["sk-abcdefgh1234", "ek_ABCDEFGH", "Bearer abcdefgh", "api-key: x1",
                              "https://user:pw@host", "Authorization=abc", "token", "tokens",
                              "x"])
_VALUE = st.one_of(st.text(max_size=12), _SECRETISH,
                   st.builds(lambda a, b: a + b, st.text(max_size=4), _SECRETISH))


@settings(max_examples=300)
@given(events(), st.dictionaries(st.sampled_from(["detail", "api_key", "Audio", "audio", "note",
                                                  "client_secret", "url", "token", "TOKEN",
                                                  "Access-Token", "tokens", "name"]),
                                 _VALUE | st.dictionaries(st.sampled_from(["token", "name"]),
                                                          _VALUE, max_size=2), max_size=3),
       st.booleans(), st.booleans())
def test_a_line_the_pre_check_passes_needs_no_redaction(event: dict[str, Any],
                                                        extra: dict[str, Any],
                                                        ascii_only: bool,
                                                        escaped_slashes: bool) -> None:
    """The safety property of the shortcut: no false negative, whatever the line's spelling
    (``\\uXXXX`` escapes, ``\\/`` for ``/``: both are JSON other loggers write)."""
    event = {**event, **extra}
    text = json.dumps({"t": 1.0, "ts": "x", "dir": "in", "event": event},
                      ensure_ascii=ascii_only)
    if escaped_slashes:
        text = text.replace("/", "\\/")
    assert json.loads(text)["event"] == event
    if not needs_redaction(text, event):
        assert redact_event(event) == event
