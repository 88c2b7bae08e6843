"""Check a GPT-Live server event against the official SDK's models, strictly.

``openai.types.live`` (openai 3.52.0) parses events into pydantic models that allow unknown
keys, so a plain parse would accept an invented field. :func:`problems` parses with the SDK's
server union (``ServerEvent``, or the sideband's ``ConnectServerEvent``) and then walks the
model beside the raw event: any key the model does not declare is a problem. Nothing is exempt:
every field the local server sends is one the SDK declares.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openai.types.live import ServerEvent
from openai.types.live.connect_server_event import ConnectServerEvent
from pydantic import TypeAdapter, ValidationError

from tests.server.sdk_models import _undeclared

PRIMARY: TypeAdapter[Any] = TypeAdapter(ServerEvent)
SIDEBAND: TypeAdapter[Any] = TypeAdapter(ConnectServerEvent)


def problems(event: Mapping[str, Any], *, sideband: bool = False) -> list[str]:
    kind = str(event.get("type"))
    try:
        model = (SIDEBAND if sideband else PRIMARY).validate_python(event)
    except ValidationError as exc:
        return [f"{kind}: {exc}"]
    found: list[str] = []
    _undeclared(model, event, "", found)
    # ResponseEvent.event is a free-form Dict in the SDK: its inside is not declared
    return [f"{kind}: undeclared field {path!r}" for path in found
            if not path.startswith("event.")]
