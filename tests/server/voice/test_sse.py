"""SseParser: complete events from bytes split anywhere."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from voicechat.server.voice.sse import SseEvent, SseParser

STREAM = (
    ": comment\r\n"
    "data: first\r\n\r\n"
    "event: custom\n"
    "data:no space\n"
    "data:  two spaces\n\n"
    "id: 3\n"
    "data: ünïcödé ☕\r\r"
    "data: [DONE]\n\n"
    "data: unterminated"
).encode()

EXPECTED = [
    SseEvent("message", "first"),
    SseEvent("custom", "no space\n two spaces"),
    SseEvent("message", "ünïcödé ☕"),
    SseEvent("message", "[DONE]"),
]


def test_parses_a_stream_fed_at_once() -> None:
    assert SseParser().feed(STREAM) == EXPECTED


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, len(STREAM)), max_size=12))
def test_any_split_gives_the_same_events(cuts: list[int]) -> None:
    points = sorted({0, len(STREAM), *cuts})
    parser, events = SseParser(), []
    for a, b in itertools.pairwise(points):
        events += parser.feed(STREAM[a:b])
    assert events == EXPECTED
