"""The driver: inputs in, the session's actions drained to the link, the speaker and the log."""

from __future__ import annotations

import asyncio

from tests.runtime.fakes import Parts
from voicechat.core import CancelRequested, PlaybackProgress, ToggleMute


def response_playing(parts: Parts) -> None:
    parts.server_event({"type": "response.created",
                        "response": {"id": "resp_1", "status": "in_progress", "output": []}})
    parts.server_event({"type": "response.output_item.added", "response_id": "resp_1",
                        "output_index": 0, "item": {"id": "item_a1", "type": "message",
                                                    "role": "assistant", "content": []}})
    parts.server_event({"type": "output_audio_buffer.started", "response_id": "resp_1"})
    parts.driver.handle(PlaybackProgress("item_a1", 700))


def done(parts: Parts, rid: str, status: str = "completed") -> None:
    parts.server_event({"type": "response.created",
                        "response": {"id": rid, "status": "in_progress", "output": []}})
    parts.server_event({"type": "response.done",
                        "response": {"id": rid, "status": status, "output": []}})


async def test_actions_go_to_the_link_the_speaker_and_the_log() -> None:
    parts = Parts()
    await parts.link.connect()
    response_playing(parts)
    parts.driver.user("cancel", CancelRequested())
    sent = [e["type"] for e in parts.server.last.sent]
    assert sent[-3:] == ["response.cancel", "output_audio_buffer.clear",
                         "conversation.item.truncate"]
    assert parts.flushed == 1
    flushed = [r.event for r in parts.records if r.event["type"] == "local.playback.flushed"]
    assert flushed == [{"type": "local.playback.flushed", "dropped_ms": 100}]
    assert {"type": "local.key", "action": "cancel"} in [r.event for r in parts.records]


async def test_a_mute_drops_pending_mic_audio_and_is_logged_once_per_change() -> None:
    parts = Parts()
    await parts.link.connect()
    parts.driver.user("toggle_mute", ToggleMute())
    parts.driver.user("toggle_mute", ToggleMute())
    parts.driver.user("toggle_mute", ToggleMute())
    assert parts.server.last.dropped == 2
    mic = [r.event for r in parts.records if r.event["type"].startswith("local.mic.")]
    assert mic == [{"type": "local.mic.unmuted"},
                   {"type": "local.mic.muted", "reason": "user"},
                   {"type": "local.mic.unmuted"},
                   {"type": "local.mic.muted", "reason": "user"}]
    parts.driver.renew()  # the new session re-announces its state: not logged again
    parts.driver.start()
    assert len([r for r in parts.records if r.event["type"].startswith("local.mic.")]) == 4


async def test_renew_keeps_what_the_user_set_and_the_count_of_completed_responses() -> None:
    parts = Parts(barge_in=False)
    await parts.link.connect()
    done(parts, "resp_1")
    done(parts, "resp_2", "cancelled")
    assert parts.driver.completed_responses == 1
    parts.driver.user("toggle_mute", ToggleMute())
    parts.driver.set_ptt_style("release")
    parts.driver.mic_unavailable()
    old = parts.driver.session
    parts.driver.renew()
    assert parts.driver.session is not old
    view = parts.driver.view
    assert view.completed_responses == 0 and parts.driver.completed_responses == 1
    assert view.mic_label == "no device"
    assert view.ptt_style == "release"
    done(parts, "resp_3")
    assert parts.driver.completed_responses == 2


async def test_a_bad_ptt_style_is_refused_and_not_kept() -> None:
    parts = Parts(mode="ptt")
    parts.driver.set_ptt_style("sideways")
    assert parts.driver.policy.ptt_style == "toggle"
    assert any("sideways" in n for n in parts.notices())


async def test_the_timer_reopens_the_mic_after_playback() -> None:
    parts = Parts(barge_in=False, transport="webrtc")
    await parts.link.connect()
    response_playing(parts)
    assert parts.driver.view.mic_label == "muted for playback"
    parts.server_event({"type": "response.done",
                        "response": {"id": "resp_1", "status": "completed", "output": []}})
    parts.server_event({"type": "output_audio_buffer.stopped", "response_id": "resp_1"})
    deadline = parts.driver.session.next_deadline()
    assert deadline is not None
    parts.clock.now = deadline
    for _ in range(100):
        if parts.driver.view.mic_open:
            break
        await asyncio.sleep(0.01)
    assert parts.driver.view.mic_label == "live"
