"""Fixtures for the runtime tests: a conversation factory and a spoken WAV.

Each conversation runs against the shared ``server`` fixture (tests/conftest.py: our local server
over real WebRTC or WebSocket on 127.0.0.1, tone voice, exact ASR grammar);
``@pytest.mark.script(...)`` gives its responder the replies.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tests.runtime.conversation import Conversation
from voicechat.config import Settings
from voicechat.runtime import Runtime
from voicechat.server.app import LocalServer


@pytest.fixture
async def conversation(server: LocalServer) -> AsyncIterator[Callable[..., Any]]:
    started: list[Runtime] = []

    async def start(**kwargs: Any) -> Conversation:
        kwargs.setdefault("speaker", "none")
        settings = Settings(server="local", local_voice="tone", **kwargs)
        runtime = Runtime(settings, local_server=server)
        conv = Conversation(runtime)
        await runtime.start()
        started.append(runtime)
        return conv

    yield start
    for runtime in started:
        await runtime.stop()
