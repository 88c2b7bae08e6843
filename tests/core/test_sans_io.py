"""The core is sans-IO: no clock, no threads, no event loop, no I/O modules — checked, not hoped."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "voicechat" / "core"
FORBIDDEN_MODULES = {"time", "datetime", "asyncio", "threading", "socket", "os", "random", "select"}


def test_core_sources_import_no_clock_or_io() -> None:
    for path in sorted(CORE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN_MODULES, f"{path.name} imports {name}"


def test_importing_the_core_loads_no_event_loop_or_clock_reader() -> None:
    code = (
        "import sys\n"
        "import voicechat.core\n"
        "heavy = ('asyncio', 'threading', 'textual', 'aiortc', 'numpy')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
        "voicechat.core.Session(voicechat.core.SessionPolicy()).start(0.0)\n"
        "print(','.join(m for m in ('asyncio', 'textual', 'aiortc') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["", ""]
