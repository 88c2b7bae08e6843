"""The summary's figures from Locust's own statistics (``voicechat/load/summary.py``).

Run in a process of its own: importing Locust patches the whole process for gevent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = r"""
import json, sys, types
from locust.stats import RequestStats
from voicechat.load.summary import summary_of

stats = RequestStats()
# a turn that never had an answer (a timeout): no time; one answered twice, once too slowly
stats.log_request("turn", "call · 1 say: Hello", None, 0)
stats.log_error("turn", "call · 1 say: Hello", "Timeout('no answer within 30 s')")
for ms in (120, None, 130, 480):
    stats.log_request("turn", "call · 2 say: Lights", ms, 0)
runner = types.SimpleNamespace(target_user_count=1, worker_count=1)
summary = summary_of(types.SimpleNamespace(stats=stats, runner=runner), {}, [],
                     ended_at=stats.start_time + 60.0)
print(json.dumps(summary))
"""


def test_a_turn_with_no_answer_has_no_time_and_the_run_lasts_to_its_end() -> None:
    """Reported as 0 ms, a turn with no answer read 0 / 0 / 0 ms, an instant answer on a
    dashboard, and pulled its turn's percentiles down; ``duration_s`` was the time to the last
    reported turn (issue 79)."""
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=60, check=True)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    # the run's length, to its end: not to its last reported turn, a moment after its start
    assert summary["duration_s"] == 60.0
    turns = {t["name"]: t for t in summary["turns"]}
    unanswered = turns["call · 1 say: Hello"]
    assert unanswered["count"] == 1 and unanswered["measured"] == 0
    assert unanswered["first_audio_ms"] is None
    answered = turns["call · 2 say: Lights"]
    assert answered["count"] == 4 and answered["measured"] == 3
    assert answered["first_audio_ms"] == {"p50": 130, "p95": 480, "p99": 480}


def test_the_table_shows_a_dash_for_a_turn_with_no_time() -> None:
    from voicechat.commands.load import summary_lines

    summary = {"users": 1, "workers": 1, "duration_s": 5.0, "sessions": 1, "errors": {},
               "failures": [], "turns": [{"name": "call · 1 say: Hello", "count": 1,
                                          "failures": 1, "measured": 0,
                                          "first_audio_ms": None}]}
    [row] = [line for line in summary_lines(summary) if line.startswith("call")]
    assert row.endswith("– / – / –") and " 0 / " not in row


def test_a_recording_is_named_from_the_scenario_s_folder(tmp_path: Path) -> None:
    """Audio turns were named by their absolute path, so runs on two machines reported under
    different names (issue 79); a recording elsewhere keeps its path."""
    from voicechat.load.engine import turn_names
    from voicechat.scenario.spec import parse

    folder = tmp_path / "agent"
    elsewhere = tmp_path / "shared" / "noise.wav"
    text = ("name: caller\nturns:\n  - audio: voices/alice.wav\n  - say: Book it\n"
            f"  - audio: {elsewhere}\n")
    scenario = parse(text, str(folder / "caller.yaml"), base=folder)
    names = turn_names(scenario)
    assert names[:2] == ["caller · 1 audio: voices/alice.wav", "caller · 2 say: Book it"]
    assert names[2].startswith(f"caller · 3 audio: {str(elsewhere)[:30]}")
