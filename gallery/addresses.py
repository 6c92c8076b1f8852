"""Where image downloads may connect: public addresses only (IPv6 forms that embed an IPv4
address judged by it as well), and only to the addresses that were checked.

A download's connection resolves its host once, checks every address found, and connects to
one of those very addresses: nothing resolves the name a second time, so an answer that
changes between the check and the connection (DNS rebinding) cannot lead it elsewhere.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Prefixes whose last 32 bits are an IPv4 address: NAT64's well-known and local-use prefixes,
# the deprecated IPv4-compatible form and SIIT's IPv4-translated form.
LAST_32_BITS_EMBED_IPV4 = tuple(
    ipaddress.IPv6Network(prefix)
    for prefix in ("64:ff9b::/96", "64:ff9b:1::/48", "::/96", "::ffff:0:0:0/96")
)


class AddressRefused(Exception):
    """A host that may not be connected to, with the reason in words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: mapped (::ffff:a.b.c.d), NAT64, 6to4 (bits
    16 to 48), Teredo (its server, and its client: the last 32 bits inverted) and the rest."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if any(ip in prefix for prefix in LAST_32_BITS_EMBED_IPV4):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


def _is_global(ip: IPAddress) -> bool:
    return ip.is_global and not ip.is_multicast


def is_public_address(address: str | IPAddress) -> bool:
    """Whether an address is on the public internet: it is, and so is every IPv4 address it
    embeds. An IPv4-mapped address is how a socket names an IPv4 peer, so it is that peer."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv4Address):
        return _is_global(ip)
    if ip.ipv4_mapped is not None:
        return _is_global(ip.ipv4_mapped)
    return _is_global(ip) and all(_is_global(embedded) for embedded in embedded_ipv4(ip))


def may_be_private(host: str, port: int) -> bool:
    """A host:port the settings allow to be private (the local stand-in's)."""
    return f"{host}:{port}" in settings.MKA1_DOWNLOAD_PRIVATE_ALLOWED


def resolve(host: str, port: int) -> list[str]:
    """The host's addresses, in the resolver's order, each once."""
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(answer[4][0]) for answer in answers))


def checked_addresses(host: str, port: int) -> list[str]:
    """Resolve the host once; every address must be public unless the pair may be private."""
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise AddressRefused(f"The image host {host} could not be resolved.") from exc
    if not addresses:
        raise AddressRefused(f"The image host {host} could not be resolved.")
    if not may_be_private(host, port) and not all(map(is_public_address, addresses)):
        raise AddressRefused(
            f"The image URL points at a private address ({host}); it was not fetched."
        )
    return addresses


class CheckedBackend(httpcore.SyncBackend):
    """httpcore's sockets, opened only to addresses this backend resolved and checked itself.

    The URL, the Host header and TLS (SNI and the certificate's name) keep the host name:
    httpcore takes those from the request's origin, not from the address connected to."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in checked_addresses(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None
        raise failure


class CheckedTransport(httpx.HTTPTransport):
    """httpx's own transport, over a connection pool whose connections are checked."""

    def __init__(self, *, verify: ssl.SSLContext, limits: httpx.Limits) -> None:
        super().__init__(verify=verify, limits=limits)
        # The pool httpx built is replaced by one with the checking backend; httpx's request
        # and response handling (and its errors) stay as they are.
        self._pool.close()
        self._pool = httpcore.ConnectionPool(
            ssl_context=verify,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=CheckedBackend(),
        )
