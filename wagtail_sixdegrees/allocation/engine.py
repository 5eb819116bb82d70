"""The allocation engine: plain data in, a plan of postings out. No ORM, no I/O, no clock.

This module implements the allocation rules of docs/concepts.md#allocation-rules (#rule-1
to #rule-6, and the arithmetic of #rule-7) as pure functions over small frozen dataclasses, so
the rules can be read, tested and reasoned about without a database. ``allocation/ledger.py`` feeds it rows and is the only code
that writes its plan to the ledger.

How a gift is divided
---------------------
1. The donation's allocatable amount (its net, or gross, in settlement currency) is split over its
   preferences by the largest-remainder method on basis points; leftover units go to the largest
   remainders, ties to the earlier preference.
2. A **need** share goes to that need up to its remaining gap. The excess overflows to other open
   needs of the same cause and region (policy order), then waits in the restricted pool of that
   cause and region; only if the donor allowed flexible use does it go to the general pool.
3. A **cause**, **region** or **cause and region** share fills the matching open needs in policy
   order, each up to its gap; the rest waits in the matching restricted pool.
4. A **where most needed** share goes to the general pool.
5. Money only ever lands in a need of its own currency; shares aimed at needs in other currencies
   wait in the restricted pool for the donation's currency. We never convert currencies.

Determinism
-----------
Needs' gaps are consumed as donations are processed, so the order matters. The engine therefore
processes items in one canonical order (:attr:`AllocationItem.order_key`: when the money arrived,
then its reference). :func:`plan` sorts a finite input; :meth:`Allocator.stream` takes an
iterator already in that order (the ledger reads it with ``ORDER BY``) and refuses anything
out of order. Memory is bounded by the number of needs, never by the number of donations.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from .. import money
from ..needs.fill_order import DefaultFillPolicy, FillPolicy, NeedState  # shared with the form

__all__ = [
    "Account",
    "AccountKind",
    "AllocationItem",
    "Allocator",
    "DefaultFillPolicy",
    "FillPolicy",
    "Holding",
    "NeedState",
    "Plan",
    "PlanDigest",
    "Posting",
    "Preference",
    "PreferenceKind",
    "ReversalPlan",
    "Rule",
    "plan",
    "plan_move",
    "plan_reversal",
    "reversal_target",
    "within_restriction",
]


class AccountKind(StrEnum):
    NEED = "need"
    RESTRICTED = "restricted"  # a cause and/or region pool waiting for a matching open need
    GENERAL = "general"  # "where most needed", allocated by giving managers
    # Refunded money that had already been disbursed (docs/concepts.md#rule-7).
    SHORTFALL = "shortfall"


@dataclass(frozen=True, slots=True, order=True)
class Account:
    """Where money sits. Every account is in one currency; pools are per currency (docs/concepts.md#rule-9)."""

    kind: AccountKind
    currency: str
    need_id: int | None = None
    cause_id: int | None = None
    region_id: int | None = None
    # Accounts key every per-account sum of a run (several lookups per posting): their hash is
    # computed once. Not compared, shown or pickled (it is per process, see __reduce__).
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "_hash",
            hash((self.kind, self.currency, self.need_id, self.cause_id, self.region_id)),
        )

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(
        self,
    ) -> tuple[type[Account], tuple[AccountKind, str, int | None, int | None, int | None]]:
        return (Account, (self.kind, self.currency, self.need_id, self.cause_id, self.region_id))

    # Accounts are immutable values; the constructors below hand out one shared object per
    # account (bounded by the number of needs and pools), which keeps large runs fast.

    @classmethod
    def need(cls, need_id: int, currency: str) -> Account:
        return _need_account(need_id, currency)

    @classmethod
    def restricted(cls, currency: str, cause_id: int | None, region_id: int | None) -> Account:
        if cause_id is None and region_id is None:
            raise ValueError("a restricted pool needs a cause, a region, or both")
        return _restricted_account(currency, cause_id, region_id)

    @classmethod
    def general(cls, currency: str) -> Account:
        return _general_account(currency)

    @classmethod
    def shortfall(cls, currency: str) -> Account:
        return cls(AccountKind.SHORTFALL, currency)

    @property
    def is_restricted(self) -> bool:
        """Money here may only move within its restriction (needs and restricted pools)."""
        return self.kind in (AccountKind.NEED, AccountKind.RESTRICTED)


