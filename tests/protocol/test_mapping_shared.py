"""The receive path's beta → GA mapping copies only what it changes: same result as the old
deep-copying mapping, and the input is never mutated."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from voicechat.protocol import mapping
from voicechat.protocol.dialect import Dialect

_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=4),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=8)
_PART = st.fixed_dictionaries({"type": st.sampled_from(["text", "audio", "input_audio", "x"])},
                              optional={"transcript": st.text(max_size=4), "extra": _JSON})
_ITEM = st.one_of(_JSON, st.fixed_dictionaries(
    {"id": st.text(max_size=3)},
    optional={"role": st.sampled_from(["assistant", "user"]), "type": st.just("message"),
              "content": st.one_of(st.lists(st.one_of(_PART, _JSON), max_size=3), _JSON)}))
_RESPONSE = st.one_of(_JSON, st.fixed_dictionaries({"id": st.text(max_size=3)}, optional={
    "output": st.one_of(st.lists(_ITEM, max_size=3), _JSON), "input": st.lists(_ITEM, max_size=2),
    "modalities": st.sampled_from([["text", "audio"], ["text"], "odd"]),
    "voice": st.just("alloy"), "output_audio_format": st.sampled_from(["pcm16", "g711_ulaw", 3]),
    "max_response_output_tokens": st.sampled_from([50, "inf"]), "temperature": st.just(0.8),
    "status": st.just("completed"), "usage": _JSON}))
_EVENT = st.fixed_dictionaries(
    {"type": st.sampled_from([
        *sorted(mapping.BETA_TO_GA_SERVER_NAMES), "response.created", "response.done",
        "response.output_item.added", "conversation.item.retrieved", "error"])},
    optional={"item": _ITEM, "response": _RESPONSE, "previous_item_id": st.text(max_size=3),
              "part": _PART, "rate_limits": _JSON, "delta": st.text(max_size=4)})


def _deep_reference(event: dict[str, Any]) -> dict[str, Any]:
    """What the mapping did before: deep-copy everything, then map item and response."""
    out = copy.deepcopy(event)
    kind = out["type"]
    out["type"] = mapping.BETA_TO_GA_SERVER_NAMES.get(kind, kind)
    if isinstance(out.get("item"), dict):
        out["item"] = mapping.item_to_ga(out["item"])
    if isinstance(out.get("response"), dict):
        out["response"] = mapping.response_to_ga(out["response"])
    return out


@given(_EVENT)
def test_shared_mapping_equals_the_deep_copying_one_and_leaves_the_input_alone(
        event: dict[str, Any]) -> None:
    snapshot = json.dumps(event, sort_keys=True)
    mapped = mapping.server_event_to_canonical(event, Dialect.BETA)
    assert mapped == _deep_reference(event)
    assert json.dumps(event, sort_keys=True) == snapshot
    # What changed is new: a renamed part is a new object, so the input keeps its name.
    item = mapped.get("item")
    if isinstance(item, dict) and item.get("role") == "assistant" \
            and isinstance(item.get("content"), list):
        for new, old in zip(item["content"], event["item"]["content"], strict=True):
            assert (new is old) == (new == old)
