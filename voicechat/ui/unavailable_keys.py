"""Keys a session has no use for say so, mixed into the app.

A GPT-Live session has no push-to-talk and no barge-in switch (the model hears all the time
and decides turns itself): the footer hides those keys, so their bindings are disabled and a
press lands in :meth:`UnavailableKeys.on_key`. Rather than do nothing, the handle is told
(it notices why in the event log) and a toast says why. The handle names such keys by binding
id in ``ConversationHandle.unavailable_keys``; a Realtime session has none, but in its
hands-free mode the talk key says the same kind of thing (issue 36, item 9: it did nothing).
In transcribe mode the reply keys (type, barge-in, cancel) say why too: it writes captions of
the mic in a transcription session, which takes no messages and gives no answers (issue 55,
item 13: ``/`` did nothing there, and the README said it worked in any mode).
"""

from __future__ import annotations

from collections.abc import Mapping

from textual import events

from voicechat.ui import keys
from voicechat.ui.handle import ConversationHandle
from voicechat.ui.viewstate import UiState

HANDS_FREE_TALK = ("push-to-talk is off: in hands-free mode (VAD) just speak; "
                   "for push-to-talk start with --mode ptt")
CAPTIONS_ONLY = ("transcribe mode only writes captions of what the mic hears: nothing answers, "
                 "so there is nothing to type to, cancel or interrupt; start with --mode vad "
                 "(or ptt) to talk with the model")
REPLY_KEYS = (keys.TYPE, keys.CANCEL, keys.BARGE_IN)


class UnavailableKeys:
    """See the module docstring."""

    handle: ConversationHandle
    state: UiState
    _user_keymap: Mapping[str, str]

    def on_key(self, event: events.Key) -> None:
        if self.state.mode == "vad" and event.key in keys.keys_of(keys.TALK, self._user_keymap):
            # hands-free: the talk key has no binding to run, and silence read as a broken key
            event.stop()
            self.notify(HANDS_FREE_TALK, timeout=4)  # type: ignore[attr-defined]
            return
        if self.state.mode == "transcribe" and any(
                event.key in keys.keys_of(binding_id, self._user_keymap)
                for binding_id in REPLY_KEYS):
            event.stop()
            self.notify(CAPTIONS_ONLY, timeout=5)  # type: ignore[attr-defined]
            return
        for binding_id, why in self.handle.unavailable_keys.items():
            if event.key in keys.keys_of(binding_id, self._user_keymap):
                event.stop()
                if binding_id == keys.BARGE_IN:
                    self.handle.toggle_barge_in()
                else:
                    self.handle.talk_pressed()
                self.notify(why, timeout=4)  # type: ignore[attr-defined]
                return
