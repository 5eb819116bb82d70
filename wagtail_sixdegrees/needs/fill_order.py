"""Which matching need is filled first: the one decision the allocation engine, the donate
form and every "in fill order" listing share.

Pure values and functions (no ORM, no settings at import time), so the engine can use them
and stay pure, and the needs layer can order a queryset without importing allocation. A site
replaces the order with ``WAGTAIL_SIXDEGREES["ALLOCATION_POLICY"]`` (a :class:`FillPolicy`
subclass); :func:`configured_policy` is the one place that reads it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

__all__ = [
    "DefaultFillPolicy",
    "FillPolicy",
    "NeedState",
    "SortKey",
    "configured_policy",
    "in_fill_order",
    "sql_order",
]

T = TypeVar("T")

#: What a fill policy sorts needs by: a tuple of comparable values, smallest first.
SortKey = tuple[object, ...]


@dataclass(frozen=True, slots=True)
class NeedState:
    """What a fill policy (and the engine) knows about an open need."""

    id: int
    cause_id: int
    region_id: int
    currency: str
    gap: int  # target minus what the need holds now, never negative
    priority: int = 3
    closes_on: datetime.date | None = None
    created_at: datetime.datetime | None = None


class FillPolicy:
    """Decides the order in which matching needs are filled. Replace it through settings.

    Subclass and override :meth:`sort_key`; the key must be total and stable (end with the id).
    A policy whose key is made of the need's own columns may also name them in
    :attr:`order_fields`, so listings can order (and page) in the database; a policy that
    judges gaps leaves it None and listings sort in Python.
    """

    #: ``(column, nulls_last)`` pairs giving the same order as :meth:`sort_key` in SQL, or None.
    order_fields: tuple[tuple[str, bool], ...] | None = None

    def sort_key(self, need: NeedState) -> SortKey:
        raise NotImplementedError


class DefaultFillPolicy(FillPolicy):
    """Priority first, then the earliest closing date (open-ended last), then the oldest."""

    FAR_FUTURE = datetime.date.max
    LONG_AGO = datetime.datetime.min
    order_fields = (("priority", False), ("closes_on", True), ("created_at", False), ("pk", False))

    def sort_key(self, need: NeedState) -> SortKey:
        created = need.created_at.replace(tzinfo=None) if need.created_at else self.LONG_AGO
        return (need.priority, need.closes_on or self.FAR_FUTURE, created, need.id)


def configured_policy() -> FillPolicy:
    """The site's ``ALLOCATION_POLICY``, or the default policy."""
    # Imported here so that importing this module (as the pure engine does) reads no settings.
    from django.utils.module_loading import import_string

    from .. import conf

    dotted = conf.get_setting("ALLOCATION_POLICY")
    return import_string(dotted)() if dotted else DefaultFillPolicy()


def sql_order(policy: FillPolicy) -> tuple[tuple[str, bool], ...] | None:
    """The policy's :attr:`~FillPolicy.order_fields`, trusted only from the class that defines
    its ``sort_key`` (a subclass that changes the key without them sorts in Python)."""
    for klass in type(policy).__mro__:
        if "sort_key" in vars(klass):
            return vars(klass).get("order_fields")
    return None


def in_fill_order(
    items: Iterable[T], state: Callable[[T], NeedState], policy: FillPolicy | None = None
) -> list[T]:
    """``items`` sorted as ``policy`` (default: the configured one) would fill them."""
    policy = policy or configured_policy()
    return sorted(items, key=lambda item: policy.sort_key(state(item)))
