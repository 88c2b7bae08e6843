"""The echo stage runs BLAS on one thread (audio/echo/threads.py).

OpenBLAS's idle threads spun a core beside the copy ear's small fits: 20 s of a skewed echo
took 9.0 s of CPU through the stage, 4.3 s with one thread. Checked in a process of its own
that first gives OpenBLAS three threads, as a many-core laptop has by default.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import json
import numpy
from threadpoolctl import threadpool_info, threadpool_limits
from voicechat.audio.echo import EchoCanceller

def blas_threads():
    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

threadpool_limits(limits=3, user_api="blas")  # as on a many-core laptop, on any machine
before = blas_threads()
EchoCanceller()
print(json.dumps({"before": before, "after": blas_threads()}))
"""


def test_building_an_echo_stage_leaves_blas_one_thread() -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    threads = json.loads(done.stdout.strip().splitlines()[-1])
    assert threads["before"] and all(n > 1 for n in threads["before"]), threads
    assert all(n == 1 for n in threads["after"]), threads
