"""How much of each assistant audio item was received and really played.

``conversation.item.truncate`` must name exactly what the user heard: never more than was
played (``PlaybackProgress`` from the runtime), and never more than the server sent (WebSocket
audio deltas; on WebRTC the audio travels over RTP and only the played amount is known). The
ledger keeps both figures per item, plus which item carries each response's audio, so a barge-in
can find the item to truncate even when playback reports no item id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_ITEMS = 500


@dataclass
class AudioItem:
    response_id: str | None
    received_ms: float = 0.0
    received_known: bool = False
    played_ms: float = 0.0


class AudioLedger:
    """Received and played milliseconds per assistant audio item (bounded, oldest dropped)."""

    def __init__(self) -> None:
        self.bytes_per_ms = 48.0  # pcm16 at 24 kHz until the session says otherwise
        self._items: dict[str, AudioItem] = {}
        self._by_response: dict[str, str] = {}

    def set_format(self, fmt: Any) -> None:
        """Follow the session's ``audio.output.format`` (GA shape) to size received deltas."""
        if not isinstance(fmt, Mapping):
            return
        kind, rate = fmt.get("type"), fmt.get("rate", 24000)
        if kind == "audio/pcm" and isinstance(rate, int | float) and rate > 0:
            self.bytes_per_ms = rate * 2 / 1000.0
        elif kind in ("audio/pcmu", "audio/pcma"):
            self.bytes_per_ms = 8.0

    def item(self, item_id: str | None, response_id: str | None = None) -> AudioItem | None:
        """The record for ``item_id`` (created on first mention), linked to its response."""
        if item_id is None:
            return None
        record = self._items.get(item_id)
        if record is None:
            record = self._items[item_id] = AudioItem(response_id)
            if len(self._items) > MAX_ITEMS:
                del self._items[next(iter(self._items))]
        if response_id is not None:
            self._by_response[response_id] = item_id
            if len(self._by_response) > MAX_ITEMS:
                del self._by_response[next(iter(self._by_response))]
        return record

    def get(self, item_id: str) -> AudioItem | None:
        return self._items.get(item_id)

    def item_of(self, response_id: str | None) -> str | None:
        return self._by_response.get(response_id) if response_id is not None else None

    def received(self, item_id: str | None, response_id: str | None, b64: str) -> None:
        """Count a base64 audio delta without decoding it."""
        record = self.item(item_id, response_id)
        if record is None:
            return
        padding = 2 if b64.endswith("==") else 1 if b64.endswith("=") else 0
        record.received_ms += max(0, len(b64) * 3 // 4 - padding) / self.bytes_per_ms
        record.received_known = True

    def played(self, item_id: str, played_ms: float) -> bool:
        """Record cumulative playback; ``True`` when it moved forward (audio is flowing)."""
        record = self.item(item_id)
        if record is None or played_ms <= record.played_ms:
            return False
        record.played_ms = played_ms
        return True

    def audio_end_ms(self, item_id: str) -> int:
        """What the user heard of ``item_id``: played, capped at received, whole ms."""
        record = self._items.get(item_id)
        if record is None:
            return 0
        heard = record.played_ms
        if record.received_known:
            heard = min(heard, record.received_ms)
        return max(0, int(heard))
