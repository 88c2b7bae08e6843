"""Settings every test shares. Area-specific fixtures live in each tests/<area>/conftest.py."""

from __future__ import annotations

import os

# Textual snapshots break under NO_COLOR, and CI must never wait on a terminal.
os.environ.pop("NO_COLOR", None)
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
