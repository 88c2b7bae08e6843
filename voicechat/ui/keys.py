"""The app's key bindings, each with a stable id so the config file can remap it.

The ids are the public names users write in their config (``[keys]`` or ``[voicechat.keys]``,
e.g. ``talk = "space"`` or ``cancel = "escape,c"``). Textual applies them through
``App.set_keymap``, so the footer always shows the key that really works.

Most terminals report no key release (Textual has no key-up event; see docs/reference-notes.md,
"Keys"), so "talk" is a toggle by default: one press opens the mic, the next closes it. The footer
and the status bar both say "toggle" so nobody holds the key and wonders why nothing happens. A
terminal that speaks the kitty keyboard protocol does report releases
(``voicechat.ui.key_release``); the app then switches to hold-to-talk and both say "hold".
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
HELP = "help"
EVENTS = "events"
DISMISS = "dismiss"
TOOLS = "tool_details"
SAVE = "save"
SETTINGS = "settings"
LATENCY = "latency"

TALK_HOLD = "talk_hold"
TALK_TOGGLE_LABEL = "Talk (toggle)"
TALK_HOLD_LABEL = "Talk (hold)"

BINDINGS: list[Binding] = [
    Binding("x", "dismiss_problems", "Dismiss", id=DISMISS),
    Binding("space", "talk", TALK_TOGGLE_LABEL, id=TALK, priority=False),
    Binding("m", "mute", "Mute", id=MUTE),
    Binding("b", "barge_in", "Barge-in", id=BARGE_IN),
    Binding("c", "cancel", "Cancel", id=CANCEL),
    Binding("slash", "focus_input", "Type", id=TYPE),
    Binding("question_mark", "key_help", "Keys", id=HELP),
    Binding("q", "quit", "Quit", id=QUIT),
    Binding("e", "toggle_events", "Events", id=EVENTS),
    Binding("f", "cycle_filter", "Filter", id=FILTER, show=False),  # in ? and the palette
    Binding("t", "cycle_theme", "Theme", id=THEME, show=False),  # in ? and the palette
    Binding("s", "settings", "Settings", id=SETTINGS, show=False),  # in ? and the palette
    Binding("o", "tool_details", "Tool details", id=TOOLS, show=False),  # in ? and the palette
    Binding("ctrl+s", "save_conversation", "Save", id=SAVE, show=False),  # in ? and the palette
    Binding("l", "latency", "Latency", id=LATENCY, show=False),  # in ? and the palette
]
"""Default keys. Letters rather than modifiers: they work in every terminal and over SSH.

The order is the footer's: on a narrow terminal it is cut at the right, so what must stay
visible (talk, mute, the key help and quit) comes first; the rest is in the ``?`` help and the
command palette. The theme and event-filter keys are there only (like settings and save): with
them, and the dismiss key a problem banner brings, the footer and its "^p palette" hint did not
fit 80 columns. "Dismiss" shows only while a problem banner is
up, "Talk" only in push-to-talk mode, and the reply keys (barge-in, cancel, type) not in
transcribe mode."""

DESCRIPTIONS: dict[str, str] = {
    DISMISS: "dismiss the problem banner (shown while there is one)",
    TALK: "push-to-talk: a toggle; hold-to-talk where the terminal reports key releases",
    MUTE: "mute / unmute the mic",
    BARGE_IN: "barge-in on / off: your speech interrupts the assistant",
    CANCEL: "cancel: stop the answer, clear playback, truncate to what you heard",
    TYPE: "type a message (Enter sends, Esc goes back)",
    HELP: "this key help",
    QUIT: "quit",
    EVENTS: "show / hide the event pane (hidden by default below 100 columns)",
    FILTER: "event filter: all / no deltas / errors",
    THEME: "next theme",
    TOOLS: "tool calls in the transcript: show / fold their source, full arguments and result",
    SAVE: "save the conversation as Markdown in the user data folder (the path is shown)",
    SETTINGS: "session settings: voice, speed, instructions, turn detection, noise, transcription",
    LATENCY: "latency: every answer's wait for first audio as a bar of its stages",
}
"""What each binding does, for the ``?`` help (the footer has room only for a word)."""

MODE_ACTIONS: dict[str, frozenset[str]] = {
    "talk": frozenset({"ptt"}),
    "talk_hold": frozenset({"ptt"}),
    "barge_in": frozenset({"vad", "ptt"}),
    "cancel": frozenset({"vad", "ptt", "live", "gemini"}),
    "focus_input": frozenset({"vad", "ptt", "live", "gemini"}),
}
"""Actions that only mean something in some modes (by action name); elsewhere they are hidden
from the footer and the palette, and their key does nothing (in a GPT-Live session, mode
``live``, and Gemini Live's, ``gemini``, the talk and barge-in keys say why instead: see
:func:`keys_of`)."""

HOLD_BINDING = Binding("space", "talk_hold", TALK_HOLD_LABEL, id=TALK_HOLD, priority=False)
"""The talk key once the terminal reports key releases: the same key and handler with the hold
label. Textual has no public way to relabel a binding, so the app binds both, right after each
other, and ``check_action`` enables exactly one (a disabled binding is hidden from the footer and
its key falls through to the next binding). Not in :data:`BINDINGS`: the help and the keymap
know one talk key; :func:`app_bindings` and :func:`app_keymap` add its twin."""


WIDE_SPACE = "ideographic_space"
"""Textual's name for U+3000, the space a full-width IME types (Chinese and Japanese input
methods in full-width mode, issue 37): pressed as the talk key it must talk, as ``space`` does,
or push-to-talk "does not work" for those users until they switch the IME to half-width."""

TALK_WIDE = "talk_wide"
TALK_HOLD_WIDE = "talk_hold_wide"
WIDE_BINDINGS = (
    Binding(WIDE_SPACE, "talk", TALK_TOGGLE_LABEL, id=TALK_WIDE, show=False, priority=False),
    Binding(WIDE_SPACE, "talk_hold", TALK_HOLD_LABEL, id=TALK_HOLD_WIDE, show=False,
            priority=False),
)
"""The full-width twins of the two talk bindings: hidden (the footer and the help show one talk
key) and following the talk key (see :func:`app_keymap`). Not user ids: remapping ``talk``
remaps them."""


def with_wide_space(keys: str) -> str:
    """``"space"`` → ``"space,ideographic_space"``: a talk key on the space bar is also the
    full-width IME's space. Any other key spec is returned as it is."""
    names = [k.strip() for k in keys.split(",") if k.strip()]
    if "space" in names and WIDE_SPACE not in names:
        names.append(WIDE_SPACE)
    return ",".join(names)


