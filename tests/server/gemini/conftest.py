"""Fixtures of the Gemini Live peer's tests: the TLS pair the SDK trusts, and a TLS server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.helpers import local_server
from tests.server.gemini.peers import TlsPair, make_tls_pair
from tests.speech import TEST_PHRASES
from voicechat.server.app import LocalServer


@pytest.fixture(scope="session")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> TlsPair:
    return make_tls_pair(tmp_path_factory.mktemp("tls"))


@pytest.fixture
async def tls_server(request: pytest.FixtureRequest, tmp_path: Path,
                     tls_pair: TlsPair) -> AsyncIterator[LocalServer]:
    """The real local server over TLS (``https``/``wss``), for the SDK; the ``script`` marker
    picks its replies as for the shared ``server`` fixture."""
    responder = "echo"
    marker = request.node.get_closest_marker("script")
    if marker is not None:
        script = tmp_path / "script.txt"
        script.write_text("\n".join(marker.args) + "\n", encoding="utf-8")
        responder = f"script:{script}"
    async with local_server(responder=responder, asr_phrases=TEST_PHRASES,
                            tls=tls_pair.server) as srv:
        yield srv
