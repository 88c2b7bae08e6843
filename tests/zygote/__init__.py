"""A fork server for the ``voicechat`` processes the tests start (issue 77).

Why: the suite starts ~400 ``voicechat`` processes (``--no-ui`` conversations, ``serve``,
``test``, ``export``, ``load``...), and each paid 1.2-1.7 s of CPU importing numpy, aiohttp,
jsonschema, typer and the package before doing anything: about a third of the parallel phase's
CPU on two cores. Here one process per pytest process imports all that once
(:mod:`tests.zygote.server`), and each ``voicechat`` command a test starts is forked from it.

What a test sees is unchanged: it still starts ``voicechat ...`` (the console script or
``python -m voicechat[.cli]``) as a subprocess of its own, with its argv, environment, working
directory and standard streams. A ``sitecustomize`` on ``PYTHONPATH``
(``tests/zygote/shim/sitecustomize.py``) recognises that command line in the new interpreter
before anything else runs, hands argv, environment, cwd and the three standard streams to the
fork server, forwards the signals the process gets to the forked program, and exits the way the
program exited (its code, or the signal that killed it). The forked program runs the real entry
point (``runpy``, as ``python -m`` and the console script do) in a new process group.

Where the fork could differ from a fresh interpreter, the shim runs the command the ordinary way
instead: a terminal on a standard stream (a controlling terminal cannot be handed over), other
inherited descriptors, interpreter options, or an environment that differs from the fork
server's in a variable read at import or start-up (``PYTHONPATH``, locale, ``SSL_CERT_FILE``,
``OPENBLAS_*``...; :data:`tests.zygote.server.IMPORT_TIME_ENV`). ``TEST_FORK_SERVER=0``
turns it off for a run; a test that must see a fresh interpreter (one that counts the modules a
command loads, or the processes under it) deletes ``TEST_FORK_SERVER`` from the
environment it gives its subprocess, with the ``fresh_interpreter`` fixture.
"""
