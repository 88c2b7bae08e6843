"""MkDocs hook: the reference pages are generated from the code at every build.

A page holds a marker, ``<!-- generated: cli -->``, ``<!-- generated: config -->`` or
``<!-- generated: doctor-rules -->``, and the build replaces it with tables made from the typer
app, the config schema (``voicechat.config_schema.KEYS``) and the doctor's rules
(``voicechat.doctor.rules.RULES``). Generated at build time rather than committed, so a
reference page can never go stale; a marker this hook does not know fails the build, so a typo
cannot leave a page empty. Wired in ``mkdocs.yml`` (``hooks:``); no plugin needed.
"""

from __future__ import annotations

import re
from typing import Any

import typer

MARKER = re.compile(r"<!-- generated: ([a-z-]+) -->")


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _options(command: Any) -> list[str]:
    # duck-typed: typer builds its commands on its own copy of click (``typer._click``)
    rows = ["| option | what it does | default |", "| --- | --- | --- |"]
    for param in command.params:
        if param.param_type_name != "option" or param.hidden:
            continue
        names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
        default = param.default
        shown = "" if default in (None, (), [], False) or callable(default) \
            else f"`{default}`"
        rows.append(f"| {names} | {_cell(param.help or '')} | {shown} |")
    if len(rows) == 2:
        rows = ["No options."]
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    if arguments:
        rows.insert(0, "Arguments: " + ", ".join(f"`{str(a.name).upper()}`"
                                                  for a in arguments) + "\n")
    return rows


def _walk(command: Any, path: str, level: int) -> list[str]:
    out = [f"{'#' * level} `{path}`", ""]
    if command.help:
        out += [command.help.strip(), ""]
    out += [*_options(command), ""]
    if hasattr(command, "commands"):
        for name in sorted(command.commands):
            out += _walk(command.commands[name], f"{path} {name}", min(level + 1, 4))
    return out


def cli_reference() -> str:
    from voicechat.cli import app
    from voicechat.cli_env import HEAD, environment_lines

    # the environment section of `voicechat --help`, made by the same code
    environment = ["### Environment variables", "", HEAD.rstrip(":") + ".", "", "```text",
                   *(line.removeprefix("  ") for line in environment_lines()), "```", ""]
    return "\n".join(_walk(typer.main.get_command(app), "voicechat", 2) + environment)


def config_reference() -> str:
    from voicechat.config_schema import KEYS

    rows = ["| key | type | environment variable | what it sets |", "| --- | --- | --- | --- |"]
    for key in KEYS:
        choices = f" (one of {', '.join(key.choices)})" if key.choices else ""
        env = f"`{key.env}`" if key.env else ""
        rows.append(f"| `{key.name}` | {_cell(key.kind)}{choices} | {env} | {_cell(key.doc)} |")
    return "\n".join(rows)


def doctor_rules_reference() -> str:
    from voicechat.doctor.rules import RULES

    out = []
    for rule in RULES:
        module = (rule.__module__ or "").rsplit(".", 1)[-1]
        why = (__import__(rule.__module__, fromlist=["_"]).__doc__ or "").strip().split("\n\n")[0]
        out += [f"### `{rule.id}`", "", f"**{rule.title}.**", "",
                f"Defined in `voicechat/doctor/rules/{module}.py`: {' '.join(why.split())}", ""]
    return "\n".join(out)


GENERATORS = {"cli": cli_reference, "config": config_reference,
              "doctor-rules": doctor_rules_reference}


def on_page_markdown(markdown: str, **_: Any) -> str:
    def generate(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in GENERATORS:
            raise ValueError(f"unknown generated section {name!r}; known: {sorted(GENERATORS)}")
        return GENERATORS[name]()

    return MARKER.sub(generate, markdown)
