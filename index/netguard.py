"""Where `rawi fetch` may connect, and for how long: the network layer under its HTTP client.

Feed entries and redirects are written by whoever runs the feed's server, so a link may name
an address on the fetching machine's side of the network: its loopback, a private network, a
cloud's link-local metadata service (169.254.169.254). Fetched and indexed, such a page would be
quoted to anyone who asks. So every connection is made here, after DNS resolution, to an address
that was checked: global unicast only, unless the (host, port) is one of the feeds the user
configured (a feed on the intranet stays reachable) or ``[feeds] allow_private_networks`` is on.
Connecting to the very address that was checked leaves no gap for a name that resolves to
another address the second time (DNS rebinding). Redirects need nothing more: each hop's
connection comes through here.

The same layer holds the deadline of a whole request (connect, status line, headers, body,
every redirect hop): each socket wait is shortened to what is left of it, so a server that
trickles its headers a byte at a time cannot hold the fetch past it.

httpx has no public switch for the network backend of its default transport; httpcore (its
engine) takes one (``network_backend``, a public interface), so ``guarded_transport`` builds
httpx's transport with such a pool.
"""

from __future__ import annotations

import ipaddress
import math
import socket
import time
from typing import Any, Iterable

import httpcore
import httpx


class AddressRefused(Exception):
    """An untrusted link leads to an address that is not on the public internet."""


class DeadlinePassed(Exception):
    """The whole request took longer than its deadline."""


def not_public(address: str) -> str | None:
    """Why ``address`` is not a public (global unicast) address, or None when it is one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 scope (fe80::1%eth0) is not part of it
    mapped = getattr(ip, "ipv4_mapped", None)
    ip = mapped or ip
    for kind in ("loopback", "unspecified", "link_local", "multicast", "reserved", "private"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if ip.is_global else "not global"


class GuardedBackend(httpcore.NetworkBackend):
    """Resolves, checks and connects; every socket wait is bounded by the request's deadline."""

    def __init__(self, trusted: Iterable[tuple[str, int]], allow_private: bool) -> None:
        self.trusted = {(host.lower(), port) for host, port in trusted}
        self.allow_private = allow_private
        self.deadline = math.inf
        self._inner = httpcore.SyncBackend()

    def start(self, seconds: float) -> None:
        """A new request: it must be over within ``seconds``."""
        self.deadline = time.monotonic() + seconds

    def passed(self) -> bool:
        return self.deadline <= time.monotonic()

    def wait(self, timeout: float | None) -> float:
        """The longest a socket may wait now: ``timeout``, cut to what is left of the deadline."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise DeadlinePassed
        return left if timeout is None else min(timeout, left)

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        addresses = self._checked(host, port)
        error: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(address, port, self.wait(timeout), local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
                continue
            return DeadlineStream(stream, self)
        raise error

    def _checked(self, host: str, port: int) -> list[str]:
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
        if self.allow_private or (host.lower(), port) in self.trusted:
            return addresses
        public = [a for a in addresses if not_public(a) is None]
        if not public:
            first = addresses[0] if addresses else "-"
            raise AddressRefused(
                f"refused: {host} is not a public address ({first}: {not_public(first) if addresses else 'none'}); "
                "a feed's own host is allowed, [feeds] allow_private_networks = true allows every address"
            )
        return public

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used for feeds")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write waits no longer than the request's deadline allows."""

    def __init__(self, inner: httpcore.NetworkStream, backend: GuardedBackend) -> None:
        self._inner = inner
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._backend.wait(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._backend.wait(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        secured = self._inner.start_tls(ssl_context, server_hostname, self._backend.wait(timeout))
        return DeadlineStream(secured, self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def guarded_transport(backend: GuardedBackend) -> httpx.HTTPTransport:
    """httpx's own transport (its error mapping and streaming), its connections made by ``backend``.
    No proxy from the environment (httpx uses none with a transport given): a proxy would resolve
    the names itself, past the checks."""
    transport = httpx.HTTPTransport()
    transport._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(), network_backend=backend)
    return transport


def origin(url: str) -> tuple[str, int]:
    """The (host, port) a URL connects to, as httpcore names them."""
    parsed = httpx.URL(url)
    return parsed.host.lower(), parsed.port or (443 if parsed.scheme == "https" else 80)
