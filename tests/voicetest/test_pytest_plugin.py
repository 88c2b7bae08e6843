"""The pytest plugin: ``pytest`` collects scenario files as items and runs them as ``voicechat
test`` does, with pytest's own ``-k``, ``-x`` and ``--junitxml`` (a project's pytest run in a
folder of its own, as a team's suite would be: the installed entry point loads the plugin)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.voicetest.runner import EXAMPLES, PROVIDER_VARIABLES

SCENARIOS = Path(__file__).parent / "scenarios"


def _pytest(project: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROVIDER_VARIABLES)}
    env.update(extra)
    env["XDG_CONFIG_HOME"] = str(project / "config")  # no user config file
    env["TMPDIR"] = str(project)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "--voicechat-transport", "websocket", *args],
                          cwd=project, capture_output=True, text=True, timeout=300, env=env,
                          stdin=subprocess.DEVNULL)


def test_pytest_collects_and_runs_scenario_files(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "voice").mkdir(parents=True)
    (project / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    shutil.copy(EXAMPLES / "greeting.yaml", project / "voice" / "test_greeting.yaml")
    shutil.copy(SCENARIOS / "wrong-reply.yaml", project / "voice" / "test_wrong.yaml")
    # YAML that is not a scenario by name is never run as one (CI files, configs)
    (project / "voice" / "ci.yaml").write_text("jobs: {build: {}}\n", encoding="utf-8")
    (project / "test_plain.py").write_text("def test_plain():\n    assert True\n",
                                           encoding="utf-8")
    junit = tmp_path / "junit.xml"
    proc = _pytest(project, "--junitxml", str(junit), "-v")
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "voice/test_greeting.yaml::greeting PASSED" in out
    assert "voice/test_wrong.yaml::wrong reply FAILED" in out
    assert "test_plain.py::test_plain PASSED" in out and "ci.yaml" not in out
    # the failure reads as voicechat test's, with the reason and what was heard
    assert "FAILED reply.contains: 'sunny' not in the reply" in out
    assert 'heard: "What is the weather like tomorrow?"' in out
    cases = {case.get("name"): case for case in ET.parse(junit).iter("testcase")}
    assert set(cases) == {"greeting", "wrong reply", "test_plain"}
    assert cases["wrong reply"].find("failure") is not None
    assert cases["greeting"].find("failure") is None
    # pytest's own -k and -x
    only = _pytest(project, "-k", "greeting")
    assert only.returncode == 0, only.stdout
    assert "1 passed, 2 deselected" in only.stdout
    first = _pytest(project, "-x", "voice/test_wrong.yaml", "voice/test_greeting.yaml")
    assert first.returncode == 1 and "1 failed" in first.stdout
    assert "passed" not in first.stdout.splitlines()[-1]


def test_other_names_by_pattern_and_a_bad_file_fails_collection(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\nvoicechat_scenario_files = *.scenario.yaml\n",
                                        encoding="utf-8")
    shutil.copy(EXAMPLES / "greeting.yaml", project / "hello.scenario.yaml")
    (project / "typo.scenario.yaml").write_text("turns:\n  - type: hi\n    expct: {}\n",
                                                encoding="utf-8")
    proc = _pytest(project)
    assert proc.returncode in (1, 2), proc.stdout
    assert "typo.scenario.yaml:3: turns[0].expct: unknown key 'expct' (did you mean " \
           "'expect'?)" in proc.stdout
    assert "Traceback" not in proc.stdout and "spec.py" not in proc.stdout
    named = _pytest(project, "hello.scenario.yaml")
    assert named.returncode == 0 and "1 passed" in named.stdout, named.stdout
    # an API key set for another job: the files would go to OpenAI's paid API; said once,
    # before any item runs, exit 2 (issue 79)
    paid = _pytest(project, "hello.scenario.yaml", OPENAI_API_KEY="sk-test-not-a-real-key-00")
    assert paid.returncode == 2, paid.stdout + paid.stderr
    said = paid.stdout + paid.stderr
    assert said.count("a paid service chosen by an API key in the environment") == 1, said
    assert "pass --voicechat-yes" in said and "sk-test" not in said


def test_keep_repeat_json_and_the_turn_timeout_work_as_voicechat_test_s(tmp_path: Path) -> None:
    """The plugin lacked --keep, --repeat, the turn timeout, the dialect and JSON, and kept a
    failed run's log only in a temporary folder CI does not archive (issue 79)."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    shutil.copy(EXAMPLES / "greeting.yaml", project / "test_greeting.yaml")
    keep, report = tmp_path / "kept", tmp_path / "out" / "report.json"
    # the paths first: a --voicechat-json in a folder that is not there is a usage error
    bad = _pytest(project, "--voicechat-json", str(report))
    assert bad.returncode == 4 and "--voicechat-json" in bad.stdout + bad.stderr, bad.stderr
    report.parent.mkdir()
    # xdist's workers each hold their own runs: refused rather than one file overwritten
    spread = _pytest(project, "-n", "2", "--voicechat-json", str(report))
    assert spread.returncode == 4 and "drop -n for it" in spread.stdout + spread.stderr
    proc = _pytest(project, "-v", "--voicechat-repeat", "2", "--voicechat-keep", str(keep),
                   "--voicechat-json", str(report), "--voicechat-turn-timeout", "20",
                   "--voicechat-dialect", "ga")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "test_greeting.yaml::greeting[1] PASSED" in proc.stdout
    assert "test_greeting.yaml::greeting[2] PASSED" in proc.stdout
    for run in ("greeting-1", "greeting-2"):  # a passed run's files too, as asked
        assert {"events.jsonl", "user.wav", "assistant.wav"} <= \
            {f.name for f in (keep / run).iterdir()}, run
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["summary"]["passed"] == 2 and len(data["runs"]) == 2
    assert [run["run"] for run in data["runs"]] == [1, 2]
    assert data["runs"][0]["files"]["events"].startswith(str(keep))
