"""The session policy and the first session.update built from it."""

from __future__ import annotations

from voicechat.core.policy import deep_merge


def test_deep_merge_merges_objects_and_replaces_the_rest() -> None:
    base = {"audio": {"input": {"turn_detection": {"type": "server_vad"}}}, "x": [1]}
    merged = deep_merge(base, {"audio": {"input": {"turn_detection": None}}, "x": [2]})
    assert merged == {"audio": {"input": {"turn_detection": None}}, "x": [2]}
    assert base["audio"]["input"]["turn_detection"] == {"type": "server_vad"}