@lru_cache(maxsize=65_536)
def _need_account(need_id: int, currency: str) -> Account:
    return Account(AccountKind.NEED, currency, need_id=need_id)


@lru_cache(maxsize=65_536)
def _restricted_account(currency: str, cause_id: int | None, region_id: int | None) -> Account:
    return Account(AccountKind.RESTRICTED, currency, cause_id=cause_id, region_id=region_id)


@lru_cache(maxsize=1_024)
def _general_account(currency: str) -> Account:
    return Account(AccountKind.GENERAL, currency)


class PreferenceKind(StrEnum):
    NEED = "need"
    CAUSE = "cause"
    REGION = "region"
    CAUSE_REGION = "cause_region"
    GENERAL = "general"


@dataclass(frozen=True, slots=True)
class Preference:
    """One of a donor's choices: a target and its share in basis points."""

    kind: PreferenceKind
    share_bps: int
    need_id: int | None = None
    cause_id: int | None = None
    region_id: int | None = None


class Rule(StrEnum):
    """Why a posting went where it went, in words a donor could be shown."""

    NEED = "need"  # the need the donor chose
    OVERFLOW_NEED = (
        "overflow_need"  # chosen need was full: another need of the same cause and region
    )
    OVERFLOW_POOL = "overflow_pool"  # chosen need was full and nothing similar was open
    OVERFLOW_GENERAL = "overflow_general"  # chosen need was full; the donor allowed flexible use
    MATCH_NEED = "match_need"  # a cause/region share filled a matching need
    WAIT_POOL = "wait_pool"  # a cause/region share waits for a matching need
    CURRENCY_POOL = "currency_pool"  # no need in this currency: waits in the restricted pool
    GENERAL = "general"  # "where most needed"
    FROM_POOL = "from_pool"  # money that waited in a pool reached a newly open need
    MANUAL = "manual"  # a giving manager moved it, with a recorded reason
    REVERSAL = "reversal"  # a refund or a lost dispute took it back
    DONOR_CHOICE = (
        "donor_choice"  # its need closed and the donor chose where it goes (or the default)
    )


@dataclass(frozen=True, slots=True)
class Posting:
    """One movement of one donation's money into (positive) or out of (negative) an account."""

    donation_id: int
    account: Account
    amount: int
    rule: Rule
    preference_position: int | None = None


@dataclass(frozen=True, slots=True)
class AllocationItem:
    """Money to allocate: a newly paid donation, or a donation's money waiting in a pool.

    For a new donation, ``preferences`` holds the donor's choices in their order and ``source`` is
    None. For pool money, ``source`` is the restricted pool it waits in and ``preferences`` is
    empty: it may only go to needs that match that pool.
    """

    donation_id: int
    amount: int
    currency: str
    arrived_at: datetime.datetime
    reference: str
    preferences: tuple[Preference, ...] = ()
    allow_flexible_use: bool = False
    source: Account | None = None

    @property
    def order_key(self) -> tuple[datetime.datetime, str, int, tuple[int, ...]]:
        source_key: tuple[int, ...] = (
            () if self.source is None else (self.source.cause_id or 0, self.source.region_id or 0)
        )
        return (self.arrived_at, self.reference, 1 if self.source else 0, source_key)


#: Which needs a queue holds: ("cause", cause, currency), ("region", region, currency) or
#: ("cause_region", cause, region, currency).
Selector = tuple[str | int | None, ...]


class _Queue:
    """Needs matching one selector, in policy order, skipping those already full."""

    __slots__ = ("ids", "start")

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        self.start = 0


