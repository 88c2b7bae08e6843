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
    assert any(name.endswith("entry_points.txt") for name in names)
