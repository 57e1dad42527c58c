"""Where a webhook may go: public internet addresses only.

A webhook URL is typed by a person and fetched by our server, from inside our network: left
unchecked it reaches what only we can reach (the cloud's metadata service at 169.254.169.254,
the database, Redis, the admin on 127.0.0.1). So one check, `check`, runs when an endpoint is
saved (a clear form error) and again for every delivery, on the addresses the name resolves to
at that moment (DNS can change). Delivery then connects to exactly the addresses this check
accepted, never to a second lookup, which a name switching its answer between the two
("DNS rebinding") could point inside.

Allowed: https to a host all of whose addresses are public. This machine's own addresses
(loopback) only when WEBHOOK_ALLOW_HTTP_LOCALHOST is on, for development, where plain http to
localhost is allowed too. Never: user names or passwords in the URL (they end up in logs, and
the signature already proves who sends), nor private, link-local, multicast, reserved or
unspecified addresses.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
DEFAULT_PORTS = {"https": 443, "http": 80}
# NAT64's well-known prefix: the last 32 bits are an IPv4 address that a gateway connects to.
NAT64 = ipaddress.ip_network("64:ff9b::/96")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class Destination:
    """A checked URL: connect to `addresses` (and nothing else), saying `host` for TLS and in
    the Host header."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def check(url: str) -> Destination:
    """The destination of `url`, or ValidationError saying in plain words why not."""
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in DEFAULT_PORTS or not host:
        raise ValidationError("Use an https:// URL.", code="insecure_url")
    if parts.username is not None or parts.password is not None:
        raise ValidationError(
            "Leave the user name and password out of the URL: requests are signed instead.",
            code="credentials_in_url",
        )
    if parts.scheme == "http" and not (
        host in LOCAL_HOSTS and settings.WEBHOOK_ALLOW_HTTP_LOCALHOST
    ):
        raise ValidationError(
            "Use an https:// URL (plain http is allowed only for localhost in development, "
            "with WEBHOOK_ALLOW_HTTP_LOCALHOST=1).",
            code="insecure_url",
        )
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ValidationError(
            "The port must be a number from 1 to 65535.", code="bad_port"
        ) from None
    addresses = _resolve(host, port)
    for address in addresses:
        if problem := _not_public(ipaddress.ip_address(address.split("%")[0])):
            raise ValidationError(_refusal(host, problem), code="address_not_allowed")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(parts.scheme, host, port, path, addresses)


def _resolve(host: str, port: int) -> tuple[str, ...]:
    """Every address `host` has now (an address written as a number is its own answer; this
    also reads the odd forms, 2130706433 or 0x7f.1, as the address they are)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        found = []
    addresses = tuple(dict.fromkeys(info[4][0] for info in found))
    if not addresses:
        raise ValidationError(
            f"{host} could not be found: check the spelling.", code="unknown_host"
        )
    return addresses


def _not_public(address: Address) -> str:
    """Why a connection to `address` is not allowed, or "" when it is."""
    address = _embedded_ipv4(address) or address
    if address.is_unspecified:
        return "the unspecified address, which reaches this machine"
    if address.is_loopback:
        return "" if settings.WEBHOOK_ALLOW_HTTP_LOCALHOST else "loopback"
    if address.is_link_local:
        return "a link-local address (where cloud metadata services answer)"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private network address"
    if not address.is_global:
        return "not a public internet address"
    return ""


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address leads to, if any: ::ffff:10.0.0.5 (IPv4-mapped),
    64:ff9b::a00:5 (NAT64) and 2002:a00:5:: (6to4) all reach 10.0.0.5."""
    if address.version == 4:
        return None
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.ipv4_mapped or address.sixtofour


def _refusal(host: str, problem: str) -> str:
    # A name's addresses are not repeated: the form would tell anyone what internal names
    # resolve to.
    try:
        ipaddress.ip_address(host)
        subject = f"{host} is"
    except ValueError:
        subject = f"{host} leads to"
    if problem == "loopback":
        return (
            f"{subject} this machine's own address: allowed only in development "
            "(WEBHOOK_ALLOW_HTTP_LOCALHOST=1)."
        )
    return f"{subject} {problem}: webhooks go only to public internet addresses."
