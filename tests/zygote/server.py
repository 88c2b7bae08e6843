"""The fork server: imports the package once, then forks one process per ``voicechat`` command.

Run: ``python -m tests.zygote.server SOCKET`` (``tests/conftest.py`` starts one per pytest
process). Each connection from the shim (``tests/zygote/shim/sitecustomize.py``) carries one
JSON request (argv, environment, cwd, umask) and the three standard streams as descriptors.
The server forks a *waiter* for it, which forks the program, tells the shim the program's pid,
waits for it and sends its raw wait status; if the shim goes away first (killed), the waiter
kills the program's process group, as the kernel would have taken the program down with it.

A request whose environment differs from this process's in a variable read at import or start-up
(:data:`IMPORT_TIME_ENV`) is answered ``fallback``: the shim then runs the command in its own
fresh interpreter.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import io
import json
import os
import runpy
import signal
import socket
import struct
import sys
import threading
from collections.abc import Callable
from typing import Any

#: variables read while Python starts or while the preloaded modules import: the locale, the
#: time zone, the CA certificates aiohttp loads at import, BLAS threads, C extensions switched
#: off, coverage's subprocess hook
IMPORT_TIME_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "SSL_CERT_FILE", "SSL_CERT_DIR",
                   "OMP_NUM_THREADS", "MKL_NUM_THREADS", "AIOHTTP_NO_EXTENSIONS",
                   "YARL_NO_EXTENSIONS", "MULTIDICT_NO_EXTENSIONS", "PROPCACHE_NO_EXTENSIONS",
                   "FROZENLIST_NO_EXTENSIONS")
#: ... and every ``PYTHON*`` variable (the import path, hashing, warnings, buffering, UTF-8 mode...)
IMPORT_TIME_PREFIXES = ("PYTHON", "COV_CORE_", "COVERAGE_", "OPENBLAS_", "NUMPY_", "PYDANTIC_")

#: what the commands import before they do anything (``-X importtime``); not sounddevice (it
#: opens PortAudio, and so the PulseAudio server of the environment, at import), nor the
#: WebRTC stack or Textual, which the commands load when they need them
PRELOAD = ("numpy", "aiohttp", "aiohttp.web", "jsonschema", "pydantic", "pydantic.type_adapter",
           "typer", "typer._adapters", "typer._click.decorators", "rich.console", "platformdirs",
           "zoneinfo", "importlib.metadata", "csv", "sysconfig",
           "voicechat.launch", "voicechat.cli", "voicechat.commands.chat",
           "voicechat.commands.serve", "voicechat.commands.test", "voicechat.commands.export",
           "voicechat.commands.load", "voicechat.commands.doctor", "voicechat.commands.watch",
           "voicechat.commands.proxy", "voicechat.commands.tools", "voicechat.commands.validate",
           "voicechat.commands.config", "voicechat.server.app")
#: must not be loaded in the fork server (see :data:`PRELOAD`)
NEVER_PRELOADED = ("sounddevice", "aiortc", "av", "textual")

_LENGTH = struct.Struct("!I")



def _shim() -> Any:
    """The shim's module, loaded from its file (whatever ``sitecustomize`` this process has):
    the server reads the process's identity as the shim does."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shim", "sitecustomize.py")
    spec = importlib.util.spec_from_file_location("_voicechat_zygote_shim", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    os.environ.pop("TEST_FORK_SERVER", None)  # its start-up check then does nothing
    spec.loader.exec_module(module)
    return module


process_identity = _shim().process_identity


def import_time_env(env: dict[str, str]) -> dict[str, str]:
    """The part of ``env`` a forked program could not take from its request."""
    return {k: v for k, v in env.items()
            if k in IMPORT_TIME_ENV or k.startswith(IMPORT_TIME_PREFIXES)}


def preload() -> None:
    """Import what the commands need, and check the fork stays safe: one thread, no audio."""
    for name in PRELOAD:
        __import__(name)
    loaded = [m for m in NEVER_PRELOADED if m in sys.modules]
    if loaded or threading.active_count() != 1:
        raise SystemExit(f"zygote: unsafe to fork after preloading: {loaded} loaded, "
                         f"{threading.active_count()} threads")


def send(conn: socket.socket, message: dict[str, Any]) -> None:
    data = json.dumps(message).encode()
    conn.sendall(_LENGTH.pack(len(data)) + data)


def receive_request(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """One request: its JSON and the standard streams sent with its first bytes."""
    head, fds, _, _ = socket.recv_fds(conn, _LENGTH.size, 3)
    while len(head) < _LENGTH.size:
        more = conn.recv(_LENGTH.size - len(head))
        if not more:
            raise EOFError
        head += more
    (size,) = _LENGTH.unpack(head)
    body = b""
    while len(body) < size:
        more = conn.recv(size - len(body))
        if not more:
            raise EOFError
        body += more
    return json.loads(body), fds


def serve(path: str) -> Callable[[], None]:
    """Accept requests for ever; returns only in a forked program, with what it is to run."""
    preload()
    own_env = import_time_env(dict(os.environ))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(128)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the waiters reap themselves
    print("ready", flush=True)
    gc.freeze()  # the preloaded objects stay shared with every fork, not copied by collections
    while True:
        conn, _ = listener.accept()
        if os.fork() == 0:
            listener.close()
            return wait_on(conn, own_env)
        conn.close()


def wait_on(conn: socket.socket, own_env: dict[str, str]) -> Callable[[], None]:
    """The waiter: fork the program, report its pid and its end; returns only in the program."""
    try:
        request, fds = receive_request(conn)
    except (OSError, EOFError, ValueError):
        os._exit(0)
    differs = sorted({k for k, _ in set(import_time_env(request["env"]).items())
                      ^ set(own_env.items())})
    # the same ids, capabilities, limits and priority (a JSON round trip, as the shim's)
    if json.loads(json.dumps(process_identity())) != request["process"]:
        differs.append("the process's ids, capabilities, limits or priority")
    if differs or len(fds) != 3:
        send(conn, {"fallback": differs or "streams"})
        os._exit(0)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    pid = os.fork()
    if pid == 0:
        conn.close()
        return become_program(request, fds)
    for fd in fds:
        os.close(fd)
    with contextlib.suppress(OSError):  # the program does it too: whichever runs first
        os.setpgid(pid, pid)
    send(conn, {"pid": pid})

    def kill_if_the_shim_dies() -> None:
        try:
            gone = conn.recv(1) == b""
        except OSError:
            gone = True
        if gone:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)

    threading.Thread(target=kill_if_the_shim_dies, daemon=True).start()
    _, status = os.waitpid(pid, 0)
    with contextlib.suppress(OSError):
        send(conn, {"status": status})
    os._exit(0)


def become_program(request: dict[str, Any], fds: list[int]) -> Callable[[], None]:
    """Turn this fork into the requested ``voicechat`` process; returns its ``main``."""
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    for target, fd in enumerate(fds):
        os.dup2(fd, target, inheritable=True)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.chdir(request["cwd"])
    os.umask(request["umask"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.stdin, sys.stdout, sys.stderr = fresh_stdio(os.environ.get("PYTHONUNBUFFERED"))
    # numpy's global generator was seeded once, in the fork server (``random`` reseeds itself
    # after a fork): each program draws its own numbers, as a fresh interpreter would
    sys.modules["numpy"].random.seed()
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr
    argv: list[str] = request["argv"]
    module: str | None = request.get("module")
    if module is not None:
        sys.argv = ["-m", *argv]
        sys.path[0] = os.getcwd()
        return lambda: runpy._run_module_as_main(module, alter_argv=True)  # type: ignore[attr-defined]
    script = argv[0]
    sys.argv = list(argv)
    sys.path[0] = os.path.dirname(os.path.abspath(script))

    def run_script() -> None:
        runpy.run_path(script, run_name="__main__")

    return run_script


def fresh_stdio(unbuffered: str | None) -> tuple[io.TextIOWrapper, io.TextIOWrapper,
                                                  io.TextIOWrapper]:
    """The standard streams as CPython makes them at start-up (``create_stdio``), on the
    descriptors the shim handed over: UTF-8, stderr with backslashreplace and line buffering,
    stdout line-buffered on a terminal, all written through under ``PYTHONUNBUFFERED``."""
    def wrap(fd: int, mode: str, like: tuple[str, str], line: bool) -> io.TextIOWrapper:
        encoding, errors = like
        raw = io.FileIO(fd, mode, closefd=False)
        if mode == "w" and unbuffered:
            return io.TextIOWrapper(raw, encoding=encoding, errors=errors,  # type: ignore[arg-type]
                                    line_buffering=line, write_through=True)
        buffered: io.BufferedIOBase = (io.BufferedReader(raw) if mode == "r"
                                       else io.BufferedWriter(raw))
        return io.TextIOWrapper(buffered, encoding=encoding, errors=errors,
                                line_buffering=line)

    stdin, stdout, stderr = _STDIO_LIKE
    return (wrap(0, "r", stdin, False), wrap(1, "w", stdout, os.isatty(1)),
            wrap(2, "w", stderr, True))


#: the encodings and error handlers this interpreter gave its own standard streams (the same
#: locale variables as every request's: :data:`IMPORT_TIME_ENV`)
_STDIO_LIKE = tuple((s.encoding, s.errors) for s in (sys.__stdin__, sys.__stdout__, sys.__stderr__))


if __name__ == "__main__":
    program = serve(sys.argv[1])
    program()
