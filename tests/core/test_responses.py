"""The response tracker on its own: the slot, the queued create, cancels once, matching errors."""

from __future__ import annotations

from voicechat.core.responses import ResponseTracker, final_status


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
