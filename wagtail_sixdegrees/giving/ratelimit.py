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


def attempt(request: HttpRequest) -> Decision:
    """Count one donate attempt from this request's client and say whether it may proceed."""
    window = max(1, int(conf.get_setting("RATE_LIMIT_WINDOW")))
    now = int(time.time())
    slot = now // window
    retry_after = window - now % window
    address = hashlib.sha256(client_ip(request).encode()).hexdigest()[:32]
    per_ip = _count(f"sixdegrees:donate:{slot}:{address}", window * 2)
    overall = _count(f"sixdegrees:donate:{slot}:all", window * 2)
    if per_ip > int(conf.get_setting("RATE_LIMIT_ATTEMPTS")) or overall > int(
        conf.get_setting("RATE_LIMIT_GLOBAL_ATTEMPTS")
    ):
        return Decision(False, retry_after)
    return Decision(True)
