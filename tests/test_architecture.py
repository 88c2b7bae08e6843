"""What the import contracts cannot see, checked here (docs/architecture.md, "Layers").

The layering itself is declared in ``pyproject.toml`` and checked by ``lint-imports``
(import-linter, run by scripts/test.sh). Three things are left to these tests:

- what a fresh interpreter actually *loads*: a contract sees the imports written in our files,
  not the ones a dependency makes on our behalf (jsonschema, under protocol, starts threading;
  the core alone must not);
- import cycles between single modules, ``TYPE_CHECKING`` imports included. import-linter's
  ``acyclic_siblings`` contract squashes each package's children, so it misses a cycle that runs
  through a package's ``__init__`` (``pkg/__init__`` → ``pkg.a`` → ``pkg``);
- that ``voicechat --help`` stays fast by importing nothing heavy;
- that no module imports LiveKit Agents (``livekit.agents``, ``livekit.plugins``): a forbidden
  contract names external packages only whole, and ``livekit`` itself (its rtc part, the echo
  canceller) is ours to use.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import grimp

SANS_IO_MUST_NOT_LOAD = (
    "asyncio",
    "selectors",
    "socket",
    "textual",
    "rich",
    "aiortc",
    "aioice",
    "aiohttp",
    "sounddevice",
    "numpy",
    "av",
)


def loaded_by(code: str, candidates: tuple[str, ...]) -> list[str]:
    """The ``candidates`` a fresh interpreter has in ``sys.modules`` after running ``code``."""
    probe = f"{code}\nimport sys\nprint(','.join(m for m in {candidates!r} if m in sys.modules))\n"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return [name for name in out.stdout.strip().split(",") if name]


def test_importing_the_core_loads_no_event_loop_thread_or_io_library() -> None:
    assert loaded_by("import voicechat.core", (*SANS_IO_MUST_NOT_LOAD, "threading")) == []


def test_a_running_core_loads_no_event_loop_or_io_library() -> None:
    """Starting a session validates its config (jsonschema, which may start threading)."""
    code = "import voicechat.core as c\nc.Session(c.SessionPolicy()).start(0.0)\n"
    assert loaded_by(code, SANS_IO_MUST_NOT_LOAD) == []


def test_importing_every_protocol_module_loads_no_io_library() -> None:
    code = (
        "import importlib, pkgutil, voicechat.protocol\n"
        "for info in pkgutil.iter_modules(voicechat.protocol.__path__):\n"
        "    importlib.import_module('voicechat.protocol.' + info.name)\n"
    )
    assert loaded_by(code, SANS_IO_MUST_NOT_LOAD) == []


def test_no_module_import_cycle_type_checking_imports_included() -> None:
    graph = grimp.build_graph("voicechat", exclude_type_checking_imports=False, cache_dir=None)
    cycles: set[tuple[str, ...]] = set()
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                cycle = (importer, *back)
                start = cycle.index(min(cycle[:-1]))
                cycles.add(cycle[start:-1] + cycle[:start] + (cycle[start],))
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in sorted(cycles))


def livekit_agents_imports(source: str) -> list[int]:
    """The lines of ``source`` that import LiveKit Agents or its plugins, statically or by
    name (``import_module("livekit.agents")``: voicechat loads ``livekit.rtc`` that way)."""
    named = re.compile(r"livekit\.(agents|plugins)(\.|$)")
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            hit = any(named.match(a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            hit = named.match(node.module or "") is not None or (
                node.module == "livekit" and any(a.name in ("agents", "plugins")
                                                 for a in node.names))
        else:
            hit = isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                named.match(node.value) is not None)
        if hit:
            lines.append(node.lineno)
    return lines


def test_no_module_imports_livekit_agents_or_its_plugins() -> None:
    """LiveKit Agents is a foreign client in the tests (tests/foreign/), never part of voicechat."""
    assert livekit_agents_imports("from livekit import rtc, agents\nimport_module('livekit.rtc')"
                                  "\nimport livekit.plugins.openai") == [1, 3]  # the probe works
    package = Path(__file__).resolve().parents[1] / "voicechat"
    found = [f"{path.relative_to(package.parent)}:{line}"
             for path in sorted(package.rglob("*.py"))
             for line in livekit_agents_imports(path.read_text(encoding="utf-8"))]
    assert found == []


#: the hosted MCP client's libraries (voicechat/server/hosted_mcp/client.py imports them lazily)
MCP_SDK = ("mcp", "mcp_types", "httpx2")


def test_the_server_loads_the_mcp_sdk_only_when_a_session_uses_mcp() -> None:
    code = "import voicechat.server.app, voicechat.server.hosted_mcp.session\n"
    assert loaded_by(code, MCP_SDK) == []


WEBRTC_STACK = ("aiortc", "av", "aioice")


def test_a_websocket_conversation_loads_no_webrtc_stack() -> None:
    """aiortc, PyAV and their crypto cost ~0.6 s of CPU to import, in each of the ~560 Python
    processes a test run starts: a headless turn over WebSocket with the embedded server (the
    shape of most test, load and scenario runs) loads none of it; the server imports its
    WebRTC handlers at their first call (issue 77)."""
    code = ("import sys\nfrom voicechat.launch import main\ntry:\n    main()\n"
            f"finally:\n    loaded = [m for m in {WEBRTC_STACK!r} if m in sys.modules]\n"
            "    print('LOADED:' + ','.join(loaded), file=sys.stderr)\n")
    run = subprocess.run(
        [sys.executable, "-c", code, "--no-ui", "--server", "local", "--transport", "websocket",
         "--mic", "none", "--speaker", "none"],
        input="hello there\n", capture_output=True, text=True, timeout=120, check=False)
    assert "You said: hello there" in run.stdout, run.stdout + run.stderr
    assert "LOADED:\n" in run.stderr, run.stderr


def test_help_is_fast_and_imports_nothing_heavy() -> None:
    heavy = ("textual", "aiortc", "numpy", "aiohttp", "sounddevice", "av", *MCP_SDK)
    assert loaded_by("import voicechat.cli", heavy) == []
    help_out = subprocess.run(
        [sys.executable, "-m", "voicechat.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for command in ("serve", "validate", "doctor", "replay", "devices"):
        assert command in help_out.stdout
