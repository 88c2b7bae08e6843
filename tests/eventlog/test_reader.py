"""Readers: every input format, inline JSON in text, timestamps, direction and dialect."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from voicechat.eventlog import lines
from voicechat.eventlog import reader as readers
from voicechat.eventlog.reader import LogReadError, ReadStats, read_entries
from voicechat.eventlog.redact import needs_redaction
from voicechat.eventlog.textscan import InlineScanner, find_objects, parse_timestamp


def _read(path: Path) -> tuple[list, ReadStats]:
    stats = ReadStats()
    return list(read_entries(path, stats)), stats


def test_our_jsonl_keeps_times_and_directions(tmp_path: Path) -> None:
    path = tmp_path / "ours.jsonl"
    lines = [
        {"t": 0.0, "ts": "2026-11-21T10:00:00.000Z", "dir": "in",
         "event": {"type": "session.created", "session": {"type": "realtime"}}},
        {"t": 0.25, "ts": "2026-11-21T10:00:00.250Z", "dir": "local",
         "event": {"type": "local.mic.muted", "reason": "playback"}},
        {"t": 1.5, "ts": "2026-11-21T10:00:01.500Z", "dir": "out",
         "event": {"type": "response.create"}},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n")
    entries, stats = _read(path)
    assert [(e.t, e.dir, e.type) for e in entries] == [
        (0.0, "in", "session.created"), (0.25, "local", "local.mic.muted"),
        (1.5, "out", "response.create")]
    assert stats.format == "voicechat" and stats.events == 3 and stats.skipped_lines == 0


def test_bare_jsonl_infers_direction_and_redacts_audio(tmp_path: Path) -> None:
    audio = base64.b64encode(bytes(960)).decode()
    events = [
        {"type": "input_audio_buffer.append", "audio": audio},
        {"type": "response.audio.delta", "response_id": "r", "delta": audio},
        {"type": "not an event"},
        {"hello": "world"},
    ]
    path = tmp_path / "bare.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\nplain text line\n")
    entries, stats = _read(path)
    assert [(e.dir, e.type) for e in entries] == [
        ("out", "input_audio_buffer.append"), ("in", "response.output_audio.delta")]
    assert entries[0].event["audio"] == {"bytes": 960}
    assert entries[1].event == {"type": "response.audio.delta", "response_id": "r",
                                "delta": {"bytes": 960}}  # as logged (beta name)
    assert entries[1].t is None
    assert stats.format == "jsonl" and stats.events == 2 and stats.skipped_lines == 3


def test_wrappers_from_other_loggers(tmp_path: Path) -> None:
    path = tmp_path / "wrapped.jsonl"
    rows = [
        {"timestamp": "2026-11-21T10:00:00.000Z", "direction": "received",
         "data": {"type": "session.created", "session": {}}},
        {"timestamp": "2026-11-21T10:00:02.500Z", "direction": "sent",
         "message": json.dumps({"type": "session.update", "session": {}})},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    entries, _ = _read(path)
    assert [(e.dir, e.type, e.t) for e in entries] == [
        ("in", "session.created", 0.0), ("out", "session.update", 2.5)]


def test_json_array_streams_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "_CHUNK", 64)  # force many refills mid-object
    events = [{"type": "response.output_audio_transcript.delta", "delta": f"w{n} {{x}}",
               "response_id": "resp_1"} for n in range(50)]
    path = tmp_path / "array.json"
    path.write_text(json.dumps(events, indent=2))
    entries, stats = _read(path)
    assert [e.event["delta"] for e in entries] == [f"w{n} {{x}}" for n in range(50)]
    assert stats.format == "json-array" and stats.skipped_lines == 0
    assert entries[1].line > entries[0].line  # line numbers point into the file


def test_truncated_json_array_keeps_complete_events(tmp_path: Path) -> None:
    events = [{"type": "rate_limits.updated", "n": n} for n in range(5)]
    text = json.dumps(events)
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) - 15])
    entries, stats = _read(path)
    assert [e.event["n"] for e in entries] == [0, 1, 2, 3]
    assert stats.torn_last_line


def test_text_log_with_inline_pretty_and_stray_braces(tmp_path: Path) -> None:
    pretty = json.dumps({"type": "response.done", "response": {"id": "resp_9",
                                                                "status": "completed"}}, indent=2)
    text = "\n".join([
        "03-14 09:26:53.589  1200  1305 I Chat: config {not json here",
        '03-14 09:26:53.600  1200  1305 D Rtc: << {"type":"input_audio_buffer.speech_started",'
        '"audio_start_ms":500,"item_id":"item_1"} trailing words {"type":"click"}',
        "03-14 09:26:54.100  1200  1305 D Rtc: << " + pretty,
        '03-14 09:26:54.350  1200  1305 D Rtc: >> {"type":"response.cancel",'
        '"note":"a } and { inside a \\"string\\""}',
        "some unrelated line",
    ])
    path = tmp_path / "logcat.txt"
    path.write_text(text + "\n")
    entries, stats = _read(path)
    assert [(e.type, e.dir) for e in entries] == [
        ("input_audio_buffer.speech_started", "in"), ("response.done", "in"),
        ("response.cancel", "out")]
    assert [e.t for e in entries] == pytest.approx([0.0, 0.5, 0.75])
    assert entries[1].line == 3
    assert entries[2].event["note"] == 'a } and { inside a "string"'
    assert stats.format == "text"
    assert stats.skipped_lines == 2  # the stray-brace line and the unrelated one


def test_find_objects_and_scanner_edge_cases() -> None:
    found, pending = find_objects('x {"a": "}"} y {"b": {"c": 1}} z {"open": ')
    assert [obj for _, obj, _ in found] == [{"a": "}"}, {"b": {"c": 1}}]
    assert pending is not None
    scanner = InlineScanner()
    assert scanner.feed("[12:00:00.000] sent {\n", 1) == []
    assert scanner.has_pending
    assert scanner.feed('  "type": "response.create",\n', 2) == []
    done = scanner.feed("  \"response\": {\"instructions\": \"hi\"}}\n", 3)
    assert [f.obj["type"] for f in done] == ["response.create"]
    assert done[0].line == 1 and "12:00:00.000" in done[0].prefix


def test_timestamps() -> None:
    iso = parse_timestamp("2026-11-21T10:00:01.250Z INFO")
    assert iso is not None and iso[1] == "2026-11-21T10:00:01.250Z"
    comma = parse_timestamp("2026-11-21 10:00:01,750 DEBUG")
    assert comma is not None and comma[0] - iso[0] == pytest.approx(0.5)
    offset = parse_timestamp("2026-11-21T11:00:01.250+01:00")
    assert offset is not None and offset[0] == pytest.approx(iso[0])
    logcat = parse_timestamp("11-21 10:00:01.250  123  456 D Tag:")
    clock = parse_timestamp("[10:00:02.250] realtime.js:88")
    assert logcat is not None and clock is not None
    assert parse_timestamp("no time here, only 12 numbers") is None


def test_dialect_detection_maps_beta_to_canonical(tmp_path: Path) -> None:
    events = [
        {"type": "session.created", "session": {"object": "realtime.session",
                                                "modalities": ["text", "audio"],
                                                "turn_detection": None}},
        {"type": "conversation.item.created", "item": {"id": "a", "role": "assistant",
                                                       "content": [{"type": "text"}]}},
        {"type": "response.audio_transcript.delta", "delta": "hi"},
    ]
    path = tmp_path / "beta.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events))
    entries, stats = _read(path)
    assert stats.tracker.server is not None and stats.tracker.server.value == "beta"
    assert [e.type for e in entries] == ["session.created", "conversation.item.added",
                                         "response.output_audio_transcript.delta"]
    assert entries[0].canonical["session"]["audio"]["input"]["turn_detection"] is None
    assert entries[1].canonical["item"]["content"][0]["type"] == "output_text"


def test_unreadable_inputs(tmp_path: Path) -> None:
    with pytest.raises(LogReadError, match="no such file"):
        list(read_entries(tmp_path / "missing.jsonl"))
    with pytest.raises(LogReadError, match="directory"):
        list(read_entries(tmp_path))
    empty = tmp_path / "empty.log"
    empty.write_text("")
    entries, stats = _read(empty)
    assert entries == [] and stats.format == "empty"


def test_malformed_array_element_is_skipped_not_fatal(tmp_path: Path) -> None:
    good = json.dumps({"type": "response.cancel"})
    path = tmp_path / "bad.json"
    path.write_text(f"[{good}, {{'type': 'js-style'}}, {good}]")
    entries, stats = _read(path)
    assert [e.type for e in entries] == ["response.cancel", "response.cancel"]
    assert stats.skipped_lines == 1 and not stats.torn_last_line


# --- the fast path: orjson first, redaction only where something could need it -------------

def test_a_line_only_the_stdlib_accepts_is_still_an_event(tmp_path: Path) -> None:
    # orjson refuses NaN; the stdlib takes it, so the line counts.
    path = tmp_path / "odd.jsonl"
    path.write_text('{"type": "rate_limits.updated", "x": NaN, "n": 123456789012345678901234}\n')
    entries, stats = _read(path)
    assert [e.type for e in entries] == ["rate_limits.updated"]
    assert stats.skipped_lines == 0


@pytest.mark.parametrize(
    "event",
    [
        {"type": "response.output_audio.delta", "delta": "AAAA"},
        {"type": "input_audio_buffer.append", "audio": "AAAA"},
        {"type": "session.update", "session": {"client_secret": {"value": "x"}}},
        {"type": "response.output_text.delta", "delta": "my key is sk-abcdefghijkl"},
        {"type": "response.output_text.delta", "delta": "use ek_abcdefgh1234"},
        {"type": "response.output_text.delta", "delta": "Bearer abc.def"},
    ],
)
def test_lines_that_carry_audio_or_secrets_take_the_redacting_path(event: dict) -> None:
    text = json.dumps(event)
    assert needs_redaction(text, event)


def test_an_escape_that_could_spell_a_secret_is_redacted(tmp_path: Path) -> None:
    # "\u0073k-" is "sk-": a raw-text check must not be fooled by JSON escapes.
    path = tmp_path / "escaped.jsonl"
    path.write_text('{"type": "response.output_text.delta", "delta": "\\u0073k-abcdefghijkl"}\n')
    entries, _ = _read(path)
    assert "sk-abcdefghijkl" not in json.dumps(entries[0].event)


# --- formats people paste: Node's console.log, bracket-timestamped text ----------------------

LOGS = Path(__file__).resolve().parent / "logs"


def test_node_console_log_in_inspect_notation_is_read() -> None:
    entries, stats = _read(LOGS / "node_console_inspect.log")
    assert stats.format == "text"
    assert [e.type for e in entries] == [
        "session.created", "session.update", "session.updated",
        "input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
        "response.created", "response.output_audio_transcript.delta", "response.done",
    ]
    assert [e.dir for e in entries][:2] == ["in", "out"]
    created = entries[0].event
    assert created["session"]["instructions"] == "You are a friendly assistant. Don't ramble."
    assert created["session"]["audio"] == {"input": {}, "output": {}}  # elided by inspect
    assert entries[6].event["delta"] == "It's sunny {today}"  # braces inside a string
    assert entries[7].event["response"]["usage"]["total_tokens"] == 312
    assert entries[7].event["response"]["metadata"] is None  # undefined


def test_a_log_starting_with_a_bracketed_time_is_text_not_a_json_array() -> None:
    entries, stats = _read(LOGS / "bracket_seconds.log")
    assert stats.format == "text"
    assert [e.type for e in entries] == [
        "session.created", "session.update", "session.updated",
        "input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
        "response.done",  # pretty-printed over four lines
    ]
    assert [round(e.t or 0, 3) for e in entries] == [0.0, 0.005, 0.088, 1.292, 2.7, 2.81]


def test_a_log_starting_with_a_brace_that_is_not_json_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "console.txt"
    path.write_text("{ type: 'session.created', event_id: 'e1', session: { id: 's' } }\n"
                    "some text\n"
                    "{ type: 'response.created', response: { id: 'resp_1' } }\n")
    entries, stats = _read(path)
    assert [e.type for e in entries] == ["session.created", "response.created"]
    assert stats.skipped_lines == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{ type: 'x.y', a: <ref *1> { b: [Circular *1] } }", {"type": "x.y", "a": {"b": None}}),
        ("{ type: 'x.y', items: [ 1, 2, ... 3 more items ] }", {"type": "x.y", "items": [1, 2]}),
        ("{ type: 'x.y', f: [Function: onEvent], g: [Function (anonymous)] }",
         {"type": "x.y", "f": None, "g": None}),
        ("{ 'quoted-key': 'v', type: 'x.y' }", {"quoted-key": "v", "type": "x.y"}),
        ("{ type: 'long ' +\n    'string' }", {"type": "long string"}),
        # a real response.text.done: Node switches to backticks when the text has a ' in it
        ("{ type: 'x.y', text: '{\\n' +\n    `  \"a\": \"it's\"\\n` +\n    '}' }",
         {"type": "x.y", "text": '{\n  "a": "it\'s"\n}'}),
        ("{ type: 'x.y', delta: 'undefined', d: '[Object]', u: undefined }",
         {"type": "x.y", "delta": "undefined", "d": "[Object]", "u": None}),
    ],
)
def test_inspect_only_tokens(text: str, expected: dict) -> None:
    from voicechat.eventlog.jsliteral import parse_object_literal

    assert parse_object_literal(text) == expected


def test_text_that_is_neither_json_nor_a_literal_is_not_an_object() -> None:
    from voicechat.eventlog.jsliteral import parse_object_literal

    assert parse_object_literal("{ this is prose }") is None
    assert parse_object_literal('{"type": "x"}') is None  # JSON is the JSON parser's job


# --- hostile input: giant lines, deep nesting -----------------------------------------------

def test_a_line_over_the_limit_is_skipped_unread_and_counted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lines, "MAX_LINE_CHARS", 1000)
    path = tmp_path / "giant.jsonl"
    path.write_text('{"type":"response.output_text.delta","delta":"' + "x" * 5000 + '"}\n'
                    '{"type":"response.done","response":{"id":"resp_1"}}\n')
    entries, stats = _read(path)
    assert [e.type for e in entries] == ["response.done"]
    assert stats.oversized_lines == 1 and stats.skipped_lines == 1
    assert stats.lines == 2


@pytest.mark.parametrize("layout", ["jsonl", "array", "text"])
def test_json_nested_deeper_than_any_event_is_skipped_not_fatal(tmp_path: Path,
                                                                layout: str) -> None:
    deep = '{"type":"session.update","session":' + '{"a":' * 5000 + "1" + "}" * 5000 + "}"
    done = '{"type":"response.done","response":{"id":"resp_1"}}'
    path = tmp_path / "deep.log"
    if layout == "jsonl":
        path.write_text(f"{deep}\n{done}\n")
    elif layout == "array":
        path.write_text(f"[{deep},\n{done}]\n")
    else:
        path.write_text(f"10:00:00.000 sent {deep}\n10:00:01.000 got {done}\n")
    entries, stats = _read(path)
    assert [e.type for e in entries] == ["response.done"]
    assert stats.skipped_lines >= 1


@pytest.mark.parametrize("direction", ['["in"]', '{"to": "in"}', "3", "null"])
def test_a_record_whose_dir_is_not_a_string_is_read_not_fatal(tmp_path: Path,
                                                              direction: str) -> None:
    """Such a ``dir`` used to reach a dict lookup and crash the whole read (unhashable)."""
    path = tmp_path / "log.jsonl"
    path.write_text('{"t":1.0,"ts":"x","dir":' + direction + ',"event":{"type":"response.done",'
                    '"response":{"id":"resp_1"}}}\n', encoding="utf-8")
    entries, stats = _read(path)
    assert [e.type for e in entries] == ["response.done"] and stats.events == 1


def test_a_run_of_malformed_array_elements_is_resynchronised_locally(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # each failed element's decode error counted the lines from the buffer's start: 300 000
    # of them ("[{,{,{…") took 40 s
    starts: list[int] = []

    class Counting(json.JSONDecoder):
        def raw_decode(self, s: str, idx: int = 0) -> tuple[object, int]:
            starts.append(idx)
            return super().raw_decode(s, idx)
    monkeypatch.setattr(readers.json, "JSONDecoder", Counting)
    path = tmp_path / "torn.json"
    path.write_text('[{"type": "response.cancel"}' + ",{" * 20000 + "\n")
    entries, stats = _read(path)
    assert [e.type for e in entries] == ["response.cancel"]
    assert stats.skipped_lines == 20000
    assert max(starts) <= 2 * readers._RESYNC_TRIM
