"""The session's helpers on their own: audio ledger, response tracker, history, policy merge."""

from __future__ import annotations

import base64

import pytest

from voicechat.core.audio_ledger import AudioLedger
from voicechat.core.history import History
from voicechat.core.policy import deep_merge
from voicechat.core.responses import ResponseTracker, final_status


@pytest.mark.parametrize("nbytes", [0, 1, 2, 3, 4, 47, 48, 4800])
def test_ledger_counts_base64_without_decoding(nbytes: int) -> None:
    ledger = AudioLedger()
    ledger.received("item_a", "resp_1", base64.b64encode(bytes(nbytes)).decode())
    record = ledger.get("item_a")
    assert record is not None and record.received_ms == pytest.approx(nbytes / 48)
    assert ledger.item_of("resp_1") == "item_a"


def test_ledger_follows_the_output_format() -> None:
    ledger = AudioLedger()
    ledger.set_format({"type": "audio/pcm", "rate": 16000})
    assert ledger.bytes_per_ms == 32
    ledger.set_format({"type": "audio/pcma"})
    assert ledger.bytes_per_ms == 8
    ledger.set_format("pcm16")  # beta strings never reach here (mapped to GA); ignored
    assert ledger.bytes_per_ms == 8


def test_ledger_heard_is_played_capped_by_received() -> None:
    ledger = AudioLedger()
    assert ledger.played("item_a", 500) is True
    assert ledger.played("item_a", 400) is False  # cumulative: never goes back
    assert ledger.audio_end_ms("item_a") == 500  # WebRTC: nothing received over events
    ledger.received("item_a", None, base64.b64encode(bytes(48 * 300)).decode())
    assert ledger.audio_end_ms("item_a") == 300
    assert ledger.audio_end_ms("unknown") == 0


def test_tracker_lifecycle() -> None:
    tracker = ResponseTracker()
    tracker.requested("vc_1")
    assert tracker.busy and tracker.cancel_target() is None and tracker.cancel_on_create
    superseded, cancel_now = tracker.created("resp_1")
    assert (superseded, cancel_now) == (None, True)
    assert tracker.info is not None and tracker.info.origin == "client"
    assert tracker.cancel_target() == "resp_1"
    assert tracker.cancel_target() is None  # once per response
    assert tracker.done("resp_1", "cancelled", "client_cancelled")
    assert not tracker.done("resp_1", "completed", None)
    assert not tracker.busy


def test_tracker_request_failure_is_matched_by_event_id() -> None:
    tracker = ResponseTracker()
    tracker.requested("vc_4")
    assert not tracker.request_failed("vc_3", "other")
    assert tracker.request_failed("vc_4", "bad config")
    assert not tracker.busy and tracker.info is not None and tracker.info.status == "failed"


def test_final_status() -> None:
    assert final_status("cancelled") == "cancelled"
    assert final_status("weird") == "completed"
    assert final_status({"x": 1}) == "completed"


def test_history_reuses_its_tuple_until_changed_and_is_bounded() -> None:
    history: History[int] = History(3)
    first = history.frozen()
    assert history.frozen() is first
    for n in range(5):
        history.append(n)
    assert history.frozen() == (2, 3, 4) and history.frozen() is history.frozen()
    history[-1] = 9
    assert history.frozen() == (2, 3, 9)


def test_deep_merge_merges_objects_and_replaces_the_rest() -> None:
    base = {"audio": {"input": {"turn_detection": {"type": "server_vad"}}}, "x": [1]}
    merged = deep_merge(base, {"audio": {"input": {"turn_detection": None}}, "x": [2]})
    assert merged == {"audio": {"input": {"turn_detection": None}}, "x": [2]}
    assert base["audio"]["input"]["turn_detection"] == {"type": "server_vad"}
