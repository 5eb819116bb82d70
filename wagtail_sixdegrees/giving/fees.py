"""Covering Stripe's fee: how much to add so the organisation receives the whole gift."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import money


@dataclass(frozen=True)
class FeeEstimate:
    """A site's estimate of Stripe's pricing: a percentage (in basis points) plus a fixed part
    per currency (minor units). It is an estimate: Stripe's actual fee arrives later, from the
    charge's balance transaction, and that is what allocation uses."""

    rate_bps: int = 0
    fixed: dict[str, int] = field(default_factory=dict)

    def fee_to_add(self, amount: int, currency: str) -> int:
        """The smallest addition ``f`` such that ``amount + f`` minus the estimated fee on it is at
        least ``amount``, rounded up to what the currency can charge."""
        code = money.get_currency(currency).code
        fixed = self.fixed.get(code, 0)
        if self.rate_bps <= 0 and fixed <= 0:
            return 0
        if self.rate_bps >= money.BASIS_POINTS:
            raise ValueError("a fee rate of 100% or more cannot be covered")
        # gross = (amount + fixed) / (1 - rate), rounded up, in integers only.
        numerator = (amount + fixed) * money.BASIS_POINTS
        denominator = money.BASIS_POINTS - self.rate_bps
        gross = -(-numerator // denominator)
        step = money.get_currency(code).step
        gross = -(-gross // step) * step
        return gross - amount
