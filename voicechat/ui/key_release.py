"""Real key-release push-to-talk on terminals that speak the kitty keyboard protocol.

Why this exists: Textual 8.2.8 has no key-up event (docs/reference-notes.md, "Keys"). Its Linux
driver turns the kitty keyboard protocol on with flags 1|8|16 but not flag 2 ("report event types"),
and its parser raises ``ValueError`` on the ``CSI code;mods:type u`` sequences flag 2 produces. This
module adds the missing piece in three small parts, installed only on a real terminal:

1. :class:`KeyReleaseDriver` (a ``LinuxDriver``) sets the flags Textual pushed plus flag 2 with
   ``CSI = 27 ; 1 u``. That changes the entry Textual pushed instead of pushing another, so
   Textual's own ``CSI < u`` on exit pops it and the shell is never left in kitty mode. It does
   nothing when ``TEXTUAL_DISABLE_KITTY_KEY`` is set.
2. :func:`install_parser_patch` wraps ``XTermParser._parse_extended_key`` (the one monkeypatch;
   idempotent). A sequence with an event type is rewritten without it and handed to Textual's
   own parser, so keys get exactly the names and characters they always had:

   * ``:1`` press and ``:2`` repeat parse as a press (a held Backspace still deletes);
   * ``:3`` release becomes ``Key("release:<name>", None)``, e.g. ``release:space`` or
     ``release:shift+a``: no character, so it can never type into an input;
   * the first sequence with an event type is preceded by ``Key("kitty_event_types", None)``,
     once per parser, so the app learns releases will come *before* it acts on a repeat;
   * every other sequence goes to Textual's parser untouched.
3. The driver turns those two synthetic keys into :class:`KeyReleased` and
   :class:`KeyEventTypesReported` messages (:func:`translate`) posted to the app, so releases
   never reach widgets at all: the app reacts to the talk key's and swallows the rest.

tmux does not pass the kitty protocol through, so inside tmux (and in any terminal without it)
nothing changes and push-to-talk stays a toggle.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

from textual import constants, events
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import (
    KITTY_DISAMBIGUATE_ESCAPE_CODES,
    KITTY_REPORT_ALL_KEYS,
    KITTY_REPORT_ASSOCIATED_TEXT,
    KITTY_REPORT_EVENT_TYPES,
    LinuxDriver,
)
from textual.keys import _character_to_key
from textual.message import Message

RELEASE_PREFIX: Final = "release:"
"""Key names of release events start with this: ``release:space``."""

EVENT_TYPES_KEY: Final = "kitty_event_types"
"""Synthetic key sent once, before the first key event that carries an event type."""

KITTY_FLAGS: Final = (
    KITTY_DISAMBIGUATE_ESCAPE_CODES
    | KITTY_REPORT_EVENT_TYPES
    | KITTY_REPORT_ALL_KEYS
    | KITTY_REPORT_ASSOCIATED_TEXT
)
"""Textual's own flags (1|8|16) plus 2, report event types: 27."""

SET_FLAGS: Final = f"\x1b[={KITTY_FLAGS};1u"
"""``CSI = flags ; 1 u``: set (mode 1) the flags of the entry on top of the terminal's stack."""

PRESS, REPEAT, RELEASE = "1", "2", "3"

# CSI key-code(s) ; modifiers : event-type [; text] end. Textual's own pattern accepts the colon
# but then fails on int("1:3"); only sequences that carry an event type match this one.
_EVENT_TYPED: Final = re.compile(r"\x1b\[([\d:]*);(\d*):(\d+)((?:;[\d:]*)?)([u~ABCDEFHPQRS])")

_ORIGINAL_ATTR: Final = "_voicechat_original"
_SEEN_ATTR: Final = "_voicechat_event_types_seen"


