"""What the runtime needs from a transport, whichever wire it uses.

A transport moves three things: server events (JSON text, both ways), the microphone (48 kHz mono
int16 in) and the model's audio (48 kHz mono int16 out, tagged with its item id when the wire says
it). It reports its state as one of ``connecting | connected | closed | failed``. Everything else
(what to send, when the mic is open) is the session core's business.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Int16Array = npt.NDArray[np.int16]


@dataclass
class TransportCallbacks:
    """Called on the event loop thread; none of them may block."""

    on_event: Callable[[str], None]
    on_audio: Callable[[Int16Array, str | None], None]
    on_state: Callable[[str, str], None]
    on_notice: Callable[[str, str], None]


class Transport(Protocol):
    kind: str

    async def connect(self) -> None:
        """Connect (minting keys as needed); raises AuthError / ConnectError with clear text."""

    def send_event(self, event: dict[str, Any]) -> None: ...

    def send_mic(self, pcm48: Int16Array) -> dict[str, Any] | None:
        """Send 20 ms of mic audio; returns the wire event when one was sent (WebSocket)."""

    def mic_frames_until_send(self) -> int:
        """How many more 20 ms frames ``send_mic`` takes before audio next goes on the wire
        (at least 1; never more than it really takes): where each frame goes as it comes, 1.
        The mic pump lets the mic hand over that many at once."""

    def drop_pending_mic(self) -> None:
        """Forget mic audio held back for batching: the mic was just muted, and audio from
        before the mute must not reach the server after it."""

    async def close(self) -> None: ...
