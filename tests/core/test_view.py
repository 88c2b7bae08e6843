"""What the view tells the runtime, so the runtime keeps no copy of the core's state."""

from __future__ import annotations

from tests.core.harness import Harness, response_done, response_starts
from voicechat.core import ToggleMute, TransportState


def test_assistant_item_names_the_message_the_latest_response_speaks() -> None:
    h = Harness()
    h.start()
    assert h.view.assistant_item is None
    response_starts(h, "resp_1", "item_a1", None)
    assert h.view.assistant_item == "item_a1"
    h.ev("response.output_item.added", response_id="resp_1", output_index=1,
         item={"id": "fc_1", "type": "function_call", "name": "f", "arguments": ""})
    assert h.view.assistant_item == "item_a1"  # only messages are spoken
    response_done(h, "resp_1", "item_a1", "Hi.")
    response_starts(h, "resp_2", "item_a2", "item_a1")
    assert h.view.assistant_item == "item_a2"


def test_speaker_item_is_the_one_the_server_streams_not_the_latest_response() -> None:
    # A response created while the previous answer still plays (a typed turn, say): the server
    # keeps streaming the previous answer until its buffer stops, so that audio is still the
    # previous item's, and a barge-in must truncate by what was heard of each
    h = Harness()
    h.start()
    response_starts(h, "resp_1", "item_a1", None)
    assert h.view.speaker_item == "item_a1"  # nothing streams yet: the latest response's
    h.ev("output_audio_buffer.started", response_id="resp_1")
    response_done(h, "resp_1", "item_a1", "A long answer.")
    response_starts(h, "resp_2", "item_a2", "item_a1")
    assert h.view.assistant_item == "item_a2"
    assert h.view.speaker_item == "item_a1"
    h.ev("output_audio_buffer.stopped", response_id="resp_1")
    assert h.view.speaker_item == "item_a2"
    h.ev("output_audio_buffer.started", response_id="resp_2")
    assert h.view.speaker_item == "item_a2"
    h.ev("output_audio_buffer.cleared", response_id="resp_2")
    response_starts(h, "resp_3", "item_a3", "item_a2")
    assert h.view.speaker_item == "item_a3"


def test_server_playing_follows_the_output_audio_buffer() -> None:
    h = Harness()
    h.start()
    response_starts(h, "resp_1", "item_a1", None)
    assert not h.view.server_playing
    h.ev("output_audio_buffer.started", response_id="resp_1")
    assert h.view.server_playing
    h.ev("output_audio_buffer.stopped", response_id="resp_1")
    assert not h.view.server_playing
    h.ev("output_audio_buffer.started", response_id="resp_1")
    h.do(TransportState("closed"))  # a lost connection plays nothing any more
    assert not h.view.server_playing


def test_completed_responses_counts_each_completed_response_once() -> None:
    h = Harness()
    h.start()
    response_starts(h, "resp_1", "item_a1", None)
    response_done(h, "resp_1", "item_a1", "Hi.")
    response_done(h, "resp_1", "item_a1", "Hi.")  # a repeat ends nothing
    response_starts(h, "resp_2", "item_a2", "item_a1")
    response_done(h, "resp_2", "item_a2", "Stop", status="cancelled")
    assert h.view.completed_responses == 1


def test_mic_open_is_the_gate_being_live() -> None:
    h = Harness()
    h.start()
    assert h.view.mic_open
    h.do(ToggleMute())
    assert not h.view.mic_open
    ptt = Harness(mode="ptt")
    ptt.start()
    assert not ptt.view.mic_open
