"""The client-address rule: which address a request came from, for every per-client limit (sign-in, website form)."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """Return the address a request came from: REMOTE_ADDR, or the header a trusted proxy sets."""
    header = settings.CLIENT_ADDRESS_HEADER
    if header:
        forwarded = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        # With a list, the last entry is the one the proxy appended; those before it came from the client.
        address = forwarded.rsplit(",", 1)[-1].strip()
        # Anything but an address means the proxy did not set the header; the sign-in throttle stores the
        # address in an IP address column, where text such as "unknown" would fail on PostgreSQL.
        if _is_address(address):
            return address
    return request.META.get("REMOTE_ADDR", "")


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
