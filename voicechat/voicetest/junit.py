"""``--junit FILE``: JUnit XML, the report every CI server reads (Jenkins, GitLab, GitHub
Actions' reporters, Azure Pipelines).

The shape is the one Jenkins' ``junit-10.xsd`` defines, which the others accept: one
``<testsuite name="voicechat test">`` in ``<testsuites>``, one ``<testcase>`` per scenario run
(``classname`` its file, ``name`` its name, with ``[run N]`` under ``--repeat``), ``time`` in
seconds. A failed expectation is a ``<failure>`` whose ``message`` is the first failed check and
whose text is the whole failure as the terminal shows it; a run that could not start or broke
is an ``<error>``; a run that passed with checks skipped (a judge not configured) says so in
``<system-out>``, since a scenario with one skipped check still ran and passed the rest.
"""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from voicechat.voicetest.report import failure_text
from voicechat.voicetest.results import RunResult

SUITE = "voicechat test"


def write_junit(path: Path, results: Sequence[RunResult], seconds: float,
                started: datetime | None = None, *, repeats: int = 1) -> None:
    root = ET.Element("testsuites")
    suite = ET.SubElement(root, "testsuite", {
        "name": SUITE,
        "tests": str(len(results)),
        "failures": str(sum(1 for r in results if r.outcome == "failed")),
        "errors": str(sum(1 for r in results if r.outcome == "error")),
        "skipped": "0",
        "time": f"{seconds:.3f}",
        "timestamp": (started or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S"),
        "hostname": socket.gethostname() or "localhost",
    })
    for result in results:
        name = result.name + (f" [run {result.repeat}]" if repeats > 1 else "")
        case = ET.SubElement(suite, "testcase", {"classname": result.file, "name": name,
                                                 "time": f"{result.duration_s:.3f}"})
        if result.outcome == "error":
            error = ET.SubElement(case, "error", {"message": _clean(result.error or "error"),
                                                  "type": "error"})
            error.text = _clean(failure_text(result))
        elif result.outcome == "failed":
            failure = ET.SubElement(case, "failure", {"message": _clean(_first(result)),
                                                      "type": "failure"})
            failure.text = _clean(failure_text(result))
        if result.skipped:
            out = ET.SubElement(case, "system-out")
            out.text = _clean("\n".join(f"turn {i + 1}: {v.check} skipped: {v.reason}"
                                        for i, v in result.skipped))
    ET.indent(root)
    path.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")


def _first(result: RunResult) -> str:
    if result.doctor_checked and result.doctor and not any(t.failed for t in result.turns):
        return f"doctor: {result.doctor[0]}"
    for index, turn in enumerate(result.turns):
        if turn.problem:
            return f"turn {index + 1}: {turn.problem}"
        for verdict in turn.verdicts:
            if verdict.status == "failed":
                return f"turn {index + 1}: {verdict.check}: {verdict.reason}"
    return "failed"


def _clean(text: str) -> str:
    """XML 1.0 cannot carry most control characters, even escaped: they are dropped."""
    return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20)
