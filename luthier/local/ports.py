"""Loopback-only hosts and free-port checks, so a clash is a message, not a hang."""
from __future__ import annotations

import errno
import ipaddress
import socket


class PortInUse(Exception):
    def __init__(self, host: str, port: int, variable: str, reason: str = "is already in use") -> None:
        super().__init__(
            f"port {port} on {host} {reason} ({variable}); stop the program using it "
            f"or choose another port, e.g. {variable}={port + 100} make run")
        self.host = host
        self.port = port
        self.variable = variable


class NotLoopback(Exception):
    pass


def require_loopback(host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise NotLoopback(f"HOST={host!r} is not an IP address; the local stack listens on loopback only") from None
    if not address.is_loopback:
        raise NotLoopback(f"HOST={host} is not a loopback address; the local stack listens on loopback only "
                          "(use 127.0.0.1 or ::1)")
    return host


def check_free(host: str, port: int, variable: str) -> None:
    """Raise PortInUse if nothing could listen on host:port right now.

    SO_REUSEADDR matches what the servers themselves set, so a socket left in
    TIME_WAIT by the previous run does not count as in use.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(host, port, variable) from None
            if exc.errno == errno.EACCES:
                raise PortInUse(host, port, variable, "needs privileges this user lacks") from None
            raise


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free now (tests start stacks on these)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
