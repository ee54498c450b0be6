"""Which addresses and names are inside a network, not on the public web.

An article is input from strangers.  On a CI runner or a newsroom server its
links can point at the machine itself, the office network or the cloud's
metadata service (``169.254.169.254``); fetching them, printing what they answer
into a report, or sending them to a public archive would make linkaudit a way in
or a leak.  The checker can refuse such addresses (``--exclude-private`` and
friends, checked after name resolution and on every redirect hop), and the
archive stage never sends them to an archive outside the network.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Iterable


class AddressKind(enum.StrEnum):
    """The non-public address classes, named as lychee's ``--exclude-*`` flags."""

    LOOPBACK = "loopback"
    PRIVATE = "private"
    LINK_LOCAL = "link_local"


_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(*cidrs: str) -> tuple[_Network, ...]:
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


_KINDS: tuple[tuple[AddressKind, tuple[_Network, ...]], ...] = (
    # 0.0.0.0/8 and :: reach the machine itself on Linux, like loopback.
    (AddressKind.LOOPBACK, _networks("127.0.0.0/8", "0.0.0.0/8", "::1/128", "::/128")),
    # RFC 1918, carrier-grade NAT (cloud VPCs use it), IPv6 unique-local.
    (
        AddressKind.PRIVATE,
        _networks("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"),
    ),
    # Cloud metadata services live here (169.254.169.254, fd00:ec2::254 is ULA above).
    (AddressKind.LINK_LOCAL, _networks("169.254.0.0/16", "fe80::/10")),
)

#: Top-level names that never resolve on the public internet (RFC 2606, RFC 6761,
#: RFC 8375, ICANN's .internal) or are conventions for private networks.
INTERNAL_SUFFIXES = frozenset(
    {"localhost", "local", "internal", "intranet", "lan", "home", "corp", "private"}
    | {"localdomain", "test", "example", "invalid", "home.arpa"}
)


def address_kind(address: str) -> AddressKind | None:
    """The kind of an IP address (IPv4-mapped IPv6 counts as its IPv4), None if public
    or not an address at all."""
    try:
        ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, networks in _KINDS:
        if any(ip in network for network in networks):
            return kind
    return None


def internal_name(host: str) -> bool:
    """A host name that cannot be on the public web: one label (``intranet``), or a
    reserved or private-network top-level name (``wiki.corp``, ``x.internal``)."""
    name = host.strip("[]").rstrip(".").lower()
    if not name or address_kind(name) is not None:
        return False
    if "." not in name:
        return not is_ip(name)
    labels = name.split(".")
    return labels[-1] in INTERNAL_SUFFIXES or ".".join(labels[-2:]) in INTERNAL_SUFFIXES


def is_ip(text: str) -> bool:
    """Whether ``text`` is an IP address (an IPv6 one may keep its URL brackets)."""
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def is_internal(host: str | None) -> bool:
    """Whether ``host`` (an address or a name) is inside a network by its spelling alone."""
    if not host:
        return False
    return address_kind(host) is not None or internal_name(host)


def parse_kinds(names: Iterable[str]) -> frozenset[AddressKind]:
    """``AddressKind`` values by name; ``ValueError`` names an unknown one."""
    return frozenset(AddressKind(name) for name in names)
