"""What the user asks of the server besides speaking: typed text, a picture, new session
settings, new tools. Part of :class:`~voicechat.core.session.Session` (sans-IO: inputs in,
events out through the session's effects).

Each checks what the session allows first (transcribe mode has no conversation; the beta
dialect has no image parts) and says why in a notice rather than sending something the server
would refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from voicechat.core.effects import Effects
from voicechat.core.inputs import SendImage, SendText, SetTools, UpdateSession
from voicechat.core.live_settings import merge_in_place
from voicechat.core.policy import SessionPolicy, declare_tools
from voicechat.core.response_flow import ResponseFlow
from voicechat.core.tool_calls import ToolCalls
from voicechat.protocol.dialect import Dialect


class Requests:
    """See the module docstring. ``policy``/``set_policy`` read and replace the session's
    policy (declaring tools changes it, for a reconnect's session)."""

    def __init__(self, out: Effects, responses: ResponseFlow, tools: ToolCalls,
                 requested: dict[str, Any], policy: Callable[[], SessionPolicy],
                 set_policy: Callable[[SessionPolicy], None]) -> None:
        self._out = out
        self._responses = responses
        self._tools = tools
        self._requested = requested
        self._policy = policy
        self._set_policy = set_policy

    def send_text(self, inp: SendText, now: float) -> None:
        if self._policy().mode == "transcribe":
            self._out.notice("warning", "typed messages are not available in transcribe mode")
        else:
            self._responses.ask(inp.text if isinstance(inp.text, str) else "")

    def send_image(self, inp: SendImage, now: float) -> None:
        """A picture (GA only: the beta dialect has no image parts), then a response."""
        policy = self._policy()
        if policy.mode == "transcribe":
            self._out.notice("warning", "pictures are not available in transcribe mode")
        elif policy.dialect is not Dialect.GA:
            self._out.notice("warning", f"{inp.label} not sent: the beta dialect has no "
                             "images (connect with --dialect ga)")
        else:
            self._responses.ask_with_image(str(inp.image_url), str(inp.caption or ""))

    def update_session(self, inp: UpdateSession, now: float) -> None:
        """Settings changed while talking: one validated ``session.update``; once sent, the
        request is what :mod:`voicechat.core.server_session` compares ``session.updated`` to."""
        kind = "transcription" if self._policy().mode == "transcribe" else "realtime"
        update = {"type": "session.update", "session": {"type": kind, **inp.session}}
        if self._out.send(update) is not None:
            merge_in_place(self._requested, inp.session)

    def set_tools(self, inp: SetTools, now: float) -> None:
        """New function tools (an MCP server's list changed): declare them to the server."""
        specs = tuple(inp.tools)
        self._tools.set_tools(specs)
        policy, update = declare_tools(self._policy(), self._requested, specs)
        self._set_policy(policy)
        if update is not None:
            self._out.send(update)