class Allocator:
    """Allocates items against a set of open needs, consuming their gaps as it goes."""

    def __init__(self, needs: Iterable[NeedState], policy: FillPolicy | None = None) -> None:
        self.policy = policy or DefaultFillPolicy()
        ordered = sorted(needs, key=self.policy.sort_key)
        self.needs = {need.id: need for need in ordered}
        self.gaps = {need.id: max(0, need.gap) for need in ordered}
        self._queues: dict[Selector, _Queue] = {}
        groups: dict[Selector, list[int]] = {}
        for need in ordered:
            for selector in (
                ("cause", need.cause_id, need.currency),
                ("region", need.region_id, need.currency),
                ("cause_region", need.cause_id, need.region_id, need.currency),
            ):
                groups.setdefault(selector, []).append(need.id)
        self._queues = {selector: _Queue(ids) for selector, ids in groups.items()}
        self._last_key: tuple[datetime.datetime, str, int, tuple[int, ...]] | None = None

    # --- filling -----------------------------------------------------------------------------

    def _fill(
        self, selector: Selector, amount: int, exclude: int | None = None
    ) -> list[tuple[int, int]]:
        """Pour ``amount`` into the needs matching ``selector`` in policy order; (need, part) pairs."""
        queue = self._queues.get(selector)
        if queue is None or amount <= 0:
            return []
        poured: list[tuple[int, int]] = []
        ids, gaps = queue.ids, self.gaps
        # Needs before `start` are full for good: gaps only shrink during a run.
        while queue.start < len(ids) and gaps[ids[queue.start]] == 0:
            queue.start += 1
        index = queue.start
        while amount > 0 and index < len(ids):
            need_id = ids[index]
            index += 1
            gap = gaps[need_id]
            if gap == 0 or need_id == exclude:
                continue
            part = min(gap, amount)
            gaps[need_id] = gap - part
            amount -= part
            poured.append((need_id, part))
        return poured

    @staticmethod
    def _pool_selector(cause_id: int | None, region_id: int | None, currency: str) -> Selector:
        if cause_id is not None and region_id is not None:
            return ("cause_region", cause_id, region_id, currency)
        if cause_id is not None:
            return ("cause", cause_id, currency)
        return ("region", region_id, currency)

    # --- one item ----------------------------------------------------------------------------

    def allocate(self, item: AllocationItem) -> list[Posting]:
        """The postings for one item, in a fixed order. Consumes gaps."""
        amount = item.amount
        if amount < 0:
            raise ValueError("an allocation item cannot be negative")
        if amount == 0:
            return []
        if item.source is not None:
            return self._allocate_pool_money(item)
        preferences = item.preferences
        if not preferences:
            raise ValueError(f"donation {item.donation_id} has no preferences")
        if len(preferences) == 1 and preferences[0].share_bps == money.BASIS_POINTS:
            shares = [amount]  # what the split gives one preference, without its bookkeeping
        else:
            shares = money.split_by_basis_points(amount, [p.share_bps for p in preferences])
        postings: list[Posting] = []
        for position, preference in enumerate(preferences):
            share = shares[position]
            if share:
                self._allocate_share(item, position, preference, share, postings)
        # No merging (as pool money needs): each share has its own position, and within a
        # share every account and rule occurs once, with a positive amount.
        return postings

    def _allocate_share(
        self,
        item: AllocationItem,
        position: int,
        preference: Preference,
        share: int,
        postings: list[Posting],
    ) -> None:
        """Append the postings for one share to ``postings``."""
        currency = item.currency
        donation_id = item.donation_id
        kind = preference.kind

        if kind == PreferenceKind.GENERAL:
            postings.append(
                Posting(donation_id, _general_account(currency), share, Rule.GENERAL, position)
            )
            return

        if kind == PreferenceKind.NEED:
            need = self.needs.get(preference.need_id) if preference.need_id is not None else None
            if need is None:
                # The need is closed or unknown: treat the share as its cause and region, which
                # is where the overflow rule would send it anyway.
                cause_id, region_id = preference.cause_id, preference.region_id
                if cause_id is None and region_id is None:
                    if not item.allow_flexible_use:
                        raise ValueError(
                            f"need {preference.need_id} is not open and has no cause or region to wait in"
                        )
                    postings.append(
                        Posting(
                            donation_id,
                            _general_account(currency),
                            share,
                            Rule.OVERFLOW_GENERAL,
                            position,
                        )
                    )
                    return
                self._overflow(item, position, share, cause_id, region_id, None, postings)
                return
            if need.currency != currency:
                postings.append(
                    Posting(
                        donation_id,
                        Account.restricted(currency, need.cause_id, need.region_id),
                        share,
                        Rule.CURRENCY_POOL,
                        position,
                    )
                )
                return
            gaps = self.gaps
            need_id = need.id
            direct = min(gaps[need_id], share)
            if direct:
                gaps[need_id] -= direct
                postings.append(
                    Posting(
                        donation_id, _need_account(need_id, currency), direct, Rule.NEED, position
                    )
                )
            if share > direct:
                self._overflow(
                    item, position, share - direct, need.cause_id, need.region_id, need_id, postings
                )
            return

        cause_id = (
            preference.cause_id
            if kind in (PreferenceKind.CAUSE, PreferenceKind.CAUSE_REGION)
            else None
        )
        region_id = (
            preference.region_id
            if kind in (PreferenceKind.REGION, PreferenceKind.CAUSE_REGION)
            else None
        )
        if cause_id is None and region_id is None:
            raise ValueError(f"a {preference.kind} preference needs its cause and/or region")
        left = share
        for need_id, part in self._fill(self._pool_selector(cause_id, region_id, currency), share):
            postings.append(
                Posting(
                    donation_id, _need_account(need_id, currency), part, Rule.MATCH_NEED, position
                )
            )
            left -= part
        if left:
            postings.append(
                Posting(
                    donation_id,
                    Account.restricted(currency, cause_id, region_id),
                    left,
                    Rule.WAIT_POOL,
                    position,
                )
            )

    def _overflow(
        self,
        item: AllocationItem,
        position: int,
        amount: int,
        cause_id: int | None,
        region_id: int | None,
        exclude: int | None,
        postings: list[Posting],
    ) -> None:
        """Append where ``amount`` of a share goes when its need is full or closed."""
        currency = item.currency
        donation_id = item.donation_id
        left = amount
        selector = self._pool_selector(cause_id, region_id, currency)
        for need_id, part in self._fill(selector, amount, exclude=exclude):
            postings.append(
                Posting(
                    donation_id,
                    _need_account(need_id, currency),
                    part,
                    Rule.OVERFLOW_NEED,
                    position,
                )
            )
            left -= part
        if left:
            if item.allow_flexible_use:
                account, rule = _general_account(currency), Rule.OVERFLOW_GENERAL
            else:
                account, rule = (
                    Account.restricted(currency, cause_id, region_id),
                    Rule.OVERFLOW_POOL,
                )
            postings.append(Posting(donation_id, account, left, rule, position))

    def _allocate_pool_money(self, item: AllocationItem) -> list[Posting]:
        source = item.source
        if (
            source is None
            or source.kind != AccountKind.RESTRICTED
            or source.currency != item.currency
        ):
            raise ValueError(
                "only restricted pool money in its own currency can be matched to needs"
            )
        selector = self._pool_selector(source.cause_id, source.region_id, item.currency)
        postings: list[Posting] = []
        for need_id, part in self._fill(selector, item.amount):
            postings.append(Posting(item.donation_id, source, -part, Rule.FROM_POOL))
            postings.append(
                Posting(
                    item.donation_id, Account.need(need_id, item.currency), part, Rule.FROM_POOL
                )
            )
        return _merge(postings)

    # --- many items --------------------------------------------------------------------------

    def stream(self, items: Iterable[AllocationItem]) -> Iterator[Posting]:
        """Postings for items that arrive already in canonical order (see module docstring)."""
        for postings in self.each(items):
            yield from postings

    def each(self, items: Iterable[AllocationItem]) -> Iterator[list[Posting]]:
        """:meth:`stream`, one list of postings per item (empty for an empty item)."""
        last = self._last_key
        allocate = self.allocate
        for item in items:
            key = item.order_key
            if last is not None and key < last:
                raise ValueError(
                    "allocation items must arrive in canonical order (arrived_at, reference); "
                    f"donation {item.donation_id} came out of order"
                )
            self._last_key = last = key
            yield allocate(item)


