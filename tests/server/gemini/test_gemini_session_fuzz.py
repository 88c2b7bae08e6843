"""Nothing a client sends makes the Gemini session raise: every frame is taken or ends in one
close with a Gemini code, and whatever it sent before parses strictly with the SDK's
``LiveServerMessage`` (hypothesis: arbitrary frames of known and unknown keys, set up or not)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.server.gemini.peers import sdk_problems
from voicechat.protocol.gemini import client_messages, names
from voicechat.protocol.gemini.errors import Refusal
from voicechat.server.gemini.conversation import Resumptions
from voicechat.server.gemini.options import GeminiOptions
from voicechat.server.gemini.session import GeminiSession
from voicechat.server.voicekit import VoiceKit

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70000) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=10,
)
_KEYS = st.sampled_from([*names.CLIENT_MESSAGES, "realtime_input", "tool_response",
                         "client_content", "x"])
_INNER = st.sampled_from(["text", "audioStreamEnd", "activityStart", "mediaChunks", "turns",
                          "turnComplete", "functionResponses", "model", "video", "y"])
_frame = st.one_of(
    st.dictionaries(_KEYS, st.dictionaries(_INNER, _json, max_size=2), min_size=1, max_size=2),
    _json,
    st.text(max_size=10),  # not JSON at all
)


@settings(max_examples=60, deadline=None)
@given(st.booleans(), st.lists(_frame, max_size=6))
def test_any_frames_never_raise_and_every_answer_parses(setup: bool, frames: list[Any]) -> None:
    sent: list[dict[str, Any]] = []
    closes: list[Refusal] = []

    async def run() -> None:
        session = GeminiSession(send=sent.append, close=closes.append, kit=VoiceKit("tone"),
                                options=GeminiOptions(), resumptions=Resumptions(60))
        if setup:
            await session.handle(json.dumps(client_messages.setup(modality="TEXT")))
        for frame in frames:
            text = frame if isinstance(frame, str) else json.dumps(frame)
            await session.handle(text)
        await session.stop()

    asyncio.run(run())
    assert len(closes) <= 1
    assert all(c.code in (1007, 1008, 1011) for c in closes)
    found = [p for frame in sent for p in sdk_problems(frame)]
    assert not found, found[:3]
