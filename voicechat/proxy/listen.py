"""``--listen HOST:PORT``: where the proxy accepts apps, loopback unless asked otherwise.

The proxy forwards whatever credential an app presents to a paid API, so anyone who can reach it
can spend through it the keys of the apps that use it, and read their sessions: anything but
loopback needs ``--allow-remote``.
"""

from __future__ import annotations

import ipaddress


class ListenError(ValueError):
    """The listen address is malformed, or not loopback without ``--allow-remote``."""


def parse_listen(spec: str, *, allow_remote: bool) -> tuple[str, int]:
    host, sep, port_text = spec.strip().rpartition(":")
    if not sep or not host:
        raise ListenError(f"--listen {spec!r}: expected HOST:PORT, e.g. 127.0.0.1:8766")
    host = host.strip("[]")
    try:
        port = int(port_text)
    except ValueError:
        raise ListenError(f"--listen {spec!r}: the port must be a number") from None
    if not 0 <= port <= 65535:
        raise ListenError(f"--listen {spec!r}: the port must be 0..65535 (0 = any free port)")
    if not allow_remote and not is_loopback(host):
        raise ListenError(
            f"--listen {host}: the proxy forwards your apps' API keys, so it listens on loopback "
            "only (127.0.0.1, ::1, localhost); add --allow-remote to listen on "
            f"{host} anyway"
        )
    return host, port


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
