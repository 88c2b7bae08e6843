"""The app's key bindings, each with a stable id so the config file can remap it.

The ids are the public names users write in their config (``[keys]`` table, e.g.
``talk = "space"`` or ``cancel = "escape,c"``). Textual applies them through ``App.set_keymap``,
so the footer always shows the key that really works.

Most terminals report no key release (Textual has no key-up event; see textual-and-style.md A1),
so "talk" is a toggle by default: one press opens the mic, the next closes it. The footer and the
status bar both say "toggle" so nobody holds the key and wonders why nothing happens. A terminal
that speaks the kitty keyboard protocol does report releases (``voicechat.ui.key_release``); the
app then switches to hold-to-talk and both say "hold".
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.binding import Binding

TALK = "talk"
BARGE_IN = "barge_in"
CANCEL = "cancel"
MUTE = "mute"
TYPE = "type"
FILTER = "filter"
THEME = "theme"
QUIT = "quit"

TALK_TOGGLE_LABEL = "Talk (toggle)"
TALK_HOLD_LABEL = "Talk (hold)"

BINDINGS: list[Binding] = [
    Binding("space", "talk", TALK_TOGGLE_LABEL, id=TALK, priority=False),
    Binding("m", "mute", "Mute", id=MUTE),
    Binding("b", "barge_in", "Barge-in", id=BARGE_IN),
    Binding("c", "cancel", "Cancel", id=CANCEL),
    Binding("slash", "focus_input", "Type", id=TYPE),
    Binding("f", "cycle_filter", "Filter", id=FILTER),
    Binding("t", "cycle_theme", "Theme", id=THEME),
    Binding("q", "quit", "Quit", id=QUIT),
]
"""Default keys. Letters rather than modifiers: they work in every terminal and over SSH."""

BINDING_IDS = frozenset(b.id for b in BINDINGS if b.id)


class KeymapError(ValueError):
    """A ``[keys]`` entry that names no binding or no key."""


def validate_keymap(keymap: Mapping[str, object] | None) -> dict[str, str]:
    """Check a user keymap (binding id -> "key[,key…]") and return it normalised.

    Raises :class:`KeymapError` naming the bad entry and the valid ids, because a silently
    ignored remap is worse than a clear complaint at start-up.
    """
    if not keymap:
        return {}
    result: dict[str, str] = {}
    for binding_id, keys in keymap.items():
        if binding_id not in BINDING_IDS:
            valid = ", ".join(sorted(BINDING_IDS))
            raise KeymapError(f"[keys] {binding_id!r} is not a key binding; valid ids: {valid}")
        if not isinstance(keys, str) or not keys.strip():
            raise KeymapError(
                f"[keys] {binding_id} must be a key name such as \"space\" or \"ctrl+t\""
            )
        result[binding_id] = ",".join(k.strip() for k in keys.split(",") if k.strip())
    return result