class KeyReleased(Message):
    """A key was released; ``key`` is its Textual name (``"space"``, ``"shift+a"``)."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key


class KeyEventTypesReported(Message):
    """The terminal reports key event types: releases will arrive, repeats are marked."""


def split_event_type(sequence: str) -> tuple[str, str] | None:
    """``(sequence without its event type, event type)``, or ``None`` if it carries none.

    The rewritten sequence is the one the terminal sends for a plain press (``:1`` and a bare
    ``1`` modifier are implied), so Textual parses it exactly as it parses presses today.
    """
    match = _EVENT_TYPED.fullmatch(sequence)
    if match is None:
        return None
    code, modifiers, event_type, text, end = match.groups()
    if modifiers == "1":  # 1 means "no modifiers"; the terminal omits it for a plain press
        modifiers = ""
    if modifiers or text:
        return f"\x1b[{code};{modifiers}{text}{end}", event_type
    return f"\x1b[{code}{end}", event_type


def _parse_extended_key(self: XTermParser, sequence: str) -> list[events.Key] | None:
    """The wrapper installed over ``XTermParser._parse_extended_key`` (see the module doc)."""
    original = getattr(XTermParser._parse_extended_key, _ORIGINAL_ATTR)
    split = split_event_type(sequence)
    if split is None:
        result: list[events.Key] | None = original(self, sequence)
        return result
    plain, event_type = split
    keys: list[events.Key] | None = original(self, plain)
    if keys is None:
        return None
    if event_type == RELEASE:
        # A release carries no text; one event per key even if the press had several chars.
        keys = [events.Key(RELEASE_PREFIX + keys[0].key, None)] if keys else []
    # press, repeat, and any future type parse as a press
    if not getattr(self, _SEEN_ATTR, False):
        setattr(self, _SEEN_ATTR, True)
        keys = [events.Key(EVENT_TYPES_KEY, None), *keys]
    return keys


def install_parser_patch() -> None:
    """Wrap ``XTermParser._parse_extended_key`` once; calling it again changes nothing.

    Sequences without an event type parse exactly as before, so installing it in a process
    whose terminal never sends them is harmless."""
    current = XTermParser._parse_extended_key
    if getattr(current, _ORIGINAL_ATTR, None) is not None:
        return
    setattr(_parse_extended_key, _ORIGINAL_ATTR, current)
    XTermParser._parse_extended_key = _parse_extended_key  # type: ignore[method-assign,assignment]


def uninstall_parser_patch() -> None:
    """Put Textual's parser back (tests use it to prove the patch is what makes the difference)."""
    original = getattr(XTermParser._parse_extended_key, _ORIGINAL_ATTR, None)
    if original is not None:
        XTermParser._parse_extended_key = original  # type: ignore[method-assign]
        delattr(_parse_extended_key, _ORIGINAL_ATTR)


def parser_patch_installed() -> bool:
    return getattr(XTermParser._parse_extended_key, _ORIGINAL_ATTR, None) is not None


def translate(key: events.Key) -> Message | None:
    """The app message for one of the synthetic keys above, ``None`` for an ordinary key."""
    if key.key == EVENT_TYPES_KEY:
        return KeyEventTypesReported()
    if key.key.startswith(RELEASE_PREFIX):
        return KeyReleased(key.key[len(RELEASE_PREFIX):])
    return None


def _base(key: str) -> str:
    base = key.strip().rpartition("+")[2]
    return _character_to_key(base) if len(base) == 1 else base


def is_release_of(released: str, bound_keys: Iterable[str]) -> bool:
    """Whether releasing ``released`` lets go of a key bound as one of ``bound_keys``.

    Modifiers are ignored: people let go of Ctrl or Shift in any order, and a release must
    never be missed or the mic would stay open."""
    base = _base(released)
    return any(_base(key) == base for key in bound_keys if key.strip())


class KeyReleaseDriver(LinuxDriver):
    """Textual's Linux driver, plus kitty event types and release messages (see module doc)."""

    def start_application_mode(self) -> None:
        install_parser_patch()  # before the input thread starts parsing
        super().start_application_mode()  # type: ignore[no-untyped-call]
        if not constants.DISABLE_KITTY_KEY:
            self.write(SET_FLAGS)
            self.flush()

    def process_message(self, message: Message) -> None:
        if isinstance(message, events.Key):
            translated = translate(message)
            if translated is not None:
                message = translated
        super().process_message(message)


def driver_for(default: type[Any]) -> type[Any]:
    """The driver the app should use: ours in place of the plain Linux driver, else ``default``.

    Headless runs, Pilot tests, Windows and a ``TEXTUAL_DRIVER`` override keep theirs."""
    return KeyReleaseDriver if default is LinuxDriver else default
