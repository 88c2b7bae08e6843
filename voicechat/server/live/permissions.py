"""``client.data_channel``: what an untrusted WebRTC frontend may send and receive (sans-IO).

The startup config may limit the frontend's data channel: ``allowed_client_events`` (``"all"``
or a list of types; ``[]`` allows none) and ``allowed_server_events`` (``"all"`` or a list of
``{type, response_event?}`` selectors, ``response_event`` narrowing ``response.event`` to one
nested type). Sidebands are never limited. The server tells the frontend what applies with
``info{code: "data_channel_permissions"}`` (SDK ``InfoEvent``), which always reaches it.

[infer] The wording of that notice and of the refusal of a command the frontend may not send
(``error`` code ``event_not_allowed``) are ours: nobody has published the real ones. A refusal
is itself a server event, so it reaches the frontend only when ``error`` is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voicechat.protocol.live import names
from voicechat.protocol.live.errors import LiveError

INFO_CODE = "data_channel_permissions"
NOT_ALLOWED = "event_not_allowed"


@dataclass(frozen=True)
class DataChannelPermissions:
    """``None`` means all (the default when the config says nothing)."""

    client: frozenset[str] | None = None
    server: tuple[tuple[str, str | None], ...] | None = None

    @classmethod
    def from_config(cls, client_config: Any) -> DataChannelPermissions:
        channel = client_config.get("data_channel") if isinstance(client_config, Mapping) else None
        if not isinstance(channel, Mapping):
            return cls()
        client = channel.get("allowed_client_events")
        server = channel.get("allowed_server_events")
        return cls(
            client=frozenset(client) if isinstance(client, list) else None,
            server=tuple((str(s.get("type")), s.get("response_event")) for s in server
                         if isinstance(s, Mapping)) if isinstance(server, list) else None,
        )

    @property
    def limited(self) -> bool:
        return self.client is not None or self.server is not None

    def allows_client(self, kind: str) -> bool:
        return self.client is None or kind in self.client

    def allows_server(self, event: Mapping[str, Any]) -> bool:
        kind = event.get("type")
        if self.server is None or (kind == names.INFO and event.get("code") == INFO_CODE):
            return True
        nested = event.get("event")
        nested_type = nested.get("type") if isinstance(nested, Mapping) else None
        return any(kind == wanted and (narrow is None or narrow == nested_type)
                   for wanted, narrow in self.server)

    def notice(self) -> dict[str, Any]:
        """The ``info`` event that tells the frontend what applies."""
        def show(value: Any) -> str:
            return "all" if value is None else ", ".join(sorted(str(v) for v in value)) or "none"

        server = None if self.server is None else [
            t if n is None else f"{t}:{n}" for t, n in self.server]
        return {"type": names.INFO, "code": INFO_CODE,
                "message": f"This data channel may send: {show(self.client)}; and receives: "
                           f"{show(server)}. Sideband connections are not limited."}

    @staticmethod
    def refusal(kind: str) -> LiveError:
        return LiveError(NOT_ALLOWED, f"'{kind}' is not among this data channel's "
                         "allowed_client_events (client.data_channel); send it from a sideband "
                         "on your server instead.", "type")
