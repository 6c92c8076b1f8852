"""What every app's views share about a request's own input, below the apps that use it."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def local_url(url: str | None, default: str = "/") -> str:
    """A path on this site to go back to; anything else (another host, a scheme) is the default."""
    if url and url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return url
    return default