def _merge(postings: Sequence[Posting]) -> list[Posting]:
    """Combine postings of one donation to the same account, rule and position; keep order."""
    if len(postings) < 2:
        return list(postings)
    merged: dict[tuple[Account, Rule, int | None, bool], Posting] = {}
    for posting in postings:
        key = (posting.account, posting.rule, posting.preference_position, posting.amount > 0)
        if key in merged:
            previous = merged[key]
            merged[key] = Posting(
                posting.donation_id,
                posting.account,
                previous.amount + posting.amount,
                posting.rule,
                posting.preference_position,
            )
        else:
            merged[key] = posting
    return [posting for posting in merged.values() if posting.amount]


class PlanDigest:
    """Totals, counts and a fingerprint of a stream of postings, without keeping the postings.

    Memory grows with the number of accounts (needs and pools) and of distinct donations, so
    a ledger writer can stream a million postings to the database and still describe the run.
    """

    def __init__(self, fingerprinted: bool = True) -> None:
        self._totals: dict[Account, int] = {}
        self._hash = hashlib.sha256() if fingerprinted else None
        self._donations: set[int] = set()
        self.posting_count = 0

    def add(self, posting: Posting) -> None:
        self.extend((posting,))

    def extend(self, postings: Sequence[Posting]) -> None:
        """Add postings in order (a run adds a batch at a time)."""
        totals, donations = self._totals, self._donations
        for posting in postings:
            account = posting.account
            totals[account] = totals.get(account, 0) + posting.amount
            donations.add(posting.donation_id)
        self.posting_count += len(postings)
        if self._hash is None:
            return
        self._hash.update(
            "".join(
                f"{p.donation_id}|{p.account.kind}|{p.account.currency}|{p.account.need_id}|"
                f"{p.account.cause_id}|{p.account.region_id}|{p.amount}|{p.rule}|"
                f"{p.preference_position}\n"
                for p in postings
            ).encode()
        )

    @property
    def donation_count(self) -> int:
        return len(self._donations)

    def totals(self) -> dict[Account, int]:
        """Net amount per account, in a stable order (needs, then pools, by id and currency)."""
        return dict(sorted(self._totals.items(), key=lambda pair: account_sort_key(pair[0])))

    def total_by_currency(self) -> dict[str, int]:
        """New money placed (pool-to-need moves net to zero), per currency."""
        by_currency: dict[str, int] = {}
        for account, amount in self._totals.items():
            by_currency[account.currency] = by_currency.get(account.currency, 0) + amount
        return dict(sorted(by_currency.items()))

    def fingerprint(self) -> str:
        """A digest of every posting in order: byte for byte the same for the same inputs."""
        if self._hash is None:
            raise ValueError("this digest was made without a fingerprint")
        return self._hash.copy().hexdigest()


