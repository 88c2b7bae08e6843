"""The two dialects of the Realtime API and the Azure variants of each.

The core speaks GA ("canonical") names only; beta and Azure are translated at the edge by
:mod:`voicechat.protocol.mapping`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Dialect(StrEnum):
    """Which shape of the protocol an endpoint speaks."""

    GA = "ga"
    BETA = "beta"

    @property
    def other(self) -> Dialect:
        return Dialect.BETA if self is Dialect.GA else Dialect.GA


class Flavor(NamedTuple):
    """A dialect plus the provider variant.

    Azure accepts deployment names where OpenAI takes model names.
    """

    dialect: Dialect = Dialect.GA
    azure: bool = False

    def describe(self) -> str:
        provider = "Azure OpenAI" if self.azure else "OpenAI"
        return f"{provider} {self.dialect.value}"
