"""The environment variables ``voicechat --help`` lists, generated from the config schema.

Why generated: the list was written by hand beside the options and fell behind them (no
Gemini key, no ``VOICECHAT_SPEED``, ``_CONNECT_TIMEOUT``, ``_LINK_TIMEOUT`` or ``_AEC``: issue
55). Every variable voicechat reads for a setting is declared once, with its key, in
:data:`voicechat.config_schema.KEYS` (``env``, ``also_env``) or :data:`~voicechat.config_schema.
OTHER_ENV`; this module writes them out. It is imported only when the main help is printed
(:class:`EnvEpilogGroup`), so a plain ``voicechat`` run does not pay for the schema's imports,
and the docs' command-line reference prints the same text (``docs/hooks/reference.py``).
"""

from __future__ import annotations

import textwrap
from typing import Any

from typer.core import TyperGroup

NAME_WIDTH = 26
WIDTH = 100
HEAD = "Environment variables (flags win over them, they win over the config file):"


def environment_lines() -> list[str]:
    """The list, one variable (or a group of ``VOICECHAT_*`` keys) to a line or more."""
    from voicechat.config_schema import KEYS, OTHER_ENV

    lines: list[str] = []
    same_name: list[str] = []  # VOICECHAT_<KEY>: said once for all of them
    for key in KEYS:
        if key.env is None:
            continue
        if key.env == f"VOICECHAT_{key.name.upper()}" and not key.env_doc:
            same_name.append(key.env)
        else:
            lines += _described(key.env, key.env_doc or key.doc)
        for other, when in key.also_env:
            lines += _described(other, when)
    for name, doc in OTHER_ENV:
        lines += _described(name, doc)
    joined = ", ".join([same_name[0], *(name.removeprefix("VOICECHAT") for name in same_name[1:])])
    lines += _wrap(joined, "  ", "  ")
    lines += _wrap("the config key of the same name in lower case (speed, link_timeout, ...), and "
                   "its flag where there is one", " " * (NAME_WIDTH + 2))
    return lines


def _described(name: str, doc: str) -> list[str]:
    indent = " " * (NAME_WIDTH + 2)
    if len(name) > NAME_WIDTH - 2:  # its own line, the text under it
        return [f"  {name}", *_wrap(doc, indent)]
    return _wrap(doc, f"  {name:<{NAME_WIDTH - 2}}  ", indent)


def _wrap(text: str, first: str, rest: str | None = None) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=first,
                         subsequent_indent=first if rest is None else rest,
                         break_long_words=False, break_on_hyphens=False)


def environment_epilog() -> str:
    """The main help's epilog (``\\b``: click prints it as it is, without rewrapping)."""
    return "\b\n" + "\n".join([HEAD, *environment_lines(),
                               "Config file and theme folder: voicechat config path"])


class EnvEpilogGroup(TyperGroup):
    """The main command: its epilog, the environment, made when the help is printed."""

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        self.epilog = environment_epilog()
        super().format_epilog(ctx, formatter)
