"""What the UI may ask of a running conversation: the interface the UI codes against.

The UI owns this seam: the TUI (and the UI tests' scripted handle) code against
:class:`ConversationHandle` only, and :class:`voicechat.runtime.Runtime` implements it. The
runtime imports the UI, never the other way round, so the UI imports neither audio nor transport
and a change behind the seam cannot reach a widget.

Every event that crosses the wire or happens locally reaches subscribers as a
:class:`~voicechat.eventlog.record.LogRecord`, exactly the record the event log stores, so the
event-flow pane, the recorder and ``--no-ui`` all see one stream.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from voicechat.core.actions import AskApproval
from voicechat.core.live_settings import LiveSettings
from voicechat.core.view import SessionView
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


@dataclass(frozen=True)
class AecStatus:
    """What the status bar shows about echo cancellation (polled, like the input level).

    ``state``: ``on``, ``off`` (not wanted, or no acoustic path) or ``unavailable`` (wanted but
    it could not start); ``reason`` says why it is off, or what was adapted when it is on.
    ``erle_db`` is the live echo return loss enhancement (how much quieter the echo got),
    ``delay_ms`` the speaker-to-mic delay; both ``None`` until measured.
    """

    state: str = "off"
    reason: str = ""
    erle_db: float | None = None
    delay_ms: float | None = None
    leaking: bool = False


@dataclass(frozen=True)
class SettingsOutcome:
    """What became of a settings change: sent as a ``session.update`` (``event_id``, to match
    the server's answer), or not sent and why (``problem``: the validator's words, in the
    server's own wording)."""

    sent: bool
    problem: str = ""
    event_id: str = ""
    changed: tuple[str, ...] = ()  # what was asked for, in words ("voice marin", …)


@dataclass(frozen=True)
class SwitchTarget:
    """A server or model a new session can move to (a command palette entry)."""

    kind: Literal["server", "model"]
    value: str
    label: str


ApprovalDecision = Literal["once", "always", "deny"]
"""The user's answer to a tool call: run it this once, run this tool without asking for the rest
of the session (the runtime remembers that, by the name the model sees), or refuse it (the model
is told it was denied)."""

ToolPrompt = Callable[[AskApproval], None]
"""Called on the loop when a call needs the user's approval; must not block (the TUI queues a
modal). The answer goes back through :meth:`ConversationHandle.answer_tool`."""


class ConversationHandle(Protocol):
    """A live conversation as the UI sees it."""

    @property
    def connection(self) -> ConnectionInfo: ...

    @property
    def view(self) -> SessionView:
        """The session core's immutable snapshot of the conversation."""

    @property
    def input_level(self) -> float:
        """Mic level 0..1 (RMS, smoothed); polled by the UI, never pushed per audio frame."""

    @property
    def aec(self) -> AecStatus:
        """Echo cancellation state and live figures; polled by the UI."""

    @property
    def settings_unavailable(self) -> str:
        """Why the settings screen and session switching do not open here (an API that fixes
        its settings when the session starts: GPT-Live), said instead; ``""`` where they work."""

    @property
    def unavailable_keys(self) -> Mapping[str, str]:
        """Keys this session has no use for, by binding id (``talk``, ``barge_in``), each with
        why: the footer hides them and a press says so. Empty where every key works."""

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

    def send_image(self, path: str, caption: str = "") -> str | None:
        """Send the picture at ``path`` (``/image``); the problem (nothing sent) or ``None``."""

    @property
    def live_settings(self) -> LiveSettings:
        """The session settings asked for so far (flags, config, the settings screen)."""

    def apply_settings(self, settings: LiveSettings) -> SettingsOutcome:
        """Send what changed with one validated ``session.update``."""

    def switch_targets(self) -> list[SwitchTarget]:
        """The servers and models a new session can move to."""

    async def new_session(self, *, settings: LiveSettings | None = None,
                          server: str | None = None, model: str | None = None) -> None:
        """A new server session seeded with the conversation, with ``settings`` (e.g. a voice
        the old session locked) or on another ``server`` / ``model``; raises on failure and
        the old session goes on."""

    def set_tool_prompt(self, prompt: ToolPrompt | None) -> None:
        """Ask ``prompt`` about tool calls that need approval (the TUI installs its modal at
        mount and removes it at quit); with none, ``ask`` denies and the notice names
        ``--tool-approval auto``."""

    def answer_tool(self, call_id: str, decision: str) -> None:
        """The user's answer to an approval request: ``once``, ``always`` or ``deny``."""

    def save_conversation(self) -> Path | None:
        """Write the conversation so far as Markdown into the user data folder (``ctrl+s``):
        the file's path, or ``None`` when there is no turn yet; :class:`OSError` naming the path
        when it cannot be written. Nothing is written unless this is called."""
