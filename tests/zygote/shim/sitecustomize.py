"""Hand a ``voicechat`` command to the tests' fork server (``tests/zygote``), if one is up.

Python imports this at start-up from ``PYTHONPATH``, which ``tests/conftest.py`` sets for the
test run. Every interpreter started during the tests imports it; it acts only when
``TEST_FORK_SERVER`` names the fork server's socket and the command line is the
``voicechat`` console script or ``python -m voicechat[.cli]`` with no interpreter options.
Then this process becomes a stand-in: it forwards the signals it gets to the forked program
and exits as the program did. Only the standard library, imported lazily: every
other interpreter pays a few microseconds for this file.
"""

import os
import sys


def _command() -> "tuple[str | None, list[str]] | None":
    """``(module, args)`` for ``python -m voicechat[.cli] args``, ``(None, [script, *args])``
    for the console script; ``None`` for anything else."""
    argv = getattr(sys, "orig_argv", [])
    if len(argv) >= 3 and argv[1] == "-m" and argv[2] in ("voicechat", "voicechat.cli"):
        return argv[2], argv[3:]
    script = os.path.abspath(argv[1]) if len(argv) >= 2 else ""
    if (os.path.basename(script) == "voicechat" and os.path.isfile(script)
            and os.path.dirname(script) == os.path.dirname(os.path.abspath(sys.executable))):
        return None, [script, *argv[2:]]
    return None


def _why_not_handed_over() -> "str | None":
    """``None`` when there is no terminal and no descriptor past the standard three that the
    program would inherit; else what there is."""
    import fcntl

    for fd in (0, 1, 2):
        try:
            if os.isatty(fd):
                return f"a terminal on {fd}"
            fcntl.fcntl(fd, fcntl.F_GETFD)
        except OSError:
            return f"no descriptor {fd}"
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2:
            try:
                if not fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC:
                    return f"descriptor {fd} inherited"
            except OSError:
                continue  # the directory listing's own descriptor
    return None


def _note(why: str) -> None:
    """Why this command runs the ordinary way, for ``TEST_FORK_SERVER_LOG`` (a file)."""
    log = os.environ.get("TEST_FORK_SERVER_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"{why}\t{' '.join(sys.orig_argv[1:6])}\n")


def process_identity() -> "dict[str, object]":
    """What a fork cannot take from the request: who the process is and what it may do (ids,
    capabilities: ``setpriv`` drops some while staying root), its limits and its priority. The
    fork server compares it with its own (``tests/zygote/server.py``)."""
    import resource

    with open("/proc/self/status", encoding="ascii") as status:
        fields = dict(line.split(":", 1) for line in status if ":" in line)
    kept = ("Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb",
            "NoNewPrivs", "Seccomp")
    limits = {name: resource.getrlimit(getattr(resource, name))
              for name in dir(resource) if name.startswith("RLIMIT_")}
    return {"status": {k: fields.get(k, "").strip() for k in kept}, "limits": limits,
            "nice": os.getpriority(os.PRIO_PROCESS, 0)}


def _run_in_the_fork_server(path: str, module: "str | None", args: "list[str]") -> None:
    import contextlib
    import json
    import signal
    import socket
    import struct

    length = struct.Struct("!I")
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
    except OSError as exc:
        conn.close()
        _note(f"no fork server ({exc})")
        return  # not up (any more): run the ordinary way
    umask = os.umask(0)
    os.umask(umask)
    body = json.dumps({"module": module, "argv": args, "env": dict(os.environ),
                       "cwd": os.getcwd(), "umask": umask,
                       "process": process_identity()}).encode()
    data = length.pack(len(body)) + body
    sent = socket.send_fds(conn, [data], [0, 1, 2])
    conn.sendall(data[sent:])
    reader = conn.makefile("rb")

    def receive() -> "dict[str, object] | None":
        head = reader.read(length.size)
        if len(head) < length.size:
            return None
        return json.loads(reader.read(length.unpack(head)[0]))

    first = receive()
    if first is None or "fallback" in first:
        _note(f"the environment differs: {first and first.get('fallback')}")
        reader.close()
        conn.close()
        return
    pid = int(first["pid"])  # type: ignore[arg-type]
    _note("forked")

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):  # the process, as the sender aimed
            os.kill(pid, signum)

    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"):
        signal.signal(getattr(signal, name), forward)
    end = receive()
    if end is None:  # the waiter died: say so, as a crash would
        os._exit(70)
    status = int(end["status"])  # type: ignore[arg-type]
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 70)


def _main() -> None:
    path = os.environ.get("TEST_FORK_SERVER")
    if not path or path == "0":
        return
    command = _command()
    if command is None:
        if "voicechat" in " ".join(sys.orig_argv[:3]):
            _note("not a voicechat command line")
        return
    why = _why_not_handed_over()
    if why is not None:
        _note(why)
        return
    _run_in_the_fork_server(path, *command)


_main()
