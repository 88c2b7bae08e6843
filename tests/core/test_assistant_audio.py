"""Assistant audio on its own: what a barge-in truncates, and the mic gate kept informed."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st

from tests.core.harness import sends
from voicechat.core.assistant_audio import MAX_CUT, AssistantAudio
from voicechat.core.effects import Effects
from voicechat.core.mic import MicGate, MicReason
from voicechat.core.outbox import Outbox
from voicechat.core.playback import Stop
from voicechat.protocol.dialect import Dialect


def make(webrtc: bool = True) -> tuple[MicGate, Effects, AssistantAudio]:
    gate = MicGate(settle_s=0.4, fallback_s=0.6, mute_for_playback=True)
    effects = Effects(Outbox(Dialect.GA))
    return gate, effects, AssistantAudio(gate, effects, webrtc=webrtc)


def test_playback_transitions_reach_the_gate() -> None:
    gate, _, audio = make()
    audio.start(1.0, "server", "item_a1", "resp_1")
    assert gate.state()[1] is MicReason.PLAYBACK
    audio.start(1.5, "local", None, None)
    assert gate.last_audio_at == 1.5  # a repeated start is evidence that audio flows
    assert audio.stop(2.0, "server", "stopped") is Stop.CONTINUES
    assert gate.next_deadline() is None  # the speaker still plays: no settling yet
    assert audio.stop(2.5, "local", "drained") is Stop.ENDED
    assert gate.next_deadline() == 2.9


def test_truncate_target_prefers_the_item_playing() -> None:
    _, _, audio = make()
    audio.ledger.item("item_a1", "resp_1")
    audio.ledger.item("item_a2", "resp_2")
    assert audio.truncate_target("resp_2") == "item_a2"  # nothing plays: the active response's
    audio.start(1.0, "server", None, "resp_1")
    assert audio.truncate_target(None) == "item_a1"  # the playing response's
    audio.progress(1.5, "item_a2", 300)
    assert audio.truncate_target("resp_1") == "item_a2"  # the item the speaker reports


def test_cut_clears_on_webrtc_truncates_to_heard_and_stops() -> None:
    chunk = base64.b64encode(bytes(48 * 400)).decode()  # 400 ms of pcm16 at 24 kHz
    for webrtc, expected in (
        (True, ["output_audio_buffer.clear", "conversation.item.truncate"]),
        (False, ["conversation.item.truncate"]),
    ):
        gate, effects, audio = make(webrtc)
        audio.ledger.received("item_a1", "resp_1", chunk)
        audio.start(1.0, "local", "item_a1", None)
        audio.progress(1.6, "item_a1", 650.7)
        audio.cut(2.0, "item_a1")
        out = sends(effects.take())
        assert [e["type"] for e in out] == expected
        assert out[-1]["audio_end_ms"] == 400  # 650 ms played, but only 400 were received
        assert not audio.playback.playing
        assert audio.playback.spans[-1].end_reason == "interrupted"
        assert gate.next_deadline() == 2.4


def test_malformed_progress_is_ignored() -> None:
    gate, _, audio = make()
    for played in (float("nan"), float("inf"), "12", None):
        audio.progress(1.0, "item_a1", played)
    audio.progress(1.0, 7, 100)
    assert gate.last_audio_at is None


@given(answers=st.lists(st.booleans(), min_size=1, max_size=40),
       late=st.lists(st.tuples(st.integers(0, 39), st.sampled_from(["started", "delta"])),
                     max_size=30),
       webrtc=st.booleans())
def test_a_cut_answer_stays_cut_whatever_arrives_late(
    answers: list[bool], late: list[tuple[int, str]], webrtc: bool
) -> None:
    """Answers one after another, each cut or played out; then late pieces of any of them
    (a buffer start that crossed the cancel, a delta) in any order: a cut answer's audio is
    always cut and never plays, and an answer played out is never taken for cut (within the
    last :data:`MAX_CUT` cut answers, which is all that can still be in flight)."""
    _, effects, audio = make(webrtc)
    chunk = base64.b64encode(bytes(480)).decode()
    cut: list[int] = []
    for n, is_cut in enumerate(answers):
        item, rid = f"item_{n}", f"resp_{n}"
        audio.handlers()["output_audio_buffer.started"]({"response_id": rid}, float(n))
        audio.ledger.received(item, rid, chunk)
        if is_cut:
            audio.cut(n + 0.5, item, rid)
            cut.append(n)
        else:
            audio.stop(n + 0.5, "server", "stopped")
    effects.take()
    recent = set(cut[-MAX_CUT:])
    for n, kind in late:
        if n >= len(answers):
            continue
        if kind == "started":
            audio.handlers()["output_audio_buffer.started"]({"response_id": f"resp_{n}"}, 99.0)
            if n in recent:
                assert not audio.playback.playing
                assert audio.streaming_response is None
                cleared = [e["type"] for e in sends(effects.take())]
                assert cleared == (["output_audio_buffer.clear"] if webrtc else [])
            else:
                audio.stop(99.5, "server", "stopped")
        else:
            audio.ledger.received(f"item_{n}", f"resp_{n}", chunk)
    for n in range(len(answers)):
        if n in recent:
            assert audio.item_cut(f"item_{n}") and audio.response_cut(f"resp_{n}")
        elif n not in cut:
            assert not audio.item_cut(f"item_{n}") and not audio.response_cut(f"resp_{n}")
