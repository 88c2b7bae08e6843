"""The keys that steer the conversation itself, mixed into the app: mute, barge-in, cancel.

Each changes the session through the handle and says what it did in a toast, because the
change may not show anywhere else at once (a cancel with nothing to cancel changes nothing;
a mute with no microphone would have claimed "mic unmuted": issue 36, item 9). A toast that
names a key names the one the user bound (``[voicechat.keys]``), not the default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from voicechat.ui import keys
from voicechat.ui.handle import ConversationHandle
from voicechat.ui.viewstate import UiState


class SessionKeys:
    """``m``, ``b`` and ``c``: a binding's action must be the app's (see the module docstring)."""

    handle: ConversationHandle
    state: UiState
    sync: Callable[[], None]  # the app's: bring every widget up to date
    _user_keymap: Mapping[str, str]

    def action_mute(self) -> None:
        if self.state.mic_reason == "no_device" or self.state.mic_state in {"no_device",
                                                                             "unavailable"}:
            # nothing to mute: "mic unmuted" was a lie (issue 36, item 9)
            typing = keys.bound_label(keys.TYPE, self._user_keymap)
            self.notify("no microphone to mute: give --mic FILE or connect one; typed "  # type: ignore[attr-defined]
                        f"messages work ({typing})", timeout=4)
            return
        self.handle.toggle_mute()
        self.sync()
        muted = self.state.mic_reason == "user"
        unmute = keys.bound_label(keys.MUTE, self._user_keymap)
        self.notify(f"mic muted ({unmute} unmutes)" if muted else "mic unmuted", timeout=2)  # type: ignore[attr-defined]

    def action_barge_in(self) -> None:
        self.handle.toggle_barge_in()
        self.sync()
        self.notify(f"barge-in {'on' if self.state.barge_in else 'off'}", timeout=2)  # type: ignore[attr-defined]

    def action_cancel(self) -> None:
        active = self.state.response_status == "in_progress" or any(
            seg.kind == "assistant" and seg.end is None for seg in self.state.segments)
        self.handle.cancel()
        self.notify("cancelling the response" if active else "nothing to cancel", timeout=2)  # type: ignore[attr-defined]
