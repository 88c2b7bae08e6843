"""The inline scanner finds an event's JSON in any surrounding text (logcat, console dumps)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voicechat.eventlog import textscan
from voicechat.eventlog.textscan import InlineScanner

# Log noise around the JSON: anything but braces (a stray "{" is tested separately).
noise = st.text(alphabet=st.characters(blacklist_characters="{}\n\r",
                                       blacklist_categories=("Cs",)), max_size=40)
# Values inside events may contain braces, quotes, backslashes and unicode.
values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
kinds = st.sampled_from(["response.output_audio_transcript.delta", "response.cancel",
                         "input_audio_buffer.speech_started", "error", "session.update"])


@settings(max_examples=150, deadline=None)
@given(prefix=noise, suffix=noise, kind=kinds, text=values, pretty=st.booleans())
def test_scanner_finds_the_event_whatever_surrounds_it(prefix: str, suffix: str, kind: str,
                                                       text: str, pretty: bool) -> None:
    event = {"type": kind, "delta": text, "nested": {"x": [1, {"y": text}]}}
    body = json.dumps(event, indent=2 if pretty else None, ensure_ascii=False)
    scanner = InlineScanner()
    found = []
    lines = (prefix + body + suffix).split("\n")
    for number, line in enumerate(lines, start=1):
        found.extend(scanner.feed(line + "\n", number))
    assert [f.obj for f in found] == [event]
    assert found[0].line == 1 and found[0].prefix == prefix


# --- a line that ends with its event: decoded whole, the same as the scan ----------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
# what can follow an object on a line: nothing, spaces, log text, another object, a stray brace
tails = st.sampled_from(["", "  ", "\t\n", " (12 ms)", " {\"type\":\"response.cancel\"}", " }",
                         " {", "\u00a0", "}"])


def _scan_only(text: str) -> str:
    """What the scan alone finds (the whole-line decode switched off)."""
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(textscan, "_whole_rest", lambda text, pos: None)
        return repr(textscan.find_objects(text))


@settings(max_examples=300, deadline=None)
@given(prefix=noise, body=st.dictionaries(st.text(max_size=8), json_values, max_size=5),
       spaced=st.booleans(), tail=tails)
def test_an_object_decoded_whole_is_what_the_scan_finds(
        prefix: str, body: dict[str, object], spaced: bool, tail: str) -> None:
    text = prefix + json.dumps(body, ensure_ascii=False,
                               separators=(", ", ": ") if spaced else (",", ":")) + tail
    # repr tells 1 from 1.0 and keeps the order of keys: the same objects, exactly
    assert repr(textscan.find_objects(text)) == _scan_only(text)


@pytest.mark.parametrize("text", [
    'D Tag: >> {"type":"x","n":123456789012345678901234}',  # past 64 bits: the stdlib's int
    'D Tag: >> {"type":"x","n":-9223372036854775809}',
    'D Tag: >> {"type":"x","n":NaN}',  # orjson refuses: the stdlib takes it
    "D Tag: >> {type: 'x', n: 1}",  # Node's inspect style: the literal parser
    'D Tag: >> {"type":"x"} {"type":"y"}',  # two on one line
    'D Tag: >> {"type":"x","s":"}{"}  ',
])
def test_lines_the_whole_decode_leaves_to_the_scan(text: str) -> None:
    assert repr(textscan.find_objects(text)) == _scan_only(text)
    objects = [obj for _, obj, _ in textscan.find_objects(text)[0]]
    assert objects, "every line here holds at least one object"
    if "1234567890" in text or "-9223" in text:
        assert isinstance(objects[0]["n"], int)


# --- timestamps: the per-minute cache answers as a fresh parse does ----------------------------

two_digits = st.integers(min_value=0, max_value=99).map(lambda n: f"{n:02d}")
stamps = st.one_of(
    st.builds(lambda y, mo, d, h, mi, s, frac, zone: f"{y}-{mo}-{d}T{h}:{mi}:{s}{frac}{zone}",
              st.integers(min_value=1, max_value=9999).map(lambda n: f"{n:04d}"),
              two_digits, two_digits, two_digits, two_digits, two_digits,
              st.sampled_from(["", ".5", ",123", ".123456789"]),
              st.sampled_from(["", "Z", "+05:30", "-0800", "+14:00"])),
    st.builds(lambda mo, d, h, mi, s, frac: f"{mo}-{d} {h}:{mi}:{s}.{frac}  4321  4390 D Tag: ",
              two_digits, two_digits, two_digits, two_digits, two_digits,
              st.sampled_from(["0", "123", "999999"])),
)


@settings(max_examples=300, deadline=None)
@given(first=stamps, second=stamps)
def test_a_cached_timestamp_reads_as_a_fresh_one(first: str, second: str) -> None:
    textscan._BASES.clear()
    fresh = [textscan.parse_timestamp(first), textscan.parse_timestamp(second)]
    cached = [textscan.parse_timestamp(first), textscan.parse_timestamp(second)]
    textscan._BASES.clear()
    assert [textscan.parse_timestamp(second), textscan.parse_timestamp(first)] == fresh[::-1]
    assert cached == fresh


@settings(max_examples=500, deadline=None)
@given(fields=st.tuples(*[st.sampled_from(["00", "01", "02", "12", "13", "28", "29", "30",
                                           "31", "59", "60", "61", "99"])] * 5),
       year=st.sampled_from([None, 2000, 2024, 2026]))
def test_a_base_built_from_its_minute_is_the_datetime_s_own(
        fields: tuple[str, ...], year: int | None) -> None:
    """The cache keeps a minute's base and adds the seconds: the same seconds (or ``None``)
    as a ``datetime`` of every field, for any digits (a second past 59, a day 31 in a
    30-day month, February 29th in a leap year and not), cached or not, as str or bytes."""
    full = ("2026", *fields) if year is None else fields
    numbers = [int(g) for g in full]
    stamp = textscan._datetime(*numbers) if year is None else textscan._datetime(year,
                                                                                 *numbers)
    expected = None if stamp is None else stamp.timestamp()
    textscan._BASES.clear()
    assert textscan._base_seconds(full, year) == expected
    assert textscan._base_seconds(full, year) == expected  # cached
    assert textscan._base_seconds(tuple(g.encode() for g in full), year) == expected


def test_the_timestamp_cache_stays_bounded() -> None:
    textscan._BASES.clear()
    sizes = []
    for i in range(textscan._BASES_MAX + 10):  # a distinct minute each: a new key each
        textscan.parse_timestamp(f"2026-11-{1 + i // 1440:02d}T{i // 60 % 24:02d}:{i % 60:02d}:"
                                 f"{i % 37:02d}Z")
        sizes.append(len(textscan._BASES))
    assert max(sizes) == textscan._BASES_MAX and sizes[-1] < textscan._BASES_MAX


# --- hostile lines: the scan's work stays linear in the line ---------------------------------


def test_a_line_of_unclosed_braces_is_scanned_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # 10 000 of them took 9 s: each brace started a scan to the end of the line
    scans = []
    real = textscan._scan_object

    def counted(text: str, start: int, ends: dict[int, int] | None = None) -> int:
        scans.append(start)
        return real(text, start, ends)
    monkeypatch.setattr(textscan, "_scan_object", counted)
    found, pending = textscan.find_objects("x " + "{" * 2000 + ' {"type": "a"} }')
    assert [obj for _off, obj, _src in found] == [{"type": "a"}]
    assert pending == 2
    assert len(scans) <= 2


def test_whole_rest_is_tried_at_a_few_braces_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # it copies the rest of the line: at each of 200 000 braces, 20 GB
    tries = []
    real = textscan._whole_rest

    def counted(text: str, pos: int) -> tuple[dict[str, object], str] | None:
        tries.append(pos)
        return real(text, pos)
    monkeypatch.setattr(textscan, "_whole_rest", counted)
    found, _pending = textscan.find_objects("x " + "{" * 3000 + "}")
    assert found == [(3001, {}, "{}")]  # the innermost pair, as before
    assert len(tries) <= textscan._WHOLE_REST_TRIES


def test_many_objects_on_a_line_keep_a_bounded_prefix() -> None:
    # each kept its whole line before it: 100 000 objects, 10 GB
    from voicechat.eventlog.textscan import MAX_PREFIX_CHARS

    line = "10:00:00.000 " + '{"type": "response.cancel"} ' * 1000 + "\n"
    found = InlineScanner().feed(line, 1)
    assert len(found) == 1000
    assert found[0].prefix == "10:00:00.000 "
    assert all(len(f.prefix) <= MAX_PREFIX_CHARS for f in found)
    assert all(f.prefix.startswith("10:00:00.000 ") for f in found)
