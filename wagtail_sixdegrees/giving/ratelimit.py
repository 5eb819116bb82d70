"""Rate limiting donate attempts through Django's cache, per client and for everyone.

Card testers try hundreds of stolen cards through a donation form in minutes. Two budgets:

- per client (an IPv4 address, or an IPv6 /64, which one subscriber usually holds whole): every
  POST counts, valid or not; past ``RATE_LIMIT_ATTEMPTS`` the form answers 429.
- site-wide: only attempts that passed their client's check and are about to reach Stripe count,
  so one address flooding the form with refused or invalid posts cannot close it to everyone.

Past either limit the form answers 429 without storing anything or calling Stripe. Counters live
in fixed windows of ``RATE_LIMIT_WINDOW`` seconds in the cache named by ``RATE_LIMIT_CACHE``
(share it between processes in production).
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


def client_key(request: HttpRequest) -> str:
    """Who a per-client budget belongs to: the IPv4 address, or the IPv6 address's /64.

    An IPv6 subscriber is handed a whole /64 and can pick any address in it, so counting single
    IPv6 addresses would give one attacker 2**64 budgets.
    """
    raw = client_ip(request)
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


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


def _window() -> tuple[int, int, int]:
    """The window's length, the current window's number and the seconds until it ends."""
    window = max(1, int(conf.get_setting("RATE_LIMIT_WINDOW")))
    now = int(time.time())
    return window, now // window, window - now % window


def attempt(
    request: HttpRequest, scope: str = "donate", *, per_client: int | None = None
) -> Decision:
    """Count one attempt at ``scope`` against this request's client and say whether it may
    proceed (``per_client`` defaults to the donate form's ``RATE_LIMIT_ATTEMPTS``).

    Every attempt counts here, valid or not; it does not touch the site-wide budget (see
    ``overall_attempt``).
    """
    if per_client is None:
        per_client = int(conf.get_setting("RATE_LIMIT_ATTEMPTS"))
    window, slot, retry_after = _window()
    client = hashlib.sha256(client_key(request).encode()).hexdigest()[:32]
    if _count(f"sixdegrees:{scope}:{slot}:{client}", window * 2) > per_client:
        return Decision(False, retry_after)
    return Decision(True)


def keyed_attempt(scope: str, key: str, *, limit: int) -> Decision:
    """Count one attempt at ``scope`` for ``key`` (an email address, say: a digest is stored,
    never the key) whoever makes it, and say whether it may proceed."""
    window, slot, retry_after = _window()
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    if _count(f"sixdegrees:{scope}:{slot}:key:{digest}", window * 2) > limit:
        return Decision(False, retry_after)
    return Decision(True)


def overall_attempt(scope: str = "donate", *, limit: int | None = None) -> Decision:
    """Count one attempt that passed its client's check against the site-wide ceiling of
    ``scope`` (``limit`` defaults to ``RATE_LIMIT_GLOBAL_ATTEMPTS``) and say whether it may
    proceed. Only attempts that passed count, so one client cannot close a form to everyone."""
    if limit is None:
        limit = int(conf.get_setting("RATE_LIMIT_GLOBAL_ATTEMPTS"))
    window, slot, retry_after = _window()
    if _count(f"sixdegrees:{scope}:{slot}:all", window * 2) > limit:
        return Decision(False, retry_after)
    return Decision(True)


def checkout_attempt() -> Decision:
    """A donate attempt that passed its client's check and validation, just before it reaches
    Stripe, counted against the site-wide ceiling."""
    return overall_attempt("donate")
