"""Settings every test shares. Area-specific fixtures live in each tests/<area>/conftest.py."""

from __future__ import annotations

import os

# Textual snapshots break under NO_COLOR, and CI must never wait on a terminal.
os.environ.pop("NO_COLOR", None)
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")


def require_or_skip(available: bool, why: str) -> None:
    """Skip a test whose host tool is missing on a developer's machine, but fail under CI.

    CI installs every tool the suite needs (scripts/setup.sh), so a missing one there is a broken
    set-up that a skip would hide.
    """
    import pytest

    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI must provide it: see scripts/setup.sh)")
    pytest.skip(why)
