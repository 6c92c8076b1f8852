"""What every app's views share about a request's own input, below the apps that use it."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def local_url(url: str | None, default: str = "/") -> str:
    """A path on this site to go back to; anything else (another host, a scheme) is the default."""
    if url and url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return url
    return default


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address the
    outermost of them put in X-Forwarded-For (counted from the right, where each proxy appends;
    anything further left is whatever the client sent)."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    count = int(settings.TRUSTED_PROXY_COUNT)
    if count <= 0:
        return remote
    header = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    if not hops:
        return remote
    candidate = hops[-count] if len(hops) >= count else hops[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
