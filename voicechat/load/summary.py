"""The run's summary from Locust's statistics (``--json`` writes it; the command prints it).

Shape (issue 54): ``{"users": N, "workers": K, "duration_s": …, "sessions": …, "turns": [{"name":
…, "count": …, "failures": …, "measured": …, "first_audio_ms": {"p50": …, "p95": …, "p99": …}
or null}, …], "errors": {"expectation": …, "timeout": …, …}, "checks": {"reply.contains": …,
"first_audio_ms": …}, "failures": [{"name", "kind", "reason", "count", "example",
"logs"}],
"workers_lost": [...]}``: an expectation's failure row is a turn and the checks that failed
(its ``reason`` their names, so like failures count as one row), with one ``example`` of the
reasons and their measured values; ``logs`` are the event logs kept of the row's first
failed conversations (``voicechat doctor LOG`` reads them); ``checks`` counts each check's
failures. Percentiles are
Locust's (its response-time buckets: exact under 100 ms, to 10 ms under 1 s, to 100 ms above).
Plain values in, plain values out: imported by the locustfile, never importing Locust itself;
`voicechat load` prints it.
"""

from __future__ import annotations

import re
from typing import Any

_KIND_OF_CLASS = {"ExpectationFailed": "expectation", "Timeout": "timeout",
                  "Refused": "refused", "RateLimited": "rate_limit", "Dropped": "dropped",
                  "Error": "error"}
_ERROR = re.compile(r"^(\w+)\((['\"])(.*)\2\)$", re.DOTALL)


def summary_of(environment: Any, plan: dict[str, Any], lost: list[str],
               workers_seen: int | None = None, ended_at: float | None = None,
               examples: dict[tuple[str, str], str] | None = None,
               logs: dict[tuple[str, str], list[str]] | None = None) -> dict[str, Any]:
    """``workers_seen``: every worker that joined (a master's count at the end leaves out the
    ones that were lost); ``ended_at``: when the run ended (``time.time()``), for its length
    (without it, the last turn reported: a run's quiet end then went uncounted); ``examples``:
    one reason with its measured values per (turn, failed checks), beside the failure row that
    names the checks only; ``logs``: the first kept event logs of each failure row's
    conversations (a worker's on its own machine), under the same keys."""
    stats = environment.stats
    turns = []
    sessions = 0
    for entry in sorted(stats.entries.values(), key=lambda e: e.name):
        # turns with no first audio are counted (and failed) but have no time: null here and
        # "–" in the table, never 0 ms (issue 79)
        measured = entry.num_requests - entry.num_none_requests
        row = {"name": entry.name, "count": entry.num_requests,
               "failures": entry.num_failures, "measured": measured, "first_audio_ms": None}
        if measured > 0:
            row["first_audio_ms"] = {f"p{p}": entry.get_response_time_percentile(p / 100)
                                     for p in (50, 95, 99)}
        if " · 1 " in entry.name:  # every conversation that started has a first turn
            sessions += entry.num_requests
        turns.append(row)
    failures = []
    errors: dict[str, int] = {}
    checks: dict[str, int] = {}
    for error in stats.errors.values():
        raw = error.error  # the exception itself in the process that ran it, its repr after a
        # worker's report reached the master
        kind, reason = ((_KIND_OF_CLASS.get(type(raw).__name__, "error"), str(raw))
                        if isinstance(raw, BaseException) else _kind_and_reason(str(raw)))
        errors[kind] = errors.get(kind, 0) + error.occurrences
        row = {"name": error.name, "kind": kind, "reason": reason, "count": error.occurrences}
        if kind == "expectation":  # the reason is the failed checks' names
            for check in reason.split("; "):
                checks[check] = checks.get(check, 0) + error.occurrences
            row["example"] = (examples or {}).get((error.name, reason))
        row["logs"] = list((logs or {}).get((error.name, reason), []))
        failures.append(row)
        if error.name == "session":
            sessions += error.occurrences
    runner = environment.runner
    workers = workers_seen or getattr(runner, "worker_count", None)
    start = getattr(stats, "start_time", None)
    end = ended_at or getattr(stats, "last_request_timestamp", None)
    return {
        "scenario": plan.get("scenario"),
        "users": getattr(runner, "target_user_count", None) or plan.get("users"),
        "workers": workers if workers is not None else 1,
        "duration_s": round(end - start, 1) if start and end else None,
        "sessions": sessions,
        "turns": turns,
        "errors": errors,
        "checks": checks,
        "failures": failures,
        "workers_lost": lost,
        "refusal": getattr(runner, "voicechat_refusal", None),
    }


def _kind_and_reason(text: str) -> tuple[str, str]:
    """``Timeout('no answer within 30 s')`` → ``("timeout", "no answer within 30 s")``."""
    match = _ERROR.match(text.strip())
    if match is None:
        return "error", text
    return _KIND_OF_CLASS.get(match.group(1), "error"), match.group(3)
