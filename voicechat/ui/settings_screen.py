"""The settings screen (``s``): the session settings a user may change while talking.

A form over :class:`~voicechat.core.live_settings.LiveSettings`: the voice and its speed, the
instructions, turn detection (server VAD with its threshold and silence, or semantic VAD with its
eagerness), noise reduction and the transcription model, language and the words to expect. It
only reads and checks what was typed — a number that is no number is said here, next to the
field — and hands the new settings to the app (``on_apply``), which sends them
(:mod:`voicechat.ui.settings_ui`); the answer (sent, or refused in the server's own words) is
shown on the screen, which stays open on a refusal so it can be fixed.

Empty fields mean "the server's default" and are not sent. ``Esc`` closes without sending.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from voicechat.core.live_settings import (
    EAGERNESS,
    NOISE_REDUCTIONS,
    TURN_DETECTIONS,
    VOICES,
    LiveSettings,
)
from voicechat.ui.handle import SettingsOutcome

Apply = Callable[[LiveSettings], SettingsOutcome]

_TEXT_FIELDS = ("instructions", "transcription_model", "language", "prompt")
_NUMBER_FIELDS = {"speed": float, "threshold": float, "silence_ms": int}
_CHOICES = {"voice": VOICES, "turn_detection": TURN_DETECTIONS, "eagerness": EAGERNESS,
            "noise_reduction": NOISE_REDUCTIONS}
_LABELS = {
    "voice": "Voice", "speed": "Speed (0.25-1.5)", "instructions": "Instructions",
    "turn_detection": "Turn detection", "eagerness": "Eagerness (semantic_vad)",
    "threshold": "Threshold 0-1 (server_vad)", "silence_ms": "Silence ms (server_vad)",
    "noise_reduction": "Noise reduction", "transcription_model": "Transcription model",
    "language": "Language (e.g. en)", "prompt": "Words to expect",
}
ORDER = ("voice", "speed", "instructions", "turn_detection", "eagerness", "threshold",
         "silence_ms", "noise_reduction", "transcription_model", "language", "prompt")


class SettingsScreen(ModalScreen[None]):
    """Edit the live settings; ``Apply`` sends what changed, ``Esc`` closes."""

    DEFAULT_CSS = """
    SettingsScreen { align: center middle; }
    SettingsScreen > #settings { width: 90%; max-width: 90; height: 90%;
                                 border: thick $primary; background: $surface; padding: 0 1; }
    SettingsScreen #settings-form { height: 1fr; }
    SettingsScreen .settings-row { height: auto; }
    SettingsScreen .settings-row Label { width: 28; padding: 1 1 0 0; }
    SettingsScreen .settings-row Input, SettingsScreen .settings-row Select { width: 1fr; }
    SettingsScreen #settings-result { height: auto; padding: 1 0 0 0; }
    SettingsScreen #settings-result.-error { color: $error; text-style: bold; }
    SettingsScreen #settings-buttons { height: auto; align: right middle; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]

    def __init__(self, current: LiveSettings, on_apply: Apply, *, applied: str = "") -> None:
        super().__init__()
        self.current = current
        self._on_apply = on_apply
        self._applied = applied
        self.outcome: SettingsOutcome | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="settings"):
            yield Static("[b]Session settings[/b]: changes go to the server with "
                         "session.update; empty means the server's default.")
            if self._applied:
                yield Static(Text(f"The server runs: {self._applied}"), id="settings-applied")
            with VerticalScroll(id="settings-form"):
                for name in ORDER:
                    with Horizontal(classes="settings-row"):
                        yield Label(_LABELS[name])
                        yield self._field(name)
            yield Static("", id="settings-result")
            with Horizontal(id="settings-buttons"):
                yield Button("Apply", id="settings-apply", variant="primary")
                yield Button("Close", id="settings-close")

    def on_mount(self) -> None:
        # the first field, so typing goes somewhere (issue 36, item 9: nothing had focus)
        self.query_one(f"#set-{ORDER[0]}").focus()

    def _field(self, name: str) -> Input | Select[str]:
        value = getattr(self.current, name)
        if name in _CHOICES:
            options = list(_CHOICES[name])
            if isinstance(value, str) and value not in options:
                options.insert(0, value)  # a custom voice id, say
            return Select([(o, o) for o in options], value=value if value else Select.NULL,
                          allow_blank=True, prompt="(server default)", id=f"set-{name}")
        return Input("" if value is None else f"{value:g}" if isinstance(value, float)
                     else str(value), placeholder="(server default)", id=f"set-{name}")

    def read(self) -> LiveSettings:
        """The settings as the form shows them; :class:`ValueError` names a bad number."""
        values: dict[str, object] = {}
        for name in ORDER:
            widget = self.query_one(f"#set-{name}")
            if isinstance(widget, Select):
                choice = widget.value
                values[name] = choice if isinstance(choice, str) else None
                continue
            assert isinstance(widget, Input)
            text = widget.value.strip()
            if name in _NUMBER_FIELDS:
                try:
                    values[name] = _NUMBER_FIELDS[name](text) if text else None
                except ValueError:
                    raise ValueError(f"{_LABELS[name]}: {text!r} is not a number") from None
            else:
                values[name] = text or None
        return self.current.replace(**values)

    @on(Button.Pressed, "#settings-apply")
    def apply(self) -> None:
        try:
            wanted = self.read()
        except ValueError as exc:
            self._say(str(exc), error=True)
            return
        outcome = self._on_apply(wanted)
        self.outcome = outcome
        if outcome.sent:
            self.current = wanted
            self._say("sent: " + ", ".join(outcome.changed) + " (the status bar shows what "
                      "the server applied)", error=False)
        else:
            self._say(outcome.problem, error=outcome.problem != "nothing changed")

    def _say(self, text: str, *, error: bool) -> None:
        result = self.query_one("#settings-result", Static)
        result.update(Text(text))
        result.set_class(error, "-error")

    @on(Button.Pressed, "#settings-close")
    def action_close(self) -> None:
        self.dismiss(None)
