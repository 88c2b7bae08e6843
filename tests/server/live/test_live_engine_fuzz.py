"""Nothing a client sends makes the GPT-Live engine raise, and whatever it answers parses
strictly with the SDK's models (hypothesis: arbitrary event sequences of known and unknown
types, started or not)."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.server.live.sdk_live_models import problems
from voicechat.protocol.live import names
from voicechat.server.live.engine import LiveEngine, LiveOptions
from voicechat.server.live.ports import DeltaPort
from voicechat.server.voicekit import VoiceKit

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70000) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=10,
)
_FIELDS = st.sampled_from(["session", "content", "delegation_id", "item", "event_id", "audio",
                           "model", "x"])
_event = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from([*names.CLIENT_EVENTS, "response.cancel"])},
                          optional={"event_id": st.text(max_size=4)})
    .flatmap(lambda base: st.dictionaries(_FIELDS, _json, max_size=3).map(
        lambda extra: {**extra, **base})),
    _json,
)
START = {"type": "session.start", "session": {"model": "gpt-live-1"}}


@settings(max_examples=60, deadline=None)
@given(st.booleans(), st.lists(_event, max_size=6))
def test_any_events_never_raise_and_every_answer_parses(start: bool, events: list[Any]) -> None:
    sent: list[dict[str, Any]] = []

    async def run() -> None:
        port = DeltaPort()
        engine = LiveEngine(emit=sent.append, kit=VoiceKit("tone"), port=port, webrtc=False,
                            options=LiveOptions(output_silence=False))
        port.emit = engine.emit
        if start:
            await engine.handle(START)
        for event in events:
            if isinstance(event, dict) and event.get("type") == names.INPUT_AUDIO_APPEND:
                event = {**event, "audio": "!!"}  # keep the VAD model out of the fuzz loop
            await engine.handle(event)
        await engine.finish("close_requested")

    asyncio.run(run())
    found = [p for e in sent for p in problems(e)]
    assert not found, found[:3]
