"""The audio ledger: received (counted from base64) and played milliseconds per item."""

from __future__ import annotations

import base64

import pytest

from voicechat.core.audio_ledger import AudioLedger


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
