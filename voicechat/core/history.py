"""A bounded list that hands out the same tuple until it changes.

The UI caches its translation of the view by object identity (``view.vad_segments is last``),
so the session must give back the *same* tuple while nothing was added or replaced; a fresh
``tuple(list)`` per view would defeat that cache on every read.
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class History(Generic[T]):
    """Append-mostly history capped at ``limit`` entries (the oldest fall off)."""

    def __init__(self, limit: int) -> None:
        self._items: list[T] = []
        self._limit = limit
        self._frozen: tuple[T, ...] | None = ()

    def append(self, item: T) -> None:
        self._items.append(item)
        if len(self._items) > self._limit:
            del self._items[0]
        self._frozen = None

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: int) -> T:
        return self._items[index]

    def __setitem__(self, index: int, item: T) -> None:
        self._items[index] = item
        self._frozen = None

    def frozen(self) -> tuple[T, ...]:
        if self._frozen is None:
            self._frozen = tuple(self._items)
        return self._frozen
