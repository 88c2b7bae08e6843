"""One decode of a server frame: canonical event, or a worded problem; never an exception."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicechat.protocol.dialect import Dialect
from voicechat.protocol.frames import canonical_event, decode_server_frame


def test_beta_frame_is_mapped_to_ga_and_keeps_its_wire_form() -> None:
    frame = decode_server_frame('{"type":"response.audio.delta","delta":"AAAA"}', Dialect.BETA)
    assert frame.problem is None
    assert frame.wire == {"type": "response.audio.delta", "delta": "AAAA"}
    assert frame.canonical is not None
    assert frame.canonical["type"] == "response.output_audio.delta"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"type": 5}', "without a 'type' string"),
    ],
)
def test_bad_frames_come_back_with_a_problem(data: str | bytes, words: str) -> None:
    frame = decode_server_frame(data, Dialect.GA)
    assert frame.canonical is None and frame.wire is None
    assert frame.problem is not None and words in frame.problem


_FRAME_TEXT = st.one_of(
    st.sampled_from(["", "not json", "[1]", '{"type": 3}', "{}", '{"type": "x.y"}', "NaN",
                     '{"type": "response.audio.delta", "delta": "AA"}',
                     '{"type": "conversation.item.created", "item": {"id": "i", "role": '
                     '"assistant", "content": [{"type": "audio"}]}}',
                     '{"type": "response.done", "response": 5}', b'{"type": "a.b"}',
                     b'\xff{"type"', '{"type": "session.created", "session": {"voice": 1}}']),
    st.builds(json.dumps, st.fixed_dictionaries({"type": st.text(max_size=30)}, optional={
        "item": st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        "delta": st.text(max_size=3)})),
)


@given(_FRAME_TEXT, st.sampled_from([Dialect.GA, Dialect.BETA]))
def test_canonical_event_is_the_frames_canonical_event(data: str | bytes,
                                                       dialect: Dialect) -> None:
    fast = canonical_event(data, dialect)
    frame = decode_server_frame(data, dialect)
    if fast is not None:
        assert fast == frame.canonical
    else:  # the slow path then reports a problem, or takes what only the stdlib accepts
        try:
            orjson.loads(data)
            stdlib_only = False
        except orjson.JSONDecodeError:
            stdlib_only = True
        assert frame.canonical is None or stdlib_only
