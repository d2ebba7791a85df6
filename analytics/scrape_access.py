"""Who may read /metrics: a bearer token by default; an address allow-list only when one
is configured; a forwarded address only from a configured trusted proxy.

A reverse proxy on the same host makes every request arrive from 127.0.0.1, so the peer
address alone proves nothing once a proxy is in front; and X-Forwarded-For is whatever
the client wrote unless the peer that added it is a proxy we trust.
"""

from __future__ import annotations

import hmac
import ipaddress
from ipaddress import IPv4Address, IPv6Address

from django.conf import settings
from django.http import HttpRequest

Address = IPv4Address | IPv6Address


def _parse(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: Address | None) -> bool:
    return address is not None and any(
        address in network for network in settings.METRICS_TRUSTED_PROXIES
    )


def client_address(request: HttpRequest) -> Address | None:
    """The scraper's address, or None when it cannot be known.

    Without X-Forwarded-For it is the peer. With it, only a trusted proxy's word counts:
    the right-most address that is not itself a trusted proxy. A forwarded request from
    an untrusted peer has no known address (a proxy we were not told about sent it).
    """
    peer = _parse(request.META.get("REMOTE_ADDR", ""))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if forwarded is None:
        return peer
    if not _trusted(peer):
        return None
    for hop in reversed(forwarded.split(",")):
        address = _parse(hop)
        if not _trusted(address):
            return address
    return None


def _token_matches(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    scheme, _space, supplied = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and (
        scheme.lower() == "bearer" and hmac.compare_digest(supplied.encode(), token.encode())
    )


def scrape_allowed(request: HttpRequest) -> bool:
    if _token_matches(request):
        return True
    if not settings.METRICS_ALLOWED_NETWORKS:
        return False
    address = client_address(request)
    return address is not None and any(
        address in network for network in settings.METRICS_ALLOWED_NETWORKS
    )
