"""The client's address, for per-address throttling (issue 11, point 4).

``X-Forwarded-For`` is written by whoever sends the request, so it is believed only
when the peer that sent it is a proxy the deployment names (``CERTREG_TRUSTED_PROXIES``:
addresses or networks, comma-separated; empty by default, i.e. no proxy). The header is
then read from the right: each hop appended by a trusted proxy is skipped, and the first
address that is not a trusted proxy is the client (a client's own, forged entries to
its left are never reached).

The gateway resolves the address once and hands on only that: in the embedded mode as
the ASGI ``client`` of the in-process service (the client's ``X-Forwarded-For`` removed),
when distributed as the one ``X-Forwarded-For`` value it sends (the services name the
gateway's network in their own ``CERTREG_TRUSTED_PROXIES``)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED_FOR = b"x-forwarded-for"


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """``"10.0.0.0/8"``, ``"127.0.0.1"``, ``"::1"`` → networks; a malformed entry is a
    ``ValueError`` naming it (the setting is refused at start)."""
    found: list[Network] = []
    for raw in values:
        text = raw.strip()
        if not text:
            continue
        try:
            found.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network: {text!r}") from None
    return tuple(found)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    parsed = _address(address)
    return parsed is not None and any(parsed in network for network in trusted)


def client_address(peer: str, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str:
    """The client of a request from ``peer`` carrying the ``X-Forwarded-For`` header
    values ``forwarded_for``."""
    if not peer:
        return "unknown"
    if not is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        parsed = _address(hop)
        if parsed is None:  # garbage from the left of the chain: stop at the last good hop
            break
        client = str(parsed)
        if not any(parsed in network for network in trusted):
            break
    return client


def forwarded_values(headers: Iterable[tuple[bytes, bytes]]) -> list[str]:
    return [v.decode("latin-1") for k, v in headers if k.lower() == FORWARDED_FOR]
