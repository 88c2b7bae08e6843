"""Out-of-band responses: the ones a client asks for beside the conversation.

A ``response.create`` with ``conversation: "none"`` (GA) runs outside the conversation: the
server answers with ``response.conversation_id: null``, and its output joins no conversation.
Apps use it to classify or transcribe a turn while the conversation's own reply plays. Real
recordings show it (tests/fixtures/realtime/): taken for a reply, such a response put the
user's own words in the assistant's mouth and was reported as started "while another was still
active". The session asks :class:`SideResponses` first and leaves the events it claims out of
the transcript, the response gating and playback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_MAX_TRACKED = 64


class SideResponses:
    """Remembers which responses are out of band (``response.created`` to ``.done``) and which
    items they made (the real service still sends ``conversation.item.done`` for those)."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._items: set[str] = set()
        #: some out-of-band response or item is in flight; while not, only a
        #: ``response.created`` can be claimed (the session's per-event check skips the call)
        self.tracking = False

    def claims(self, event: Mapping[str, Any]) -> bool:
        """Whether ``event`` belongs to an out-of-band response (and so not to the session)."""
        claimed = self._claims(event)
        if claimed:  # the only case in which the sets change
            self.tracking = bool(self._ids or self._items)
        return claimed

    def _claims(self, event: Mapping[str, Any]) -> bool:
        kind = event.get("type")
        if not isinstance(kind, str):
            return False
        if not self.tracking and kind != "response.created":
            return False  # the hot path: no side response in flight, so nothing else can be one
        if kind.startswith("conversation.item."):
            return self._names_side_item(event)
        if not kind.startswith("response."):
            return False
        response = event.get("response")
        if kind == "response.created" and isinstance(response, Mapping):
            rid = response.get("id")
            if (isinstance(rid, str) and "conversation_id" in response
                    and response["conversation_id"] is None):
                if len(self._ids) < _MAX_TRACKED:
                    self._ids.add(rid)
                return True
            return False
        rid = event.get("response_id")
        if rid is None and isinstance(response, Mapping):
            rid = response.get("id")
        if not isinstance(rid, str) or rid not in self._ids:
            return False
        item = event.get("item")
        if kind == "response.output_item.added" and isinstance(item, Mapping):
            item_id = item.get("id")
            if isinstance(item_id, str) and len(self._items) < _MAX_TRACKED:
                self._items.add(item_id)
        if kind == "response.done":
            self._ids.discard(rid)
        return True

    def _names_side_item(self, event: Mapping[str, Any]) -> bool:
        item = event.get("item")
        item_id = item.get("id") if isinstance(item, Mapping) else event.get("item_id")
        if not isinstance(item_id, str) or item_id not in self._items:
            return False
        if event.get("type") == "conversation.item.done":
            self._items.discard(item_id)
        return True
