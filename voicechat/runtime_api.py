"""What the UI may ask of a running conversation: the seam between ``ui/`` and ``runtime.py``.

The TUI (and ``voicechat replay``) codes against :class:`ConversationHandle` only. The real
implementation is :class:`voicechat.runtime.Runtime`; replay and the snapshot tests provide
their own. Keeping the seam this narrow is what lets the UI import neither audio nor transport.

Every event that crosses the wire or happens locally reaches subscribers as a :class:`LogRecord`
— exactly the record the event log stores (docs/architecture.md, "The event log") — so the
event-flow pane, the recorder and ``--no-ui`` all see the same stream.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from voicechat.eventlog.record import LogRecord


@dataclass(frozen=True)
class ConnectionInfo:
    """What the status bar shows about where we are connected."""

    transport: str = "webrtc"  # webrtc | websocket
    server: str = "local"  # local | openai | azure | a URL (never with credentials)
    model: str = ""
    dialect: str = "ga"  # ga | beta
    state: str = "new"  # new | connecting | connected | reconnecting | closed | failed
    detail: str = ""


@dataclass
class Subscribers:
    """A tiny fan-out list; callbacks run on the event loop thread and must not block."""

    callbacks: list[Callable[[LogRecord], None]] = field(default_factory=list)

    def add(self, callback: Callable[[LogRecord], None]) -> Callable[[], None]:
        self.callbacks.append(callback)
        return lambda: self.callbacks.remove(callback) if callback in self.callbacks else None

    def emit(self, record: LogRecord) -> None:
        for callback in list(self.callbacks):
            callback(record)


class ConversationHandle(Protocol):
    """A live (or replayed) conversation as the UI sees it."""

    @property
    def connection(self) -> ConnectionInfo: ...

    @property
    def view(self) -> Any:
        """The session core's read-only view (``voicechat.core`` ``SessionView``)."""

    @property
    def input_level(self) -> float:
        """Mic level 0..1 (RMS, smoothed); polled by the UI, never pushed per audio frame."""

    def subscribe(self, callback: Callable[[LogRecord], None]) -> Callable[[], None]:
        """Call ``callback`` for every record from now on; returns an unsubscribe function."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    # user commands (keys in the TUI); each is safe to call at any time
    def talk_pressed(self) -> None: ...

    def talk_released(self) -> None: ...

    def set_ptt_style(self, style: str) -> None:
        """Switch push-to-talk to ``"toggle"`` or ``"release"`` (hold); kept across reconnects.

        The TUI calls it once it learns the terminal reports key releases."""

    def toggle_mute(self) -> None: ...

    def toggle_barge_in(self) -> None: ...

    def cancel(self) -> None: ...

    def send_text(self, text: str) -> None: ...
