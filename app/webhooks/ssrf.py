"""Keeping the sender away from internal networks (SSRF).

A hook's address is checked when it is written and again before every post: only
``http`` and ``https``, at most ``MAX_URL`` characters, no credentials, and every
address its host resolves to must be public. IP literals, ``localhost``, and the
decimal or octal spellings of an address (``http://2130706433/``, ``http://0177.1/``)
all resolve to what they stand for and are judged by ``ipaddress`` on the resolved
address, IPv4 and IPv6 alike (IPv4-mapped IPv6 addresses are judged as IPv4).

The sender then connects to the address checked here (``pinned``), not to a second
resolution, so a name that changes between the check and the connection (DNS
rebinding) cannot lead it inside.

An operator whose receivers live on the local network allows private addresses with
``WEBHOOKS_ALLOW_PRIVATE=true``.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL = 2_000
SCHEMES = ("http", "https")


class BadAddress(Exception):
    """Why an address is refused: ``code`` (stable word) and ``reason`` (English, for logs)."""

    def __init__(self, code: str, reason: str):
        self.code = code
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Target:
    """A checked address: its parts, and the IP addresses it may be reached at."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def parse(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a well-formed hook address; ``BadAddress`` otherwise."""
    url = (url or "").strip()
    if not url:
        raise BadAddress("missing", "no address")
    if len(url) > MAX_URL:
        raise BadAddress("too_long", f"longer than {MAX_URL} characters")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise BadAddress("malformed", "spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadAddress("malformed", str(exc)) from exc
    if parts.scheme.lower() not in SCHEMES:
        raise BadAddress("scheme", "only http and https")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise BadAddress("credentials", "credentials in the address")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise BadAddress("malformed", "no host")
    scheme = parts.scheme.lower()
    return scheme, host, port or (443 if scheme == "https" else 80)


def is_public(address: str) -> bool:
    """Whether an IP address is on the public internet (not private, loopback,
    link-local, reserved, multicast or unspecified)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


def resolve(host: str, port: int) -> tuple[str, ...]:
    """Every IP address ``host`` resolves to (IPv4 and IPv6), in the resolver's order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise BadAddress("unresolved", f"{host} does not resolve") from exc
    found: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        if sockaddr[0] not in found:
            found.append(sockaddr[0])
    if not found:
        raise BadAddress("unresolved", f"{host} does not resolve")
    return tuple(found)


def check(url: str, *, allow_private: bool) -> Target:
    """The address, parsed and resolved; ``BadAddress`` if any of its addresses is not
    public (unless ``allow_private``)."""
    scheme, host, port = parse(url)
    if not allow_private and host.lower() in ("localhost", "localhost.localdomain"):
        raise BadAddress("private", "localhost")
    addresses = resolve(host, port)
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise BadAddress("private", f"{host} resolves to {address}")
    return Target(url=url.strip(), scheme=scheme, host=host, port=port, addresses=addresses)


def pinned(target: Target, address: str) -> tuple[str, dict[str, str], dict]:
    """``(url, headers, extensions)`` that reach ``target`` at ``address`` (one of those
    checked), not at a new resolution: the host replaced by that IP, the ``Host`` header
    and (HTTPS) the TLS server name kept, so the certificate is still verified for the
    host."""
    parts = urlsplit(target.url)
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    shown = f"[{ip}]" if ip.version == 6 else str(ip)
    netloc = f"{shown}:{target.port}"
    url = parts._replace(netloc=netloc).geturl()
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    if ":" in target.host:  # an IPv6 literal
        host_header = f"[{target.host}]" + (
            "" if target.port == default_port else f":{target.port}"
        )
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return url, {"Host": host_header}, extensions
