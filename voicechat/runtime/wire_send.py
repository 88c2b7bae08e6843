"""Putting one event or one mic frame on an open transport, for both links (Realtime and
GPT-Live): what went out is recorded as an ``out`` record; a transport that refuses
(:class:`ConnectError`: the socket or data channel closed under us) costs the event, with a
notice naming it for events and silently for mic frames (the next frame will tell)."""

from __future__ import annotations

from typing import Any

from voicechat.runtime.fanout import EventFanout
from voicechat.transport.auth import ConnectError
from voicechat.transport.base import Int16Array, Transport


def send_event(transport: Transport, event: dict[str, Any], events: EventFanout) -> bool:
    """Send ``event``; ``True`` when it went out (and was recorded)."""
    try:
        transport.send_event(event)
    except ConnectError as exc:
        events.notice("warning", f"not sent ({event.get('type')}): {exc}")
        return False
    events.emit("out", event)
    return True


def send_mic_frame(transport: Transport, frame: Int16Array, events: EventFanout) -> bool:
    """Send one mic frame; ``True`` when it went out (an append it made is recorded)."""
    try:
        event = transport.send_mic(frame)
    except ConnectError:
        return False
    if event is not None:
        events.emit("out", event)
    return True
