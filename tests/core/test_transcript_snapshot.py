"""The transcript's snapshot is kept up to date piecemeal (one element per changed entry): a
read between any two changes must not change what a later read shows."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from voicechat.core.transcript import ROOT, Transcript

_IDS = st.sampled_from(["a", "b", "c", "d"])
_PREV = st.one_of(st.none(), st.just(ROOT), _IDS)
_STATUS = st.sampled_from(["pending", "streaming", "done", "failed", "incomplete",
                           "untranscribed"])
_OPS = st.one_of(
    st.tuples(st.just("append"), _IDS, st.sampled_from(["x", "yz"]),
              st.sampled_from(["user", "assistant"])),
    st.tuples(st.just("set_text"), _IDS, st.sampled_from(["t", "u v"]),
              st.sampled_from(["user", "assistant"]), st.one_of(st.none(), _STATUS)),
    st.tuples(st.just("set_status"), _IDS, _STATUS),
    st.tuples(st.just("fail"), _IDS, st.just("boom")),
    st.tuples(st.just("mark_truncated"), _IDS),
    st.tuples(st.just("remove"), _IDS),
    st.tuples(st.just("set_transcription"), st.booleans()),
    st.tuples(st.just("user_audio"), _IDS, _PREV, st.booleans()),
    st.tuples(st.just("item"), _IDS, st.sampled_from(["user", "assistant"]), _PREV,
              st.booleans(), st.booleans()),
    st.tuples(st.just("get"), _IDS),
)


def _apply(transcript: Transcript, op: tuple[Any, ...]) -> None:
    name, *args = op
    if name == "set_text":
        transcript.set_text(*args)
    elif name == "user_audio":
        transcript.user_audio(args[0], args[1], has_prev=args[2])
    elif name == "item":
        item_id, role, previous, has_prev, final = args
        item = {"id": item_id, "type": "message", "role": role,
                "content": [{"type": "output_audio" if role == "assistant" else "input_audio",
                             "transcript": "said"}]}
        transcript.item(item, previous, has_prev=has_prev, final=final)
    elif name == "get":
        transcript.get(args[0])
    else:
        getattr(transcript, name)(*args)


@settings(max_examples=300)
@given(st.lists(st.tuples(_OPS, st.booleans()), max_size=40))
def test_reading_between_changes_does_not_change_the_result(
        ops: list[tuple[tuple[Any, ...], bool]]) -> None:
    read_often, read_once = Transcript(transcription=True), Transcript(transcription=True)
    for op, read in ops:
        _apply(read_often, op)
        _apply(read_once, op)
        if read:
            read_often.snapshot()
    assert read_often.snapshot() == read_once.snapshot()
