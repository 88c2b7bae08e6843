"""``voicechat export LOG [--format md|txt|json] [-o FILE]``: a log as a readable conversation.

Exit codes as the doctor's: 0 written, 2 when the log cannot be read or holds no conversation
(the message names the problem and the fix), or when ``-o`` is the log itself (it is never
overwritten) or a directory. Without ``--format`` the format follows ``-o``'s
extension (``.json``, ``.txt``, ``.md``/``.markdown``; none: Markdown); another extension
(``out.pdf``) is refused with exit 2 rather than written as Markdown under that name. A file is
written with mode 0600, as event logs are: a conversation is as private as the log it came from.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from voicechat.conversation import ConversationError, load_conversation
from voicechat.conversation.render import FORMATS, render

SUFFIX_FORMATS = {".json": "json", ".txt": "txt", ".md": "md", ".markdown": "md"}


def run(log: Path, *, fmt: str | None, output: Path | None) -> int:
    explicit = fmt
    if fmt is None:
        fmt = SUFFIX_FORMATS.get(output.suffix.lower(), "md") if output is not None else "md"
    if fmt not in FORMATS:
        print(f"voicechat export: --format: {fmt!r} is not one of {', '.join(FORMATS)}",
              file=sys.stderr)
        return 2
    problem = _output_problem(log, output) if output is not None else None
    if problem is not None:
        print(f"voicechat export: {problem}", file=sys.stderr)
        return 2
    if explicit is None and output is not None and output.suffix \
            and output.suffix.lower() not in SUFFIX_FORMATS:
        # ``-o out.pdf`` wrote Markdown under a PDF's name: refuse rather than guess (a name
        # without an extension still gets Markdown; --format picks one for any name)
        print(f"voicechat export: -o {output}: export writes Markdown (.md), plain text (.txt) "
              f"or JSON (.json), not {output.suffix}. Name the file with one of those "
              "extensions, or pass --format md|txt|json to write that format under this name.",
              file=sys.stderr)
        return 2
    try:
        conversation = load_conversation(log)
    except ConversationError as exc:
        print(f"voicechat export: {exc}", file=sys.stderr)
        return 2
    text = render(conversation, fmt)
    if output is None:
        sys.stdout.write(text)
        return 0
    try:
        write_private(output, text)
    except OSError as exc:
        print(f"voicechat export: cannot write {output}: {exc.strerror or exc}. Check that its "
              "folder exists and is writable.", file=sys.stderr)
        return 2
    print(f"voicechat export: {len(conversation.turns)} turn(s) written to {output}",
          file=sys.stderr)
    return 0


def _output_problem(log: Path, output: Path) -> str | None:
    """Why ``-o`` cannot be written, when that is known before reading the log: it is the log
    itself (writing would destroy the input: through a link or ``./`` too), or a folder."""
    try:
        same = os.path.samefile(log, output)
    except OSError:
        same = False  # one of them does not exist (yet): nothing to destroy
    if same:
        return (f"-o {output} is the log being exported; writing there would destroy it. "
                "Pick another file name, such as conversation.md.")
    if output.is_dir():
        return (f"-o {output} is a directory; pass a file name inside it, such as "
                f"{output / 'conversation.md'}.")
    return None


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (created or truncated) readable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