def app_bindings() -> list[Binding]:
    """The app's bindings: :data:`BINDINGS` with the hold twin right after the talk key, and
    the full-width twins of both (:data:`WIDE_BINDINGS`)."""
    result: list[Binding] = []
    for binding in BINDINGS:
        result.append(binding)
        if binding.id == TALK:
            result.extend((HOLD_BINDING, *WIDE_BINDINGS))
    return result


def app_keymap(user_keymap: Mapping[str, str]) -> dict[str, str]:
    """The user's keymap for ``App.set_keymap``: a remapped talk key remaps its hold twin too,
    and the full-width twins stay on the full-width space while the talk key is on the space
    bar (else they take the talk key itself: a binding id needs a key, and a duplicate of the
    same action is harmless)."""
    keymap = dict(user_keymap)
    if TALK in keymap:
        keymap[TALK_HOLD] = keymap[TALK]
        wide = WIDE_SPACE if "space" in keymap[TALK].split(",") else keymap[TALK]
        keymap[TALK_WIDE] = keymap[TALK_HOLD_WIDE] = wide
    return keymap


KEY_NAMES = {"space": "space", "slash": "/", "question_mark": "?", "escape": "Esc",
             "enter": "Enter", "tab": "Tab"}


def action_available(action: str, mode: str) -> bool:
    """Does ``action`` mean anything in ``mode`` (vad | ptt | transcribe)?"""
    modes = MODE_ACTIONS.get(action)
    return modes is None or mode in modes


def keys_of(binding_id: str, keymap: Mapping[str, str]) -> frozenset[str]:
    """The keys bound to ``binding_id``: the user's remap, else the default (the talk key on
    the space bar includes the full-width space, :data:`WIDE_SPACE`)."""
    spec = keymap.get(binding_id) or ",".join(b.key for b in BINDINGS if b.id == binding_id)
    if binding_id == TALK:
        spec = with_wide_space(spec)
    return frozenset(k.strip() for k in spec.split(",") if k.strip())


def key_label(keys: str) -> str:
    """``"question_mark,f1"`` → ``"? / f1"``: how the help screen writes a binding's keys."""
    return " / ".join(KEY_NAMES.get(k, k) for k in keys.split(","))


def bound_label(binding_id: str, keymap: Mapping[str, str]) -> str:
    """How a hint names the key of ``binding_id`` as the user bound it (``"m"``, ``"F2"``…):
    a toast saying "m unmutes" after ``mute = "F2"`` sends the user to the wrong key."""
    spec = keymap.get(binding_id) or ",".join(b.key for b in BINDINGS if b.id == binding_id)
    return key_label(spec)

BINDING_IDS = frozenset(b.id for b in BINDINGS if b.id)


class KeymapError(ValueError):
    """A ``[keys]`` entry that names no binding or no key, or takes another action's key."""


RESERVED_KEYS = {"ctrl+q": "quit (Textual's own)", "ctrl+c": "quit (Textual's own)",
                 "ctrl+p": "the command palette"}
"""Keys the app framework binds before ours: a remap onto one would never run."""


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
    _refuse_shared_keys(result)
    return result


def _refuse_shared_keys(keymap: Mapping[str, str]) -> None:
    """One key, one action: ``mute = "q"`` took quit's key and quit went silently (issue 55,
    item 13). Every action's keys after the remap, the defaults for the rest, must differ,
    and none may be a key the framework keeps (:data:`RESERVED_KEYS`)."""
    owner: dict[str, str] = {}
    for binding in BINDINGS:
        assert binding.id is not None
        for key in keymap.get(binding.id, binding.key).split(","):
            if key in RESERVED_KEYS and binding.id in keymap:
                raise KeymapError(f"[keys] {binding.id} = \"{keymap[binding.id]}\": {key} is "
                                  f"{RESERVED_KEYS[key]}; give {binding.id} another key")
            other = owner.setdefault(key, binding.id)
            if other == binding.id:
                continue
            mine, theirs = ((binding.id, other) if binding.id in keymap else (other, binding.id))
            raise KeymapError(
                f"[keys] {mine} = \"{keymap[mine]}\": {key} is already the key of {theirs}"
                f"{'' if theirs in keymap else ' (its default)'}; give {mine} a key no other "
                f"action uses, or move {theirs} too ({theirs} = \"…\")")
