"""One structured log line for every step that moves or records money.

Each line goes to the ``wagtail_sixdegrees.money`` logger at INFO as ``money <action> key=value
...`` and carries the same fields as a dict in ``record.money`` (for a JSON formatter). The ids
that let operations follow one gift across processes are always there when known: the Stripe
event being applied (``event``, bound for the duration by :func:`bound`), the donation's public
reference (``donation``), and amounts in minor units with their currency. Never an email address,
a name or a card detail.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from typing import Any

from django.db import transaction

logger = logging.getLogger("wagtail_sixdegrees.money")

_context: contextvars.ContextVar[tuple[tuple[str, Any], ...]] = contextvars.ContextVar(
    "sixdegrees_money_context", default=()
)


@contextlib.contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Add ``fields`` (``event=evt_...``) to every money line logged inside the block."""
    token = _context.set(tuple({**dict(_context.get()), **fields}.items()))
    try:
        yield
    finally:
        _context.reset(token)


def log(action: str, *, donation: Any = None, level: int = logging.INFO, **fields: Any) -> None:
    """Log ``action`` (``paid``, ``refund_recorded``, ``allocated``...) with its ids.

    ``donation`` may be a Donation (its reference, amount and currency are added) or a
    reference."""
    money: dict[str, Any] = dict(_context.get())
    if donation is not None:
        reference = getattr(donation, "reference", donation)
        money["donation"] = str(reference)
        if hasattr(donation, "amount"):
            money.setdefault("amount", donation.amount)
            money.setdefault("currency", donation.currency)
    money.update({key: value for key, value in fields.items() if value not in (None, "")})
    text = " ".join(f"{key}={value}" for key, value in money.items())
    logger.log(level, "money %s %s", action, text, extra={"money": {"action": action, **money}})


def log_on_commit(action: str, *, donation: Any = None, **fields: Any) -> None:
    """:func:`log` once the current transaction commits (at once outside one), with the fields
    bound now: a command that rolls back leaves no line saying money moved."""
    context = _context.get()

    def emit() -> None:
        token = _context.set(context)
        try:
            log(action, donation=donation, **fields)
        finally:
            _context.reset(token)

    transaction.on_commit(emit, robust=True)


def by_currency(amounts: dict[str, int]) -> str:
    """``{"USD": 1250, "THB": 30000}`` as ``THB:30000,USD:1250`` (minor units, sorted)."""
    return ",".join(f"{currency}:{amount}" for currency, amount in sorted(amounts.items()))
