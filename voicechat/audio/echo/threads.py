"""One BLAS thread for the process that runs an echo stage.

Why: the copy ear (``copy_ear.py``) fits 32 taps by least squares every 20 ms, a product of a
32 x 960 matrix with itself and a 32 x 32 solve. NumPy hands these to OpenBLAS, which starts a
thread a core and keeps them spinning between calls: the products are too small to gain from
them, and the spinning costs a core. Measured on this 2-core machine, 20 s of a skewed echo
through the stage with its ears on: 9.0 s of CPU with OpenBLAS's threads, 3.8 s with one;
the real-time stage with barge-in's ears took 7-8 ms of its 8.7-10 ms per 20 ms block on a
loaded machine, where capture then fell behind (issue 77). The limit is process-wide (BLAS
has no other kind) and set once; a user's own ``OPENBLAS_NUM_THREADS`` and the like are read
by OpenBLAS at load time, before this, and are lowered to one here only where they are more.
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits

_limited = False


def one_blas_thread() -> None:
    """Limit every BLAS library loaded in this process to one thread (once; idempotent)."""
    global _limited
    if _limited:
        return
    threadpool_limits(limits=1, user_api="blas")
    _limited = True
