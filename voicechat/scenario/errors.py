"""A scenario's problems as the lint reports them: where (file, line, key) and what, one at a time
or several together in file order (issue 79). Apart from the reader (:mod:`spec`), which raises
them, because the planner and the family checks raise them too."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

__all__ = ["ScenarioError", "ScenarioErrors", "did_you_mean", "raise_all"]


def did_you_mean(name: str, known: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``known`` to a misspelt ``name``, or ``""``:
    the one wording every scenario error uses."""
    match = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


class ScenarioError(ValueError):
    """A scenario that cannot run, and where: ``file:line: key: message``."""

    def __init__(self, file: str, line: int, where: str, message: str) -> None:
        self.file = file
        self.line = line
        self.where = where
        self.message = message
        at = f"{file}:{line}" if line else file
        super().__init__(f"{at}: {where}: {message}" if where else f"{at}: {message}")


class ScenarioErrors(ValueError):
    """Several problems, one a line, in the order they were found (the files in run order, each
    file's from the top): a run that named one at a time cost a run a mistake (issue 79)."""

    def __init__(self, errors: Sequence[ScenarioError]) -> None:
        self.errors = tuple(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


def raise_all(errors: Sequence[ScenarioError]) -> None:
    """Raise ``errors``: nothing when there are none, the error itself when there is one."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ScenarioErrors(errors)
