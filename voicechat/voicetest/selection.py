"""``-k PATTERN``: which scenarios run, in pytest's words.

A pattern is words joined by ``and``, ``or`` and ``not`` (with parentheses); a word matches a
scenario when it is in the scenario's name or file path, case-insensitively (``-k weather``,
``-k "paris and not tomorrow"``). A malformed pattern is a usage error naming what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")
Match = Callable[[str], bool]


class PatternError(ValueError):
    pass


def compile_pattern(pattern: str) -> Match:
    """A function of a scenario's text (its name and file) that says if it is selected."""
    tokens = [t for t in _TOKEN.findall(pattern) if t]
    if not tokens:
        raise PatternError("-k: the pattern is empty")
    parser = _Parser(tokens, pattern)
    test = parser.expression()
    if parser.at < len(tokens):
        raise PatternError(f"-k {pattern!r}: unexpected {tokens[parser.at]!r}")
    return test


class _Parser:
    def __init__(self, tokens: list[str], pattern: str) -> None:
        self.tokens = tokens
        self.pattern = pattern
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise PatternError(f"-k {self.pattern!r}: it ends where a word was expected")
        self.at += 1
        return token

    def expression(self) -> Match:
        left = self.conjunction()
        while self.peek() == "or":
            self.take()
            right = self.conjunction()
            left = (lambda a, b: lambda text: a(text) or b(text))(left, right)
        return left

    def conjunction(self) -> Match:
        left = self.negation()
        while self.peek() == "and":
            self.take()
            right = self.negation()
            left = (lambda a, b: lambda text: a(text) and b(text))(left, right)
        return left

    def negation(self) -> Match:
        if self.peek() == "not":
            self.take()
            inner = self.negation()
            return lambda text: not inner(text)
        token = self.take()
        if token == "(":
            inner = self.expression()
            if self.take() != ")":
                raise PatternError(f"-k {self.pattern!r}: a '(' is not closed")
            return inner
        if token in (")", "and", "or"):
            raise PatternError(f"-k {self.pattern!r}: unexpected {token!r}")
        word = token.casefold()
        return lambda text: word in text.casefold()
