"""The built wheel carries the data files the package reads at run time.

Themes live in a top-level ``themes/`` folder (so users can find and copy them) and are
force-included into the wheel as ``voicechat/themes``; the validator's JSON Schemas live under
``voicechat/protocol/schemas``. A wheel without them installs cleanly and then fails at start-up,
so build one and look.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_themes_and_schemas(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("voicechat-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped_themes = {p.name for p in (ROOT / "themes").glob("*.toml")}
    assert {"dark.toml", "light.toml", "high-contrast.toml"} <= shipped_themes
    for theme in shipped_themes:
        assert f"voicechat/themes/{theme}" in names
    for dialect in ("ga", "beta"):
        assert f"voicechat/protocol/schemas/{dialect}.json" in names
    (entry_points,) = (name for name in names if name.endswith("entry_points.txt"))
    # The console script starts at the launcher, which runs a plain doctor call without the
    # command-line parser (tests/cli/test_launch.py) and hands the rest to voicechat.cli.
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "voicechat = voicechat.launch:main" in scripts
    assert "voicechat/launch.py" in names and "voicechat/__main__.py" in names


def _pyproject() -> dict[str, object]:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_dependencies_are_ranges_except_private_internals_and_the_tests_are_pinned() -> None:
    """Exact pins clash in shared environments; only Textual and aiortc (whose private internals
    we use) are exact, and constraints.txt pins every dependency for reproducible test runs."""
    import re

    project = _pyproject()["project"]
    assert isinstance(project, dict)
    deps = project["dependencies"]
    exact = [d for d in deps if "==" in d]
    assert exact == ["textual==8.2.8", "aiortc==1.16.0"]
    pinned = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pinned[name.lower().replace("_", "-")] = version
    for dep in deps:
        name = re.split(r"[<>=!\[ ]", dep, maxsplit=1)[0].lower()
        assert name in pinned, f"{name} is not pinned in constraints.txt"
    assert pinned["textual"] == "8.2.8"
    assert {"Homepage", "Changelog", "Issues"} <= set(project["urls"])
    assert any(c.startswith("Programming Language :: Python :: 3.11")
               for c in project["classifiers"])


def test_sdist_does_not_depend_on_gitignore_matching() -> None:
    """hatchling ignores .gitignore entirely when a rule matches the checkout's absolute path
    (the old "/tmp/" rule under /tmp); the sdist therefore lists what it ships."""
    sdist = _pyproject()["tool"]["hatch"]["build"]["targets"]["sdist"]  # type: ignore[index]
    assert "/voicechat" in sdist["include"] and ".hypothesis" in sdist["exclude"]
    rules = [line.strip().strip("/") for line in
             (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    assert "tmp" not in rules
