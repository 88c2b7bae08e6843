"""One decode of a server frame: canonical event, or a worded problem; never an exception."""

from __future__ import annotations

import pytest

from voicechat.protocol.dialect import Dialect
from voicechat.protocol.frames import decode_server_frame


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
