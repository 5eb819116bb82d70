"""Rate limiting donate attempts through Django's cache, per client IP and for everyone.

Card testers try hundreds of stolen cards through a donation form in minutes. Each POST to the
donate view counts as an attempt, valid or not; past the limit the form answers 429 without
storing anything or calling Stripe. Counters live in fixed windows of ``RATE_LIMIT_WINDOW``
seconds in the cache named by ``RATE_LIMIT_CACHE`` (share it between processes in production).
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.http import HttpRequest

from .. import conf


def client_ip(request: HttpRequest) -> str:
    """The client's address from ``CLIENT_IP_HEADER``; for a forwarded list, the entry the
    nearest of ``TRUSTED_PROXY_COUNT`` trusted proxies saw (never one the client wrote)."""
    header = conf.get_setting("CLIENT_IP_HEADER")
    raw = str(request.META.get(header) or "")
    if "," in raw or header != "REMOTE_ADDR":
        entries = [entry.strip() for entry in raw.split(",") if entry.strip()]
        depth = max(1, int(conf.get_setting("TRUSTED_PROXY_COUNT")))
        raw = entries[-depth] if len(entries) >= depth else ""
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        # No usable address: count it with the address the socket saw.
        return str(request.META.get("REMOTE_ADDR") or "unknown")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0


def _count(key: str, timeout: int) -> int:
    cache = caches[conf.get_setting("RATE_LIMIT_CACHE")]
    # add() is atomic where the backend is (Redis, Memcached, LocMem); incr() likewise.
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout)
        return 1


def attempt(
    request: HttpRequest,
    scope: str = "donate",
    *,
    per_client: int | None = None,
    overall: int | None = None,
) -> Decision:
    """Count one attempt at ``scope`` from this request's client and say whether it may
    proceed. Limits default to the donate form's (``RATE_LIMIT_ATTEMPTS`` per client,
    ``RATE_LIMIT_GLOBAL_ATTEMPTS`` for everyone, per ``RATE_LIMIT_WINDOW``)."""
    if per_client is None:
        per_client = int(conf.get_setting("RATE_LIMIT_ATTEMPTS"))
    if overall is None:
        overall = int(conf.get_setting("RATE_LIMIT_GLOBAL_ATTEMPTS"))
    window = max(1, int(conf.get_setting("RATE_LIMIT_WINDOW")))
    now = int(time.time())
    slot = now // window
    retry_after = window - now % window
    address = hashlib.sha256(client_ip(request).encode()).hexdigest()[:32]
    from_client = _count(f"sixdegrees:{scope}:{slot}:{address}", window * 2)
    from_everyone = _count(f"sixdegrees:{scope}:{slot}:all", window * 2)
    if from_client > per_client or from_everyone > overall:
        return Decision(False, retry_after)
    return Decision(True)