@dataclass
class Plan:
    """A whole run's postings, kept in memory (for tests and small runs), with its digest."""

    postings: list[Posting] = field(default_factory=list)

    def digest(self) -> PlanDigest:
        digest = PlanDigest()
        digest.extend(self.postings)
        return digest

    def totals(self) -> dict[Account, int]:
        return self.digest().totals()

    def total_by_currency(self) -> dict[str, int]:
        return self.digest().total_by_currency()

    def fingerprint(self) -> str:
        return self.digest().fingerprint()


def account_sort_key(account: Account) -> tuple[int, str, int, int, int]:
    order = {
        AccountKind.NEED: 0,
        AccountKind.RESTRICTED: 1,
        AccountKind.GENERAL: 2,
        AccountKind.SHORTFALL: 3,
    }
    return (
        order[account.kind],
        account.currency,
        account.need_id or 0,
        account.cause_id or 0,
        account.region_id or 0,
    )


def plan(
    items: Iterable[AllocationItem],
    needs: Iterable[NeedState],
    policy: FillPolicy | None = None,
) -> Plan:
    """Allocate a finite set of items in canonical order: any input order gives the same plan."""
    allocator = Allocator(needs, policy)
    return Plan(list(allocator.stream(sorted(items, key=lambda item: item.order_key))))


# --- Reversals (refunds and lost disputes, docs/concepts.md#rule-7) --------------------------


@dataclass(frozen=True)
class ReversalPlan:
    postings: list[tuple[Account, int]]  # negative amounts; together they make minus the total
    shortfall: int  # what had already been disbursed, booked negative to the shortfall account


