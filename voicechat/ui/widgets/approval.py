"""The approval modal: may the model run this tool, with these arguments?

It shows what a person needs to decide — the tool (and its own name when it was renamed for the
model), where it runs (an MCP server, a command, a hosted MCP server) and the arguments as
indented JSON, scrollable, with control characters escaped and secrets masked
(:mod:`voicechat.ui.tool_text`) — and three answers, each on a key shown on its button:
``y`` once, ``a`` always for this tool in this session, ``n`` deny. Escape denies: closing
the question must never run the tool. The arguments pane has the focus, so ↑/↓ scroll long
arguments and a stray Enter presses nothing.

When more calls wait behind this one (:mod:`voicechat.ui.approvals` queues them), the title
says how many, so nobody wonders why a second modal follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from voicechat.ui.handle import ApprovalDecision
from voicechat.ui.tool_text import pretty_arguments, safe


@dataclass(frozen=True)
class ApprovalRequest:
    """One tool call waiting for the user's yes or no (``tool_approval = "ask"``).

    ``id`` is the call's ``call_id``; ``tool`` the name the model sees, ``original`` the tool's
    own name at its source when it had to be renamed; ``source`` says where it runs, for people
    ("MCP server 'files'", "command", "hosted MCP server 'deepwiki'"); ``arguments`` is the JSON
    text as the model sent it, which may be invalid.
    """

    id: str
    tool: str
    source: str
    arguments: str
    original: str = ""


class ApprovalScreen(ModalScreen[ApprovalDecision]):
    """Ask about one tool call; dismissed with ``"once"``, ``"always"`` or ``"deny"``."""

    DEFAULT_CSS = """
    ApprovalScreen { align: center middle; }
    ApprovalScreen > #approval { width: 90%; max-width: 100; height: auto; max-height: 90%;
                                 border: thick $warning; background: $surface; padding: 0 1; }
    ApprovalScreen #approval-title { text-style: bold; color: $warning; }
    ApprovalScreen #approval-waiting { color: $text-muted; }
    ApprovalScreen #approval-args { height: auto; max-height: 18; border: round $panel;
                                    background: $boost; }
    ApprovalScreen #approval-args:focus { border: round $primary; }
    ApprovalScreen #approval-buttons { height: auto; margin-top: 1; }
    ApprovalScreen #approval-buttons Button { margin-right: 2; min-width: 12; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "decide('once')", "Allow once", show=False),
        Binding("a", "decide('always')", "Always", show=False),
        Binding("n", "decide('deny')", "Deny", show=False),
        Binding("escape", "decide('deny')", "Deny", show=False),
    ]

    AUTO_FOCUS = "#approval-args"

    def __init__(self, request: ApprovalRequest, *, waiting: int = 0) -> None:
        super().__init__()
        self.request = request
        self._waiting = waiting
        self.withdrawn = False

    def compose(self) -> ComposeResult:
        request = self.request
        pretty, valid = pretty_arguments(request.arguments)
        tool = safe(request.tool, keep_newlines=False)
        with Vertical(id="approval"):
            yield Static("Allow this tool call?", id="approval-title")
            yield Static(self._waiting_text(), id="approval-waiting")
            yield Static(self._facts(), id="approval-facts")
            label = "Arguments" if valid else "Arguments (not valid JSON: the tool gets an error)"
            yield Static(Text(label, style="bold"))
            with VerticalScroll(id="approval-args"):
                yield Static(Text(pretty or "(none)"), id="approval-args-text")
            with Horizontal(id="approval-buttons"):
                # Text, not markup: "[y]" is no tag, and a tool's name is not ours to parse
                yield Button(Text("[y] Allow once"), id="once", variant="primary")
                yield Button(Text(f"[a] Always allow {tool}"), id="always")
                yield Button(Text("[n] Deny (Esc)"), id="deny", variant="error")

    def on_mount(self) -> None:
        self._fit(self.app.size.height)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(self.app.size.height)

    def _fit(self, height: int) -> None:
        """The arguments pane takes what the rest leaves of the screen, so the answers stay
        visible on 24 rows; long arguments scroll inside it."""
        args, waiting = self.query("#approval-args"), self.query("#approval-waiting")
        if not args or not waiting:
            # a resize that came while the children are not there (before they mount: on_mount
            # fits them; or as the screen is taken down, when a reconnect withdrew the call):
            # nothing to fit. It raised NoMatches and failed the app in a full-suite run.
            return
        others = 11 + (1 if self._waiting_text() else 0)  # borders, facts, buttons
        pane = max(4, min(18, int(height * 0.9) - others))
        args.first().styles.max_height = pane
        waiting.first().display = bool(self._waiting_text())

    def _facts(self) -> Text:
        request = self.request
        text = Text()
        text.append("Tool    ", style="dim")
        text.append(safe(request.tool, keep_newlines=False), style="bold")
        if request.original and request.original != request.tool:
            text.append(f"  ({safe(request.original, keep_newlines=False)} at its source)",
                        style="dim")
        text.append("\nSource  ", style="dim")
        text.append(safe(request.source, keep_newlines=False) or "unknown")
        return text

    def _waiting_text(self) -> str:
        if self.withdrawn:
            return "Withdrawn: the response was cancelled. Any answer just closes this."
        if self._waiting <= 0:
            return ""
        calls = "call" if self._waiting == 1 else "calls"
        return f"{self._waiting} more {calls} waiting after this one"

    def set_waiting(self, waiting: int) -> None:
        """How many requests wait behind this one (the queue grows while the modal is open)."""
        self._waiting = waiting
        if self.is_mounted:
            self.query_one("#approval-waiting", Static).update(self._waiting_text())
            self._fit(self.app.size.height)

    def withdraw(self) -> None:
        """The call no longer waits (its response was cancelled) but another screen covers
        this one, so it cannot close itself; say so until the user answers."""
        self.withdrawn = True
        if self.is_mounted:
            self.query_one("#approval-waiting", Static).update(self._waiting_text())
            self._fit(self.app.size.height)

    @property
    def arguments_text(self) -> str:
        """The arguments as shown (for tests)."""
        return str(self.query_one("#approval-args-text", Static).render())

    def action_decide(self, decision: ApprovalDecision) -> None:
        self.dismiss(decision)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        decision = event.button.id
        if decision in ("once", "always", "deny"):
            self.dismiss(decision)  # type: ignore[arg-type]
