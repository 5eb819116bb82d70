"""Impact in words: what a suggested amount buys for a need that carries a unit.

"$25 — 5 shelter nights": the count is a whole number of units, rounded down with
``money.whole_units``, so a line never promises more than the gift pays for. A line is left out
when it would not say something true and useful: the amount is in another currency than the
need (we never convert), it buys less than one unit, or more than a quarter of it would be left
over (``$30`` for a ``$20`` night is not "one night").
"""

from __future__ import annotations

from django.utils.translation import ngettext

from .. import money
from ..needs.models import Need

#: Leave a line out when more than this share of the amount (in percent) would buy no unit.
MAX_LEFTOVER_PERCENT = 25


def impact_line(amount: int, currency: str, need: Need | None) -> str:
    """What ``amount`` (minor units of ``currency``) buys for ``need``, or ``""``."""
    if need is None or not need.unit_cost or not need.unit_name or need.currency != currency:
        return ""
    count = money.whole_units(amount, need.unit_cost)
    if count < 1:
        return ""
    leftover = amount - count * need.unit_cost
    if leftover * 100 > amount * MAX_LEFTOVER_PERCENT:
        return ""
    unit = need.unit_name if count == 1 else (need.unit_name_plural or need.unit_name)
    return ngettext(
        "pays for %(count)s %(unit)s",
        "pays for %(count)s %(unit)s",
        count,
    ) % {"count": count, "unit": unit}