def plan_reversal(
    total: int,
    balances: Sequence[tuple[Account, int]],
    undisbursed: Callable[[Account], int],
    currency: str,
) -> ReversalPlan:
    """Reverse ``total`` of one donation's money out of the accounts it sits in.

    ``balances`` are the donation's current positive balances per account, in a stable order.
    The total is first split pro rata (largest remainder) over those balances. Money that is
    still undisbursed is taken back from where it sits; what a need has already paid out to its
    partner cannot be, so it is taken from other accounts' undisbursed money first (pro rata
    again), and whatever is left is booked to the shortfall account for finance to see.
    """
    if total < 0:
        raise ValueError("a reversal total cannot be negative")
    held = [(account, amount) for account, amount in balances if amount > 0]
    available = sum(amount for _, amount in held)
    if total > available:
        raise ValueError(f"cannot reverse {total}: the donation holds only {available}")
    if total == 0:
        return ReversalPlan([], 0)

    capacity = {account: min(amount, max(0, undisbursed(account))) for account, amount in held}
    taken = dict.fromkeys(capacity, 0)
    parts = money.split(total, [amount for _, amount in held])
    unplaced = 0
    for (account, _), part in zip(held, parts, strict=True):
        take = min(part, capacity[account])
        taken[account] += take
        unplaced += part - take

    # Place what could not be taken where it was, on the remaining undisbursed money, pro rata.
    while unplaced:
        room = [(account, capacity[account] - taken[account]) for account, _ in held]
        room = [(account, space) for account, space in room if space > 0]
        if not room:
            break
        spread = money.split(
            min(unplaced, sum(space for _, space in room)), [space for _, space in room]
        )
        placed = 0
        for (account, space), part in zip(room, spread, strict=True):
            take = min(part, space)
            taken[account] += take
            placed += take
        unplaced -= placed
        if placed == 0:
            break

    postings = [(account, -amount) for account, amount in taken.items() if amount]
    if unplaced:
        # Money already paid out to partners cannot come back out of its need: the need keeps
        # what it received (so it is never disbursed beyond it) and the loss is booked, as a
        # negative balance, to the shortfall account that finance must cover.
        postings.append((Account.shortfall(currency), -unplaced))
    return ReversalPlan(postings, unplaced)


def reversal_target(
    *, allocated: int, charged: int, refunded: int, disputed_and_lost: int | None
) -> int:
    """How much of what was allocated should have been reversed, given refunds and disputes.

    The refunded (and lost-in-dispute) share of the charge, applied to what was allocated,
    rounded down; a fully refunded or lost donation reverses everything. ``disputed_and_lost``
    is None unless a dispute was lost, then the amount it took (0 meaning the whole charge).
    """
    if allocated <= 0 or charged <= 0:
        return 0
    taken = refunded
    if disputed_and_lost is not None:
        taken += disputed_and_lost or charged
    if taken >= charged:
        return allocated
    return allocated * taken // charged


# --- Moves by a giving manager ---------------------------------------------------------------


def within_restriction(
    source: Account,
    target_cause_id: int,
    target_region_id: int,
    source_place: tuple[int, int] | None = None,
) -> bool:
    """Whether money in ``source`` may go to a need of this cause and region without leaving
    its restriction (docs/concepts.md#rule-6). ``source_place`` is the source need's (cause, region)."""
    if source.kind == AccountKind.GENERAL:
        return True
    if source.kind == AccountKind.RESTRICTED:
        return (source.cause_id is None or source.cause_id == target_cause_id) and (
            source.region_id is None or source.region_id == target_region_id
        )
    if source.kind == AccountKind.NEED:
        return source_place == (target_cause_id, target_region_id)
    return False


@dataclass(frozen=True, slots=True)
class Holding:
    """One donation's money in an account, with what orders it (when it arrived)."""

    donation_id: int
    amount: int
    arrived_at: datetime.datetime
    reference: str


def plan_move(source: Account, target: Account, amount: int, holdings: Iterable[Holding]) -> Plan:
    """Move ``amount`` from ``source`` to ``target``, taken from the donations holding it,
    oldest first (arrival, then reference). Raises ValueError if they hold less."""
    if amount <= 0:
        raise ValueError("a move must be of a positive amount")
    postings: list[Posting] = []
    left = amount
    for holding in sorted(holdings, key=lambda h: (h.arrived_at, h.reference)):
        if left == 0:
            break
        part = min(left, holding.amount)
        if part <= 0:
            continue
        postings.append(Posting(holding.donation_id, source, -part, Rule.MANUAL))
        postings.append(Posting(holding.donation_id, target, part, Rule.MANUAL))
        left -= part
    if left:
        raise ValueError(f"the donations in {source} hold {amount - left}, less than {amount}")
    return Plan(postings)


def waiting_after_disbursements(holdings: Iterable[Holding], disbursed: int) -> dict[int, int]:
    """What each donation still has waiting in a need after ``disbursed`` was paid out of it.

    Payouts are taken from the oldest money first (arrival, then reference), as moves are, so
    the money still waiting is the newest. Donations with nothing left waiting are left out.
    """
    left = max(disbursed, 0)
    waiting: dict[int, int] = {}
    for holding in sorted(holdings, key=lambda h: (h.arrived_at, h.reference)):
        paid_out = min(left, holding.amount)
        left -= paid_out
        if holding.amount - paid_out > 0:
            waiting[holding.donation_id] = holding.amount - paid_out
    return waiting
