"""The main screen's tool parts, kept out of the app class: the approval queue installed as the
conversation's tool prompt, what a frame does when the calls changed, the tool-details key.

The prompt is installed when the app is built (nothing asks before the conversation starts,
which is at mount) and removed at quit, when whatever still waits is denied: nobody is left to
answer it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.app import App

from voicechat.ui import keys
from voicechat.ui.approvals import ApprovalQueue
from voicechat.ui.handle import ConversationHandle
from voicechat.ui.tool_calls import ToolCall
from voicechat.ui.widgets.transcript import Transcript


class ToolsOnScreen:
    """See the module docstring."""

    def __init__(self, app: App[Any], handle: ConversationHandle) -> None:
        self._handle = handle
        self.approvals = ApprovalQueue(app, handle.answer_tool)
        handle.set_tool_prompt(self.approvals)

    def calls_changed(self, calls: tuple[ToolCall, ...]) -> None:
        """A frame read new tool calls: a request whose call stopped waiting is withdrawn."""
        self.approvals.keep_waiting(calls)

    def toggle_details(self, transcript: Transcript, key: str = "o") -> str:
        """Show or fold every call's source, full arguments and result; the toast's text
        (``key``: the tool-details key as the user bound it)."""
        shown = not transcript.tool_details
        transcript.set_tool_details(shown)
        return f"tool calls: details shown ({key} folds them)" if shown else "tool calls: folded"

    def stop(self) -> None:
        self._handle.set_tool_prompt(None)
        self.approvals.deny_all()


class ToolKeys:
    """The tool-details action, mixed into the app (a binding's action must be the app's)."""

    tools: ToolsOnScreen
    transcript: Transcript
    _user_keymap: Mapping[str, str]

    def action_tool_details(self) -> None:
        key = keys.bound_label(keys.TOOLS, self._user_keymap)
        self.notify(self.tools.toggle_details(self.transcript, key), timeout=2)  # type: ignore[attr-defined]
