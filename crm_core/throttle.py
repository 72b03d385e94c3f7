"""One counter for "at most N a window" limits per client address, kept in the cache (sign-in uses django-axes)."""

import hashlib

from django.core.cache import cache


def attempt_allowed(*, scope: str, client: str, limit: int, window: int) -> bool:
    """Count one attempt by `client` (an address from crm_core.client) at `scope`; False once `limit` is used up.

    The window is `window` seconds from the first attempt counted in it.
    """
    key = f"{scope}:addr:" + hashlib.sha256(client.encode()).hexdigest()
    # add + incr are atomic in every cache backend Django ships with, so simultaneous attempts from one address
    # cannot all read the same count and slip past the limit together.
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:
        # The window ended between add and incr, so this attempt opens the next window; if a simultaneous one
        # opened it first, this one is counted in it rather than lost.
        count = 1 if cache.add(key, 1, window) else cache.incr(key)
    return count <= limit
