"""YAML read with the line of every value, so a scenario error can say where it is.

Why not ``yaml.safe_load``: it returns plain values with no positions, and a scenario error must
name the file, the line and the key ("weather.yaml:14: turns[1].expect.reply: unknown key
'contians' (did you mean 'contains'?)"). PyYAML's composer gives nodes with marks; this module
builds the same plain values as ``safe_load`` from them and keeps a map from each value's path
to its line. It also refuses what ``safe_load`` silently accepts and a scenario author never
means: a key given twice (the second would win without a word), and keys that are not strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

#: A value's place in the document: keys and list indexes from the root.
Path = tuple[str | int, ...]

#: Bounds on what one scenario may expand to. Aliases make a small file a huge (or, through a
#: recursive alias, endless) value ("billion laughs"); a real scenario has some hundreds.
MAX_VALUES = 100_000
MAX_DEPTH = 64


class YamlProblem(ValueError):
    """The text is not the YAML it means to be; ``line`` is 1-based (0: the whole file)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Located:
    """A document's plain value and the line of each of its values by path."""

    value: Any
    lines: Mapping[Path, int]

    def line(self, path: Path) -> int:
        """The line of ``path``, or of its closest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def _tab_indented(text: str, line: int) -> bool:
    """Whether line ``line`` (from 1) or the one before it is indented with a tab."""
    rows = text.splitlines()
    return any(0 < n <= len(rows) and "\t" in rows[n - 1][: len(rows[n - 1])
                                                           - len(rows[n - 1].lstrip())]
               for n in (line, line - 1))


def load(text: str) -> Located:
    """Parse one YAML document (an empty one is ``None``), or raise :class:`YamlProblem`."""
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)  # reads the first chunk: may refuse a character already
        node = loader.get_single_node()
        lines: dict[Path, int] = {}
        value = None if node is None else _build(loader, node, (), lines)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = exc.problem or exc.context or "not valid YAML"
        if "'\\t'" in problem or _tab_indented(text, line):
            # YAML indents with spaces only; a tab in the indentation reads as garbage to it
            problem += ": YAML indents with spaces, not tabs (set your editor to insert spaces)"
        raise YamlProblem(line, f"not valid YAML: {problem}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise YamlProblem(line, f"not valid YAML: character {exc.character:#06x} at column "
                                f"{exc.position - text.rfind(chr(10), 0, exc.position)} is "
                                "not allowed in YAML (a binary file?)") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(0, f"not valid YAML: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return Located(value, lines)


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: Path, lines: dict[Path, int]) -> Any:
    line = node.start_mark.line + 1
    if len(path) > MAX_DEPTH:
        raise YamlProblem(line, f"nested more than {MAX_DEPTH} levels deep "
                                "(a recursive alias?)")
    if len(lines) >= MAX_VALUES:
        raise YamlProblem(line, f"expands to more than {MAX_VALUES} values "
                                "(aliases repeated inside aliases?)")
    lines[path] = line
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # YAML merge keys (<<) as safe_load reads them
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            key_line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise YamlProblem(key_line, f"a key must be a name, not {key!r}")
            if key in out:
                raise YamlProblem(key_line, f"'{key}' is given twice in the same table "
                                        "(YAML would keep only the last one)")
            out[key] = _build(loader, value_node, (*path, key), lines)
            lines[(*path, key)] = key_line
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), lines) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
