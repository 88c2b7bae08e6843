"""The talk key: a toggle until the terminal proves it reports key releases, then hold-to-talk.

Its own part of the app because it has its own state (toggle or hold) and its own rules: a press
opens (or, as a toggle, closes) the mic; in hold mode the release arrives as
:class:`voicechat.ui.key_release.KeyReleased` and closes it; a terminal that loses focus may never
send the release, so the mic is let go then. The footer's label follows the mode: the app binds
the key twice (toggle and hold labels, :data:`voicechat.ui.keys.HOLD_BINDING`) and
:meth:`TalkKey.enabled` tells ``check_action`` which of the two is live.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import App

from voicechat.ui import key_release, keys
from voicechat.ui.handle import ConversationHandle
from voicechat.ui.viewstate import UiState


class TalkKey:
    """Push-to-talk for one app and one handle (see the module docstring)."""

    def __init__(self, app: App[Any], handle: ConversationHandle,
                 user_keymap: dict[str, str]) -> None:
        self.app = app
        self.handle = handle
        self.user_keymap = user_keymap
        self.hold = False  # True once the terminal has shown it reports key releases

    def pressed(self, mic_state: str, ptt_style: str) -> None:
        """Hold-to-talk: the core opens the mic (and ignores auto-repeat presses while open).

        Toggle (no key release from the terminal): one press opens, the next closes. With
        ``ptt_style = "release"`` configured but no releases reported, the second press is
        delivered as the release."""
        if self.hold:
            self.handle.talk_pressed()
        elif ptt_style == "release" and mic_state == "live":
            self.handle.talk_released()
        else:
            self.handle.talk_pressed()

    def released(self, key: str) -> bool:
        """Releases of the talk key close the mic (True); every other release is ignored."""
        if not key_release.is_release_of(key, self.talk_keys()):
            return False
        self.use_hold()
        self.handle.talk_released()
        return True

    def blurred(self) -> None:
        if self.hold and self.handle.view.ptt_open:
            self.handle.talk_released()

    def use_hold(self) -> bool:
        """Switch push-to-talk to hold (core style "release"); False if it already was."""
        if self.hold:
            return False
        self.hold = True
        self.handle.set_ptt_style("release")
        self.app.refresh_bindings()  # the footer swaps "Talk (toggle)" for "Talk (hold)"
        return True

    def enabled(self, action: str) -> bool:
        """Which of the two talk bindings is live: ``talk`` (toggle) until hold, then
        ``talk_hold``. Any other action is not this part's business (True)."""
        if action == "talk":
            return not self.hold
        if action == "talk_hold":
            return self.hold
        return True

    def talk_keys(self) -> list[str]:
        spec = self.user_keymap.get(keys.TALK) or ",".join(
            b.key for b in keys.BINDINGS if b.id == keys.TALK)
        return spec.split(",")


class TalkKeyActions:
    """The talk key's actions and the key-release messages, mixed into the app (a binding's
    action and a message handler must be the app's)."""

    talk_key: TalkKey
    state: UiState
    sync: Callable[[], None]  # the app's: bring every widget up to date

    @property
    def hold_to_talk(self) -> bool:
        """True once the terminal has shown it reports key releases."""
        return self.talk_key.hold

    def action_talk(self) -> None:
        self.talk_key.pressed(self.state.mic_state, self.state.ptt_style)

    def action_talk_hold(self) -> None:
        """The talk key once it is hold-to-talk (its own binding for the footer's label)."""
        self.action_talk()

    def on_key_event_types_reported(self, message: key_release.KeyEventTypesReported) -> None:
        """Arrives before the first repeat or release, so a held key never toggles."""
        self.use_hold_to_talk()

    def on_key_released(self, message: key_release.KeyReleased) -> None:
        if self.talk_key.released(message.key):
            self.sync()

    def on_app_blur(self) -> None:
        """Hold-to-talk: a terminal that loses focus may never send the release; let go now."""
        self.talk_key.blurred()

    def use_hold_to_talk(self) -> None:
        if self.talk_key.use_hold():
            self.sync()
