"""Which web addresses a server may fetch: public ones only (no server-side request forgery).

A server that fetches a ``url`` for anyone who asks must not be a way into the network it sits in. So every
connection the fetcher makes, the first and one for each redirect, resolves the host name itself, refuses the
request if any address it resolves to is on a loopback, private, shared, link-local, multicast, reserved or
unspecified range (IPv4-mapped, 6to4 and Teredo IPv6 addresses are judged by the IPv4 address inside), and
connects to the address it checked, so that a second look-up cannot answer differently. Proxies from the
environment are not used: the address checked is the one connected to.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Collection

from ..errors import DataError

__all__ = ["AddressPolicy", "AddressRefused", "refusal"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT


class AddressRefused(DataError):
    """A web address the server will not fetch: its host is, or resolves to, an address that is not public."""


def refusal(address: IPAddress) -> str | None:
    """Why ``address`` may not be fetched (``"loopback"``, ``"private"``, ...), or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None:
            return refusal(embedded)
    for kind, found in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("shared", isinstance(address, ipaddress.IPv4Address) and address in _SHARED),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("non-public", not address.is_global),
    ):
        if found:
            return kind
    return None


class AddressPolicy:
    """Connects only to public addresses. ``exempt`` names (IP, port) pairs allowed all the same: for tests,
    which may talk only to servers of their own on the loopback address; a server never has any."""

    def __init__(self, exempt: Collection[tuple[str, int]] = ()):
        self.exempt = frozenset((str(ipaddress.ip_address(ip)), int(port)) for ip, port in exempt)

    def check(self, host: str, port: int) -> list[tuple]:
        """The ``getaddrinfo`` results for ``host``, every one of them allowed; an ``AddressRefused`` otherwise."""
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        for *_, sockaddr in found:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
            kind = refusal(address)
            if kind is not None and (str(address), port) not in self.exempt:
                shown = host if host == str(address) else f"{host} ({address})"
                article = "an" if kind[0] in "aeiou" else "a"
                raise AddressRefused(
                    f"refused to fetch from {shown}: {article} {kind} address; the server fetches public web "
                    "addresses only"
                )
        return found

    def connect(
        self, address: tuple[str, int], timeout: float | None = None, source_address: tuple | None = None
    ) -> socket.socket:
        """``socket.create_connection`` for the fetcher's connections (``sources.fetch(connect=...)``): to the
        addresses ``check`` allowed."""
        host, port = address
        error: OSError | None = None
        for family, kind, proto, _, sockaddr in self.check(host, port):
            sock = socket.socket(family, kind, proto)
            try:
                if timeout is not None:
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as err:
                sock.close()
                error = err
        raise error or OSError(f"cannot connect to {host}")
