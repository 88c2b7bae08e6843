"""The layer rules of ARCHITECTURE.md, enforced by reading the imports of every module.

A rule kept by memory is a rule already broken; this test fails the moment a layer reaches
for something it must not know about.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "voicechat"
STDLIB = set(sys.stdlib_module_names)


def imports_of(path: Path) -> set[str]:
    """Absolute module names imported anywhere in ``path`` (including inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            raise AssertionError(f"{path}: use absolute imports (from voicechat....)")
    return names


def modules_in(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def top(name: str) -> str:
    return name.split(".")[0]


def layer_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if parts[0] == "voicechat" and len(parts) > 1 else None


@pytest.mark.parametrize("path", modules_in("core"), ids=lambda p: p.name)
def test_core_imports_only_protocol_and_stdlib(path: Path) -> None:
    for name in imports_of(path):
        if top(name) == "voicechat":
            assert layer_of(name) in {"core", "protocol"}, f"{path.name} imports {name}"
        else:
            assert top(name) in STDLIB, f"{path.name} imports third-party {name}"
        assert top(name) not in {"asyncio", "time", "threading"}, f"{path.name} imports {name}"


@pytest.mark.parametrize("path", modules_in("protocol"), ids=lambda p: p.name)
def test_protocol_is_sans_io(path: Path) -> None:
    allowed_third_party = {"jsonschema", "referencing"}
    for name in imports_of(path):
        if top(name) == "voicechat":
            assert layer_of(name) == "protocol", f"{path.name} imports {name}"
        else:
            assert top(name) in STDLIB | allowed_third_party, f"{path.name} imports {name}"
        assert top(name) not in {"asyncio", "time", "threading", "socket"}, name


@pytest.mark.parametrize("path", modules_in("server"), ids=lambda p: p.name)
def test_server_never_imports_ui_or_runtime(path: Path) -> None:
    for name in imports_of(path):
        assert layer_of(name) not in {"ui", "runtime", "cli", "transport", "commands"}, (
            f"{path.name} imports {name}"
        )


@pytest.mark.parametrize("path", modules_in("ui"), ids=lambda p: p.name)
def test_ui_touches_no_audio_or_transport(path: Path) -> None:
    for name in imports_of(path):
        assert layer_of(name) not in {"audio", "transport", "server"}, f"{path.name} imports {name}"
        assert top(name) not in {"sounddevice", "aiortc", "aiohttp"}, f"{path.name} imports {name}"


def test_help_is_fast_and_imports_nothing_heavy() -> None:
    code = (
        "import sys, voicechat.cli as c\n"
        "heavy = [m for m in ('textual', 'aiortc', 'numpy', 'aiohttp', 'sounddevice', 'av')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    help_out = subprocess.run(
        [sys.executable, "-m", "voicechat.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for command in ("serve", "validate", "doctor", "replay", "devices"):
        assert command in help_out.stdout
