"""What the TUI's Realtime-only commands do in a GPT-Live conversation.

The TUI drives both families through one :class:`~voicechat.ui.handle.ConversationHandle`.
Some of its commands have no GPT-Live counterpart, and each says so plainly instead of failing:

* ``/image``: gpt-live-1 hears and reads; it takes no pictures (reference §1.3).
* the settings screen and session switching: GPT-Live fixes the model, voice, instructions and
  turn taking when the session starts (``session.update`` changes only Responses delegation,
  reference §2). Decided: the screen does not open, and the notice names the start-up flags.
* the push-to-talk and barge-in keys: the model hears the user all the time and decides itself
  when to yield. The TUI hides both from its footer for a GPT-Live session; pressed anyway,
  they say so (:attr:`LiveLimits.unavailable_keys`, by the keys' binding ids).
* ``ctrl+s`` does work: the turns as the core assembled them (the assistant's as the user
  heard them), as Markdown, through the same renderer and file rules as a Realtime session.

How each command says so is the same for Gemini Live
(:class:`~voicechat.runtime.duplex.runtime.DuplexRuntime`); the words, and what GPT-Live's
pictures, settings and saved turns are, are here.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from voicechat.core.live_settings import LiveSettings

if TYPE_CHECKING:
    from voicechat.config import Settings
    from voicechat.conversation.model import Conversation
    from voicechat.core.live import LiveView

NO_IMAGES = ("GPT-Live takes no pictures (gpt-live-1 hears and reads only); /image works in a "
             "Realtime session (--api realtime)")
NO_PUSH_TO_TALK = ("GPT-Live has no push-to-talk: the model hears you all the time "
                   "(the mute key, m by default, mutes the mic)")
NO_BARGE_IN_SWITCH = ("GPT-Live always listens and the model decides when to yield; "
                      "the cancel key (c by default) stops the assistant")
FIXED_AT_START = ("GPT-Live fixes the voice, instructions and turn taking when the session "
                  "starts; quit and start again with the flags (--voice, --instructions)")


class LiveLimits:
    """Mixed into :class:`~voicechat.runtime.live.runtime.LiveRuntime` (see the module)."""

    settings: Settings

    @property
    @abstractmethod
    def live_view(self) -> LiveView:
        """The core's view of the conversation (the runtime's own)."""

    settings_unavailable: ClassVar[str] = FIXED_AT_START
    unavailable_keys: ClassVar[Mapping[str, str]] = {"talk": NO_PUSH_TO_TALK,
                                                     "barge_in": NO_BARGE_IN_SWITCH}

    def send_image(self, path: str, caption: str = "") -> str | None:
        return NO_IMAGES

    @property
    def live_settings(self) -> LiveSettings:
        return LiveSettings(voice=self.settings.voice, instructions=self.settings.instructions)

    def _conversation(self) -> Conversation:
        """The turns with words, the assistant's as the user heard them."""
        from voicechat.conversation.model import Conversation, Turn

        turns = tuple(
            Turn(speaker=turn.speaker, text=(turn.heard_text if turn.heard_text is not None
                                             else turn.text).strip(),
                 t=turn.start_ms / 1000, status="interrupted" if turn.interrupted else "done")
            for turn in self.live_view.turns if turn.text.strip())
        return Conversation(turns=turns, source="GPT-Live session", model=self.settings.model)
