"""Settings and fixtures every test shares; helpers to import live in tests/helpers.py.

Area-specific fixtures live in each tests/<area>/conftest.py.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.helpers import local_server

if TYPE_CHECKING:
    from voicechat.server.app import LocalServer

# Textual snapshots break under NO_COLOR, and CI must never wait on a terminal.
os.environ.pop("NO_COLOR", None)
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")


def require_or_skip(available: bool, why: str) -> None:
    """Skip a test whose host tool is missing on a developer's machine, but fail under CI.

    CI installs every tool the suite needs (scripts/setup.sh), so a missing one there is a broken
    set-up that a skip would hide.
    """
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI must provide it: see scripts/setup.sh)")
    pytest.skip(why)


@pytest.fixture
async def server(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[LocalServer]:
    """The real local server on 127.0.0.1:0 that client, UI and server tests talk to.

    The tone voice, the exact ASR grammar of :data:`tests.speech.TEST_PHRASES`, and the echo
    responder; ``@pytest.mark.script(*lines)`` makes it reply with those lines instead.
    """
    from tests.speech import TEST_PHRASES

    responder = "echo"
    marker = request.node.get_closest_marker("script")
    if marker is not None:
        script = tmp_path / "script.txt"
        script.write_text("\n".join(marker.args) + "\n", encoding="utf-8")
        responder = f"script:{script}"
    async with local_server(responder=responder, asr_phrases=TEST_PHRASES) as srv:
        yield srv


@pytest.fixture(scope="session")
def one_question_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One of the grammar's phrases, spoken by espeak-ng, with 1.5 s of silence after it."""
    from tests.speech import TEST_PHRASES, speech_wav

    return speech_wav(tmp_path_factory.mktemp("wav") / "one_question.wav", TEST_PHRASES[:1],
                      tail_s=1.5)
