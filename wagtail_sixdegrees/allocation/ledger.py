"""The ledger: commands, and the only code that writes money rows.

Each command validates its input, takes its locks (:func:`lock`, in the order of
:data:`LOCK_ORDER`), reads what it depends on under them (``planning.py`` for the engine's
inputs, ``balances.py`` for figures), asks the pure engine (``engine.py``) to decide, and
applies the plan with :func:`apply_postings`, the one way postings become ledger rows. The
writer keeps each account's balance row (:class:`~.models.AccountBalance`) up to date in the
same transaction, on every path (INSERT and COPY alike: neither sends signals). Plans are read
under the locks, or checked against them before writing, so concurrent writers can neither
overfill a need, move money twice, nor deadlock.

Commands:

* :func:`allocate` — place paid donations that have not been allocated yet, and move money
  waiting in restricted pools into needs that have opened since (what a run commits).
* :func:`preview_run` / :func:`commit_run` — the same as a reviewable, committable
  :class:`~wagtail_sixdegrees.allocation.models.AllocationRun`.
* :func:`reallocate` — a giving manager moves money with a reason.
* :func:`sync_reversals` — refunds and lost disputes reverse a donation's entries.
* :func:`void_offline_gift` — an offline gift recorded by mistake is voided and reversed.
* :func:`record_disbursement` / :func:`reverse_disbursement` — money paid out to partners.
* :func:`move_for_donor_choice` — a need closed with a donor's money waiting in it: the money
  goes where the donor chose (or the default).
"""

from __future__ import annotations

import datetime
import heapq
import uuid
from collections import defaultdict
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import chain, islice

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, models, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import display, money, signals
from ..giving import money_log
from ..giving.models import Donation
from ..needs.fill_order import configured_policy
from ..needs.models import Cause, Need, Region
from . import balances, engine, planning
from . import waiting as unallocated
from .balances import (
    Canonical,
    canonical_ids,
    donation_balances,
    need_available,
    need_balances,
    need_disbursed,
    unallocated_donations,
)
from .engine import Account, AccountKind, Plan, Posting
from .models import (
    AccountBalance,
    AccountMonth,
    AllocationRun,
    Disbursement,
    LedgerEntry,
    UnallocatedMoney,
    balance_key,
)

#: The order every writer takes its locks in, so that no two writers can deadlock. Every lock
#: is taken through :func:`lock` (steps 0-5) or, for steps 6 and 7, by :func:`_keep_balances`
#: and :func:`_keep_months`. Each step is optional; none is ever taken after a later one,
#: whether in one call or in several (taking again a lock already held waits for nothing):
#:
#: 0. the money waiting for allocation (every :class:`~.models.UnallocatedMoney` row, in
#:    currency order; PostgreSQL): an allocation takes it before it reads which donations are
#:    unallocated, and so does anything that voids a gift. The donation table's triggers
#:    (``allocation/waiting.py``) take the rows they change after the donation's own row
#:    (a payment), so a payment waits for a running allocation and then sees what it wrote.
#:    The allocation never waits for such a payment's row lock: it only reads donations, and
#:    the key-share locks its ledger lines' foreign keys take are not blocked by an UPDATE or
#:    by the package's donation locks (FOR NO KEY UPDATE: :func:`lock`, ``giving/fulfilment``).
#:    Code that locks a donation FOR UPDATE (a plain ``select_for_update()``) and then changes
#:    what it brings would block it, and PostgreSQL would abort one of the two as a deadlock;
#: 1. the allocation run being committed (its row);
#: 2. the allocation lock (allocators only; a transaction-scoped advisory lock on PostgreSQL,
#:    which makes "is this donation allocated yet?" and the write that answers it atomic
#:    across processes without locking every donation row of a large run);
#: 3. donations, by id;
#: 4. needs, by id (the source record of the translation group);
#: 5. disbursements, by id (reversing one);
#: 6. account balance rows, by key (taken by the upsert in :func:`_keep_balances`, in key
#:    order, inside the transaction that writes the rows they sum);
#: 7. account month rows, by month and key (:func:`_keep_months`, last).
LOCK_ORDER = (
    "waiting",
    "run",
    "allocation",
    "donations",
    "needs",
    "disbursements",
    "balances",
    "months",
)
AUTOMATIC_LABEL = "automatic"
# Above this many rows, PostgreSQL gets them through COPY instead of INSERT.
COPY_THRESHOLD = 2_000
# The advisory lock every allocating transaction takes on PostgreSQL (an arbitrary constant).
ALLOCATION_LOCK_KEY = 6_2015_0001


class LedgerError(Exception):
    """A ledger operation refused, with a message a giving manager can act on."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = str(message)


class StalePlan(LedgerError):
    """What was planned no longer fits the ledger (someone else wrote first)."""


# --- Who did it -----------------------------------------------------------------------------


#: Who asked for a ledger operation: a signed-in user, or nobody (automatic, or anonymous).
Actor = AbstractBaseUser | AnonymousUser | None


def _actor(user: Actor) -> tuple[int | None, str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return None, AUTOMATIC_LABEL
    return user.pk, user.get_username()


def lock(
    *,
    waiting: bool = False,
    run: AllocationRun | None = None,
    allocation: bool = False,
    donations: Iterable[int] = (),
    needs: Iterable[int] = (),
    disbursements: Iterable[int] = (),
) -> None:
    """Take the row locks a write depends on, in :data:`LOCK_ORDER`, inside the caller's
    transaction. A writer that learns what else to lock from what it locked first calls again
    for the later steps only."""
    if waiting:
        unallocated.lock_rows()
    if run is not None:
        _lock_rows(AllocationRun, [run.pk])
    if allocation and connection.vendor == "postgresql":  # SQLite serialises writers itself
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ALLOCATION_LOCK_KEY])
    for model, ids in ((Donation, donations), (Need, needs), (Disbursement, disbursements)):
        _lock_rows(model, ids)


def _lock_rows(model: type[models.Model], ids: Iterable[int]) -> None:
    wanted = sorted(set(ids))
    if wanted:
        # FOR NO KEY UPDATE: writers exclude each other, but a transaction writing ledger
        # lines that reference these rows (their foreign keys take a key-share lock) does not
        # wait for them; an allocation holding the waiting money must never wait for a
        # writer that may wait for it.
        list(
            model._default_manager.filter(pk__in=wanted)
            .order_by("pk")
            .select_for_update(no_key=True)
            .values_list("pk", flat=True)
        )


# --- Writing --------------------------------------------------------------------------------


COPY_COLUMNS = (
    "donation_id",
    "account_kind",
    "need_id",
    "cause_id",
    "region_id",
    "currency",
    "amount",
    "kind",
    "rule",
    "preference_position",
    "run_id",
    "transfer",
    "actor_id",
    "actor_label",
    "reason",
    "created_at",
)


def _check_plan_fits(postings: Sequence[Posting]) -> None:
    """Under the locks: no need past its target, no donation's account below zero."""
    incoming: dict[int, int] = defaultdict(int)
    outgoing: dict[tuple[int, Account], int] = defaultdict(int)
    for posting in postings:
        need_id = posting.account.need_id  # set on need accounts only
        if need_id is not None and posting.amount > 0:
            incoming[need_id] += posting.amount
        if posting.amount < 0 and posting.account.kind != AccountKind.SHORTFALL:
            outgoing[(posting.donation_id, posting.account)] += -posting.amount
    if incoming:
        targets = dict(Need.objects.filter(pk__in=incoming).values_list("pk", "target_amount"))
        held_now = need_balances(incoming)
        for need_id, amount in incoming.items():
            if held_now.get(need_id, 0) + amount > targets[need_id]:
                raise StalePlan(
                    _("A need received money while this was being prepared; nothing was written.")
                )
    if outgoing:
        held = balances.donation_account_totals({d for d, _a in outgoing})
        for key, amount in outgoing.items():
            if held.get(key, 0) < amount:
                raise StalePlan(
                    _("The money to move is no longer where it was; nothing was written.")
                )


BALANCE_COLUMNS = (
    "key",
    "account_kind",
    "currency",
    "need_id",
    "cause_id",
    "region_id",
    "held",
    "raised",
    "disbursed",
)


@dataclass(slots=True)
class BalanceDelta:
    """What a write adds to one account's kept balance (a row in BALANCE_COLUMNS order)."""

    key: str
    account_kind: str
    currency: str
    need_id: int | None
    cause_id: int | None
    region_id: int | None
    held: int = 0
    raised: int = 0
    disbursed: int = 0

    def row(self) -> tuple[str | int | None, ...]:
        return tuple(getattr(self, column) for column in BALANCE_COLUMNS)


#: Balance changes by account key.
BalanceDeltas = dict[str, BalanceDelta]
#: Balance changes a run collects over its batches and keeps once: by the month they were
#: written in (the kept months'), then by account key.
PendingBalances = dict[datetime.date, BalanceDeltas]


def _upsert(
    model: type[models.Model],
    columns: Sequence[str],
    types: Sequence[str],
    conflict: str,
    added: Sequence[str],
    rows: Sequence[Sequence[object]],
) -> None:
    """Insert ``rows`` (in ``columns`` order), or add the ``added`` columns of each to the row
    already there, in the given row order. The database increments in place, so concurrent
    writers add up instead of overwriting each other. The same SQL runs on SQLite and
    PostgreSQL."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    updates = ", ".join(
        f"{name} = {table}.{name} + EXCLUDED.{name}" for name in (quote(c) for c in added)
    )
    on_conflict = f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement for any number of accounts, its columns passed as arrays: a large
            # run touches thousands of needs, and a statement per account (or thousands of
            # placeholders) cost more than writing the ledger lines.
            arrays = ", ".join(f"%s::{kind}[]" for kind in types)
            aliases = ", ".join(f"c{index}" for index in range(len(types)))
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {aliases} FROM unnest({arrays}) "  # noqa: S608 - names from our own model
                f"WITH ORDINALITY AS u({aliases}, position) ORDER BY position {on_conflict}",
                [list(column) for column in zip(*rows, strict=True)],
            )
            return
        placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for start in range(0, len(rows), 100):  # SQLite's limit on parameters per statement
            chunk = rows[start : start + 100]
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {', '.join([placeholders] * len(chunk))} "  # noqa: S608 - names from our own model
                f"{on_conflict}",
                [value for row in chunk for value in row],  # type: ignore[misc]  # SQL values
            )


def _keep_balances(deltas: BalanceDeltas) -> None:
    """Add ``deltas`` (by account key) to the kept balances.

    Upserts in key order (step 5 of :data:`LOCK_ORDER`): an account's row is created on first
    use and otherwise incremented in place.
    """
    _upsert(
        AccountBalance,
        BALANCE_COLUMNS,
        ("text", "text", "text", "bigint", "bigint", "bigint", "bigint", "bigint", "bigint"),
        '"key"',
        ("held", "raised", "disbursed"),
        [deltas[key].row() for key in sorted(deltas)],
    )


MONTH_COLUMNS = (
    "key",
    "account_kind",
    "currency",
    "need_id",
    "cause_id",
    "region_id",
    "month",
    "moved",
)


def _keep_months(deltas: BalanceDeltas, month: datetime.date) -> None:
    """Add what ``deltas`` hold to each account's movement in ``month`` (step 6 of
    :data:`LOCK_ORDER`, in key order), for the Giving dashboard's "this year"."""
    _upsert(
        AccountMonth,
        MONTH_COLUMNS,
        ("text", "text", "text", "bigint", "bigint", "bigint", "date", "bigint"),
        '"key", "month"',
        ("moved",),
        [
            (d.key, d.account_kind, d.currency, d.need_id, d.cause_id, d.region_id, month, d.held)
            for d in (deltas[key] for key in sorted(deltas))
            if d.held
        ],
    )


def month_of(moment: datetime.datetime) -> datetime.date:
    """The first day of ``moment``'s month in the site's ``TIME_ZONE`` (the kept months')."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date().replace(day=1)


def _keep(pending: PendingBalances) -> None:
    """Keep the balances and monthly movements of everything written, once per account."""
    combined: BalanceDeltas = {}
    for deltas in pending.values():
        for key, delta in deltas.items():
            total = combined.get(key)
            if total is None:
                combined[key] = replace(delta)
            else:
                total.held += delta.held
                total.raised += delta.raised
                total.disbursed += delta.disbursed
    _keep_balances(combined)
    for month, deltas in sorted(pending.items()):
        _keep_months(deltas, month)
    display.renew()  # cached public pages show these figures


def _posting_deltas(
    postings: Iterable[Posting], into: BalanceDeltas | None = None
) -> BalanceDeltas:
    """What postings add to each account's balance (by account key), added to ``into`` if
    given.

    Summed per account first (accounts are shared values, so this is a dictionary lookup per
    posting) and keyed once per account, not once per posting.
    """
    held: dict[Account, int] = {}
    raised: dict[Account, int] = {}
    for posting in postings:
        account, amount = posting.account, posting.amount
        held[account] = held.get(account, 0) + amount
        if amount > 0:
            raised[account] = raised.get(account, 0) + amount
    return _account_deltas(held, raised, {} if into is None else into)


@lru_cache(maxsize=100_000)
def _account_key(account: Account) -> str:
    return balance_key(
        account.kind.value, account.currency, account.need_id, account.cause_id, account.region_id
    )


def _account_deltas(
    held: Mapping[Account, int], raised: Mapping[Account, int], deltas: BalanceDeltas
) -> BalanceDeltas:
    """Add per-account sums of held and raised money to ``deltas`` (by account key)."""
    for account, amount in held.items():
        key = _account_key(account)
        delta = deltas.get(key)
        if delta is None:
            delta = deltas[key] = BalanceDelta(
                key,
                account.kind.value,
                account.currency,
                account.need_id,
                account.cause_id,
                account.region_id,
            )
        delta.held += amount
        delta.raised += raised.get(account, 0)
    return deltas


def _keep_disbursed(need_id: int, currency: str, amount: int) -> None:
    display.renew()
    key = balance_key(AccountKind.NEED, currency, need_id, None, None)
    _keep_balances(
        {
            key: BalanceDelta(
                key, AccountKind.NEED.value, currency, need_id, None, None, disbursed=amount
            )
        }
    )


def _copy_text(value: object) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return r"\N"
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


#: Each account's columns in COPY text format (accounts are immutable values).
_ACCOUNT_TEXT: dict[Account, str] = {}
#: Lines a streamed COPY hands to the database at a time, so it stores them while the rest of
#: the batch is being planned.
COPY_CHUNK = 2_000


def _copy_postings(
    postings: Iterable[Posting],
    constants: Mapping[str, object],
    kind: str,
    deltas: BalanceDeltas,
) -> int:
    """Send postings to the ledger through one COPY as they come, in PostgreSQL's text format
    in COPY_COLUMNS order, adding their balance changes to ``deltas``; returns how many.

    ``postings`` may be computed lazily (a run plans its batch as it is written): the database
    stores each chunk of lines while the next is planned. Everything but the donation, amount
    and position is shared by many lines (the account's columns, the kind and rule, the
    transfer, actor, reason and time), so it is formatted and escaped once per account or
    rule, and a line is one f-string. Balance changes are summed per account as lines are
    made, and keyed once per account.
    """
    tail = "\t".join(
        _copy_text(constants[column])
        for column in ("run_id", "transfer", "actor_id", "actor_label", "reason", "created_at")
    )
    accounts = _ACCOUNT_TEXT
    rules = {rule: f"{_copy_text(kind)}\t{rule.value}" for rule in engine.Rule}
    held: dict[Account, int] = {}
    raised: dict[Account, int] = {}
    lines: list[str] = []
    count = 0
    table = LedgerEntry._meta.db_table
    columns = ", ".join(f'"{column}"' for column in COPY_COLUMNS)
    with (
        connection.cursor() as cursor,
        cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy,
    ):
        for p in postings:
            a, amount = p.account, p.amount
            account = accounts.get(a)
            if account is None:
                if len(accounts) >= 100_000:  # bounded by needs and pools; kept across batches
                    accounts.clear()
                account = accounts[a] = "\t".join(
                    _copy_text(value)
                    for value in (a.kind.value, a.need_id, a.cause_id, a.region_id, a.currency)
                )
            held[a] = held.get(a, 0) + amount
            if amount > 0:
                raised[a] = raised.get(a, 0) + amount
            position = r"\N" if p.preference_position is None else p.preference_position
            lines.append(
                f"{p.donation_id}\t{account}\t{amount}\t{rules[p.rule]}\t{position}\t{tail}\n"
            )
            if len(lines) == COPY_CHUNK:
                copy.write("".join(lines))
                count += COPY_CHUNK
                lines.clear()
        if lines:
            copy.write("".join(lines))
            count += len(lines)
    _account_deltas(held, raised, deltas)
    return count


def _write(
    postings: Iterable[Posting],
    *,
    kind: str,
    run: AllocationRun | None,
    actor: Actor,
    reason: str,
    pending_balances: PendingBalances | None = None,
) -> list[LedgerEntry]:
    """Write postings as ledger rows, and their balances, with one transfer id, actor and time.

    With ``pending_balances``, the balance changes are added there for the caller to keep
    once, at the end of its transaction (a run writes many batches to the same needs), and
    ``postings`` may be an iterator that plans them as they are written (read once).

    Every ledger row in the package is written here: on PostgreSQL, a large batch goes through
    COPY in text format, built straight from the postings (returns no instances); otherwise
    one bulk INSERT. Balances are upserted once per account touched.
    """
    actor_id, actor_label = _actor(actor)
    created_at = timezone.now()
    constants = {
        "kind": kind,
        "run_id": run.pk if run else None,
        "transfer": uuid.uuid4(),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "reason": reason,
        "created_at": created_at,
    }
    month = month_of(created_at)
    copying = connection.vendor == "postgresql"
    if pending_balances is None:
        batch = list(postings)
        _keep({month: _posting_deltas(batch)})  # before the rows, as it always was
        if copying and len(batch) >= COPY_THRESHOLD:
            _copy_postings(batch, constants, kind, {})
            return []
        return _insert(batch, constants)
    deltas = pending_balances.setdefault(month, {})
    stream = iter(postings)
    batch = list(islice(stream, COPY_THRESHOLD))
    if copying and len(batch) >= COPY_THRESHOLD:
        _copy_postings(chain(batch, stream), constants, kind, deltas)
        return []
    batch.extend(stream)
    _posting_deltas(batch, into=deltas)
    return _insert(batch, constants)


def _insert(postings: Sequence[Posting], constants: Mapping[str, object]) -> list[LedgerEntry]:
    """Write postings as ledger rows through one bulk INSERT; returns them."""
    entries = [
        LedgerEntry(
            donation_id=p.donation_id,
            account_kind=p.account.kind.value,
            need_id=p.account.need_id,
            cause_id=p.account.cause_id,
            region_id=p.account.region_id,
            currency=p.account.currency,
            amount=p.amount,
            rule=p.rule.value,
            preference_position=p.preference_position,
            **constants,
        )
        for p in postings
    ]
    return LedgerEntry.objects.bulk_create(entries, batch_size=1000)


def apply_postings(
    postings: Sequence[Posting],
    *,
    kind: str,
    run: AllocationRun | None = None,
    actor: Actor = None,
    reason: str = "",
    planned_under_lock: bool = False,
    pending_balances: PendingBalances | None = None,
) -> list[LedgerEntry]:
    """Write postings as ledger rows, inside the caller's transaction and locks.

    Unless the plan was computed from balances read under the same locks, it is checked
    against the ledger first. Returns the rows as model instances, except for large batches
    on PostgreSQL, which go through COPY and return none (callers count the postings).
    A caller writing several batches may collect their balance changes in
    ``pending_balances`` and keep them once, with :func:`_keep`, before it commits.
    """
    if not postings:
        return []
    if not planned_under_lock:
        _check_plan_fits(postings)
    return _write(
        postings,
        kind=kind,
        run=run,
        actor=actor,
        reason=reason,
        pending_balances=pending_balances,
    )


# --- Planning and writing ---------------------------------------------------------------


@dataclass
class Outcome:
    """What an allocation did: its digest (totals, fingerprint) and the rows written."""

    digest: engine.PlanDigest
    written: int = 0
    entries: list[LedgerEntry] = field(default_factory=list)
    run: AllocationRun | None = None

    @property
    def total_by_currency(self) -> dict[str, int]:
        return self.digest.total_by_currency()


PENDING_TABLE = "sixdegrees_allocation_pending"


def _fixed_set(donations: models.QuerySet[Donation]) -> models.QuerySet[Donation]:
    """The donations to allocate, fixed once under the lock (PostgreSQL).

    A run reads donations through server-side cursors while it writes their ledger lines. Asked
    of the ledger on every row ("no allocation yet"), PostgreSQL planned that check against the
    ledger as it was when the run began (often empty) and re-read every line written since for
    each donation: quadratic, 400 s for 100,000 gifts. The ids go into a temporary table in one
    pass instead, and the streams read that table, which the run never writes.
    """
    if connection.vendor != "postgresql":
        return donations  # SQLite answers the check from the ledger's index
    sql, params = donations.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PENDING_TABLE}")
        # The column is named here: a subquery naming a column its table lacks quietly reads
        # the outer query's column instead (and then matches every donation).
        cursor.execute(
            f"CREATE TEMPORARY TABLE {PENDING_TABLE} (donation_id) ON COMMIT DROP AS {sql}",
            params,
        )
        cursor.execute(f"ANALYZE {PENDING_TABLE}")
    return Donation.objects.filter(
        pk__in=RawSQL(f"SELECT donation_id FROM {PENDING_TABLE}", ())  # noqa: S608, S611 - a constant
    ).order_by("paid_at", "reference")


def _items(
    donation_ids: Sequence[int] | None, include_pools: bool, locked: bool
) -> tuple[Generator[engine.AllocationItem], set[str]]:
    donations = unallocated_donations()
    if donation_ids is not None:
        donations = donations.filter(pk__in=list(donation_ids))
    if locked:
        # The waiting money first: a payment of one of these donations written meanwhile
        # waits for this run, then sees it allocated (allocation/waiting.py).
        lock(waiting=True, allocation=True)
        donations = _fixed_set(donations)
    currencies = set(donations.order_by().values_list("settlement_currency", flat=True).distinct())
    pools = planning.pool_items() if include_pools else []
    currencies |= {item.currency for item in pools}
    return _merged(planning.donation_items(donations, Canonical()), pools), currencies


def _merged(
    donations: Generator[engine.AllocationItem], pools: list[engine.AllocationItem]
) -> Generator[engine.AllocationItem]:
    """Both streams are in canonical order; merging keeps it. Closing this closes the
    donations' stream (and its cursors) at once."""
    try:
        yield from heapq.merge(donations, pools, key=lambda item: item.order_key)
    finally:
        donations.close()


def _placed(
    allocator: engine.Allocator,
    batch: Sequence[engine.AllocationItem],
    digest: engine.PlanDigest,
    moved: list[Posting],
    allocated: list[int],
) -> Iterator[Posting]:
    """Plan ``batch`` as it is written: yield the new money's postings (allocations) and put
    the postings of money that waited in a pool and moves on (reallocations, all of a pool
    item's postings are FROM_POOL ones) in ``moved``. Every posting goes into ``digest``; the
    id of every donation allocated (for the first time: it was unallocated) into
    ``allocated``."""
    for postings in allocator.each(batch):
        if not postings:
            continue
        digest.extend(postings)
        if postings[0].rule == engine.Rule.FROM_POOL:
            moved.extend(postings)
        else:
            allocated.append(postings[0].donation_id)
            yield from postings


POOL_MOVE_REASON = _("A matching need opened for money waiting in a restricted pool.")
#: Items (paid donations, or one donation's money waiting in a pool) planned and written
#: together, as one transfer: about 20,000 ledger lines.
BATCH = 10_000


def _stream(
    donation_ids: Sequence[int] | None,
    *,
    include_pools: bool,
    write: bool,
    run: AllocationRun | None = None,
    actor: Actor = None,
    fingerprinted: bool = True,
) -> Outcome:
    """Plan (and, with ``write``, write) an allocation, streaming postings in batches."""
    items, currencies = _items(donation_ids, include_pools, locked=write)
    if write and currencies:
        lock(needs=planning.open_need_ids(currencies))
    needs = planning.open_need_states() if currencies else []
    allocator = engine.Allocator(needs, configured_policy())
    outcome = Outcome(engine.PlanDigest(fingerprinted), run=run)
    # Batches of a run touch the same needs again and again: their balances are kept once.
    pending: PendingBalances = {}
    try:
        _plan_and_write(items, allocator, outcome, write=write, actor=actor, pending=pending)
    finally:
        items.close()  # its cursors, inside the transaction (or savepoint) that opened them
    if write:
        outcome.written = outcome.digest.posting_count
    _keep(pending)
    return outcome


def _plan_and_write(
    items: Iterator[engine.AllocationItem],
    allocator: engine.Allocator,
    outcome: Outcome,
    *,
    write: bool,
    actor: Actor,
    pending: PendingBalances,
) -> None:
    """Plan ``items`` in batches into ``outcome``; with ``write``, write each batch as it is
    planned, adding balance changes to ``pending``."""
    digest, run = outcome.digest, outcome.run
    # Each batch of items is read first (the reads and the COPY share the connection), then
    # planned while it is written: the database stores one chunk of lines while the engine
    # plans the next.
    while batch := list(islice(items, BATCH)):
        if not write:
            for postings in allocator.each(batch):
                digest.extend(postings)
            continue
        moved: list[Posting] = []
        allocated: list[int] = []
        outcome.entries.extend(
            _write(
                _placed(allocator, batch, digest, moved, allocated),
                kind=LedgerEntry.Kind.ALLOCATE,
                run=run,
                actor=actor,
                reason="",
                pending_balances=pending,
            )
        )
        outcome.entries.extend(
            apply_postings(
                moved,
                kind=LedgerEntry.Kind.REALLOCATE,
                run=run,
                actor=actor,
                reason=str(POOL_MOVE_REASON),
                planned_under_lock=True,
                pending_balances=pending,
            )
        )
        # What these donations brought no longer waits: one statement per batch, under the
        # waiting rows' lock taken before they were read (step 0 of LOCK_ORDER).
        unallocated.take_off(allocated)


def plan_allocation(
    donation_ids: Sequence[int] | None = None, *, include_pools: bool = True
) -> Plan:
    """The whole plan in memory, for small runs and tests; writes nothing."""
    items, currencies = _items(donation_ids, include_pools, locked=False)
    needs = planning.open_need_states() if currencies else []
    return Plan(list(engine.Allocator(needs, configured_policy()).stream(items)))


def allocate(
    donation_ids: Sequence[int] | None = None,
    *,
    include_pools: bool = True,
    actor: Actor = None,
    run: AllocationRun | None = None,
    dry_run: bool = False,
    retries: int = 5,
) -> Outcome:
    """Allocate unallocated paid donations (all, or these) and waiting pool money.

    Idempotent: a donation is allocated once, so calling again writes nothing new. A write that
    finds the ledger changed under it (another writer was first) is retried from scratch.
    """
    for attempt in range(retries):
        try:
            with transaction.atomic():
                outcome = _stream(
                    donation_ids,
                    include_pools=include_pools,
                    write=not dry_run,
                    run=run,
                    actor=actor,
                    # Only a previewed run is compared by fingerprint (commit_run).
                    fingerprinted=False,
                )
                if outcome.written:
                    _log_allocation("allocation_written", outcome, run)
                return outcome
        except StalePlan:
            if attempt == retries - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _log_allocation(action: str, outcome: Outcome, run: AllocationRun | None) -> None:
    money_log.log_on_commit(
        action,
        run=run.pk if run is not None else None,
        lines=outcome.written,
        totals=money_log.by_currency(outcome.total_by_currency),
    )


# --- Runs -----------------------------------------------------------------------------------


def preview_run(actor: Actor = None, trigger: str = AllocationRun.Trigger.PANEL) -> AllocationRun:
    """Compute what allocation would do now and keep it for review. Writes no ledger rows."""
    outcome = _stream(None, include_pools=True, write=False)
    summary = planning.summarise(outcome.digest)
    who = _actor(actor)
    return AllocationRun.objects.create(
        trigger=trigger,
        fingerprint=outcome.digest.fingerprint(),
        summary=summary,
        donation_count=summary["donations"],
        posting_count=summary["postings"],
        created_by_id=who[0],
        created_by_label=who[1],
    )


class _Mismatch(Exception):
    pass


def commit_run(run: AllocationRun, actor: Actor = None) -> AllocationRun:
    """Write a previewed run to the ledger.

    The plan is recomputed under locks and written only if it is exactly the one previewed
    (same fingerprint); otherwise nothing is written, the preview is marked out of date and the
    manager is asked to make a new one. Committing twice changes nothing.
    """
    try:
        with transaction.atomic():
            lock(waiting=True, run=run)
            run = AllocationRun.objects.get(pk=run.pk)
            if run.status == AllocationRun.Status.COMMITTED:
                return run
            if run.status == AllocationRun.Status.STALE:
                raise StalePlan(_("This preview is out of date. Make a new preview and review it."))
            outcome = _stream(None, include_pools=True, write=True, run=run, actor=actor)
            if outcome.digest.fingerprint() != run.fingerprint:
                raise _Mismatch  # rolls back every row written above
            who = _actor(actor)
            run.status = AllocationRun.Status.COMMITTED
            run.committed_at = timezone.now()
            run.committed_by_id, run.committed_by_label = who
            run.save(update_fields=["status", "committed_at", "committed_by", "committed_by_label"])
            _log_allocation("run_committed", outcome, run)
            committed = run
            transaction.on_commit(
                lambda: signals.allocation_committed.send(sender=AllocationRun, run=committed),
                robust=True,
            )
            return run
    except _Mismatch:
        AllocationRun.objects.filter(pk=run.pk).update(status=AllocationRun.Status.STALE)
        raise StalePlan(
            _(
                "Donations or needs changed since this preview was made, so it was not committed. "
                "Make a new preview and review it."
            )
        ) from None


# --- Reallocation ---------------------------------------------------------------------------


def reallocate(
    source: Account,
    target_need: Need,
    amount: int,
    *,
    actor: Actor,
    reason: str,
) -> list[LedgerEntry]:
    """Move ``amount`` from ``source`` (the general pool, a restricted pool or a need) to a need.

    Validate, lock, plan, apply. The money moved is taken from the donations holding it,
    oldest first (the engine decides). Money may leave its restriction only if its donor
    allowed flexible use; the need may not go past its target; the reason is required and
    recorded with who did it.
    """
    # Validate what needs no ledger read.
    if not str(reason).strip():
        raise LedgerError(_("Give a reason: it is recorded with the move."))
    if amount <= 0:
        raise LedgerError(_("Enter an amount greater than zero."))
    if source.kind == AccountKind.SHORTFALL:
        raise LedgerError(_("Money cannot be moved out of the shortfall account."))
    target_id = canonical_ids(Need, [target_need.pk])[target_need.pk]
    if source.kind == AccountKind.NEED and source.need_id == target_id:
        raise LedgerError(_("Choose a different need to move the money to."))
    with transaction.atomic():
        lock(
            donations=balances.holders(source),
            needs={target_id} | ({source.need_id} if source.need_id else set()),
        )
        # Under the locks: what the move depends on, read once.
        target = Need.objects.get(pk=target_id)
        _check_move_target(target, source, amount)
        source_place = _check_move_source(source, amount)
        place = canonical_ids(Cause, [target.cause_id]), canonical_ids(Region, [target.region_id])
        restricted = not engine.within_restriction(
            source, place[0][target.cause_id], place[1][target.region_id], source_place
        )
        holdings = _holdings(source, flexible_only=restricted)
        available = sum(holding.amount for holding in holdings)
        if available < amount:
            if restricted:
                raise LedgerError(
                    _(
                        "Only %(available)s here may leave its restriction (its donors allowed "
                        "flexible use); the rest must stay with its cause and region."
                    )
                    % {"available": money.format_money(available, source.currency)}
                )
            raise LedgerError(
                _("Only %(available)s is available to move.")
                % {"available": money.format_money(available, source.currency)}
            )
        plan = engine.plan_move(source, Account.need(target.pk, target.currency), amount, holdings)
        entries = apply_postings(
            plan.postings, kind=LedgerEntry.Kind.REALLOCATE, actor=actor, reason=str(reason).strip()
        )
        money_log.log_on_commit(
            "reallocated",
            source=_account_key(source),
            need=target.pk,
            amount=amount,
            currency=source.currency,
            lines=len(entries),
        )
        return entries


def _check_move_target(target: Need, source: Account, amount: int) -> None:
    if target.currency != source.currency:
        raise LedgerError(
            _("%(need)s is in %(currency)s; money is never converted between currencies.")
            % {"need": target.title, "currency": target.currency}
        )
    if not target.is_open():
        raise LedgerError(_("%(need)s is not open.") % {"need": target.title})
    gap = target.target_amount - need_balances([target.pk]).get(target.pk, 0)
    if amount > gap:
        raise LedgerError(
            _("%(need)s only needs %(gap)s more.")
            % {"need": target.title, "gap": money.format_money(max(gap, 0), target.currency)}
        )


def _check_move_source(source: Account, amount: int) -> tuple[int, int] | None:
    """For a need: check it holds ``amount`` undisbursed; return its canonical (cause, region)."""
    if source.kind != AccountKind.NEED or source.need_id is None:
        return None
    source_need = Need.objects.get(pk=source.need_id)
    _check_undisbursed(source_need, amount)
    causes = canonical_ids(Cause, [source_need.cause_id])
    regions = canonical_ids(Region, [source_need.region_id])
    return causes[source_need.cause_id], regions[source_need.region_id]


def _check_undisbursed(need: Need, amount: int) -> None:
    """Refuse to take more out of a need than it holds and has not paid out."""
    available = need_available(need)
    if amount > available:
        raise LedgerError(
            _("%(need)s holds only %(available)s that has not been paid out yet.")
            % {
                "need": need.title,
                "available": money.format_money(max(available, 0), need.currency),
            }
        )


def _holdings(source: Account, *, flexible_only: bool) -> list[engine.Holding]:
    held = balances.holders(source, flexible_only=flexible_only)
    rows = Donation.objects.filter(pk__in=held).values_list(
        "pk", "paid_at", "created_at", "reference"
    )
    return [
        engine.Holding(pk, held[pk], paid_at or created_at, str(reference))
        for pk, paid_at, created_at, reference in rows
    ]


# --- Refunds and lost disputes (docs/concepts.md#rule-7) -------------------------------------


def reversal_target(donation: Donation, allocated: int) -> int:
    """How much of what was allocated should have been reversed by now (see
    :func:`.engine.reversal_target`)."""
    if donation.status == Donation.Status.VOIDED:
        return allocated  # a voided gift never happened: everything comes back
    lost = donation.dispute_status == Donation.DisputeStatus.LOST
    return engine.reversal_target(
        allocated=allocated,
        charged=donation.amount,
        refunded=donation.amount_refunded,
        disputed_and_lost=(donation.dispute_amount or 0) if lost else None,
    )


def sync_reversals(
    donation: Donation, *, actor: Actor = None, reason: str = ""
) -> list[LedgerEntry]:
    """Bring the donation's reversals up to what its refunds and disputes require. Idempotent:
    calling it again, or with events in another order, writes nothing more."""
    with transaction.atomic():
        lock(donations=[donation.pk])
        donation = Donation.objects.get(pk=donation.pk)
        if not reason:
            reason = str(
                _("Refund")
                if donation.dispute_status != Donation.DisputeStatus.LOST
                else _("Dispute lost")
            )
        return _reverse_due(donation, actor=actor, reason=reason)


def _reverse_due(
    donation: Donation,
    *,
    actor: Actor,
    reason: str,
    refuse_shortfall: str = "",
) -> list[LedgerEntry]:
    """Reverse what :func:`reversal_target` says is still due, under the donation's lock (held
    by the caller). With ``refuse_shortfall``, refuse (that message) rather than book a
    shortfall for money already paid out."""
    allocated, reversed_so_far = balances.donation_kind_totals(donation)
    due = reversal_target(donation, allocated) - reversed_so_far
    if due <= 0:
        return []
    holdings = donation_balances(donation)
    need_ids = [a.need_id for a, _ in holdings if a.need_id is not None]
    lock(needs=need_ids)
    held, paid_out = need_balances(need_ids), need_disbursed(need_ids)

    def undisbursed(account: Account) -> int:
        if account.need_id is not None:  # a need's account
            return held.get(account.need_id, 0) - paid_out.get(account.need_id, 0)
        return 10**18

    plan = engine.plan_reversal(due, holdings, undisbursed, donation.settlement_currency)
    if plan.shortfall and refuse_shortfall:
        raise LedgerError(refuse_shortfall)
    postings = [
        Posting(donation.pk, account, amount, engine.Rule.REVERSAL)
        for account, amount in plan.postings
    ]
    return apply_postings(postings, kind=LedgerEntry.Kind.REVERSE, actor=actor, reason=reason)


def void_offline_gift(donation: Donation, *, actor: Actor, reason: str) -> list[LedgerEntry]:
    """Void an offline gift recorded by mistake: its status becomes ``voided``, everything it
    was allocated is reversed (reversal lines carrying the reason; nothing is deleted), and its
    record keeps who voided it, when and why.

    Refused, with nothing changed, for an online gift (refund it through Stripe), a gift
    already voided, a missing reason, or a gift whose money a need has already paid out to its
    partner and cannot give back: reverse that disbursement first.
    """
    from ..giving.models import OfflineGift

    reason = str(reason).strip()
    if not reason:
        raise LedgerError(_("Give a reason: it is recorded with the void."))
    with transaction.atomic():
        # The allocation lock first: an allocation running now must not place a gift that is
        # being voided (it would read it as still paid).
        # The waiting money before that: the void takes the gift off it (allocation/waiting.py).
        lock(waiting=True, allocation=True, donations=[donation.pk])
        donation = Donation.objects.get(pk=donation.pk)
        record = OfflineGift.objects.filter(donation=donation).first()  # under the donation's lock
        if record is None:
            raise LedgerError(
                _("Only offline gifts can be voided; refund an online gift through Stripe.")
            )
        if donation.status == Donation.Status.VOIDED or record.voided_at is not None:
            raise LedgerError(_("This gift has already been voided."))
        donation.status = Donation.Status.VOIDED
        donation.save(update_fields=["status", "updated_at"])
        entries = _reverse_due(
            donation,
            actor=actor,
            reason=str(_("Void: %(reason)s") % {"reason": reason}),
            refuse_shortfall=str(
                _(
                    "Money from this gift has already been paid out to a partner and cannot be "
                    "taken back, so it was not voided. Reverse that disbursement first, or "
                    "record a correction with your finance team."
                )
            ),
        )
        who = _actor(actor)
        record.voided_at = timezone.now()
        record.voided_by_id, record.voided_by_label = who
        record.void_reason = reason[:500]
        record.save(update_fields=["voided_at", "voided_by", "voided_by_label", "void_reason"])
        money_log.log_on_commit(
            "offline_voided",
            donation=donation,
            lines=len(entries),
            reversed=sum(entry.amount for entry in entries),
        )
        return entries


# --- Disbursements --------------------------------------------------------------------------


def record_disbursement(
    need: Need,
    amount: int,
    *,
    paid_on: datetime.date,
    actor: Actor,
    reference: str = "",
    note: str = "",
) -> Disbursement:
    """Record money sent to the need's partner; never more than the need holds undisbursed."""
    if amount <= 0:
        raise LedgerError(_("Enter an amount greater than zero."))
    with transaction.atomic():
        need_id = canonical_ids(Need, [need.pk])[need.pk]
        lock(needs=[need_id])
        need = Need.objects.get(pk=need_id)
        if amount % money.get_currency(need.currency).step:
            raise LedgerError(
                _("%(currency)s amounts cannot have that many decimal places.")
                % {"currency": need.currency}
            )
        _check_undisbursed(need, amount)
        who = _actor(actor)
        _keep_disbursed(need.pk, need.currency, amount)
        disbursement = Disbursement.objects.create(
            need=need,
            partner_id=need.partner_id,
            amount=amount,
            currency=need.currency,
            paid_on=paid_on,
            reference=reference,
            note=note,
            actor_id=who[0],
            actor_label=who[1],
        )
        _log_disbursement("disbursed", disbursement)
        return disbursement


def _log_disbursement(action: str, disbursement: Disbursement) -> None:
    money_log.log_on_commit(
        action,
        disbursement=disbursement.pk,
        reverses=disbursement.reverses_id,
        need=disbursement.need_id,
        amount=disbursement.amount,
        currency=disbursement.currency,
    )


def reverse_disbursement(disbursement: Disbursement, *, actor: Actor, reason: str) -> Disbursement:
    """Record that a disbursement did not happen (or came back), with a reason."""
    if not str(reason).strip():
        raise LedgerError(_("Give a reason: it is recorded with the reversal."))
    with transaction.atomic():
        lock(disbursements=[disbursement.pk])
        original = Disbursement.objects.get(pk=disbursement.pk)
        if original.is_reversal:
            raise LedgerError(_("A reversal cannot itself be reversed; record a new disbursement."))
        if Disbursement.objects.filter(reverses=original).exists():
            raise LedgerError(_("This disbursement has already been reversed."))
        who = _actor(actor)
        _keep_disbursed(original.need_id, original.currency, -original.amount)
        reversal = Disbursement.objects.create(
            need_id=original.need_id,
            partner_id=original.partner_id,
            amount=-original.amount,
            currency=original.currency,
            paid_on=timezone.localdate(),
            reference=original.reference,
            reverses=original,
            reason=str(reason).strip(),
            actor_id=who[0],
            actor_label=who[1],
        )
        _log_disbursement("disbursement_reversed", reversal)
        return reversal


# --- Repairs --------------------------------------------------------------------------------


def rebuild_balances() -> int:
    """Replace every kept balance and monthly movement, and the money waiting for allocation,
    by the ones recomputed from the ledger and the donations (reinstalling the donation
    table's triggers that keep the waiting money); returns the number of accounts. For rows
    written around this module (a bulk import, a benchmark's COPY) and after a change of
    ``TIME_ZONE`` (months are local)."""
    with transaction.atomic():
        # The triggers first: recreating them locks the donation table until this commits,
        # so no donation changes under the recomputation below. A payment in flight finishes
        # first (it may wait for a running allocation, which waits for nothing held here).
        unallocated.install_triggers()
        lock(waiting=True, allocation=True)
        UnallocatedMoney.objects.all().delete()
        UnallocatedMoney.objects.bulk_create(
            [
                UnallocatedMoney(
                    currency=currency,
                    gross=row.gross,
                    gross_count=row.gross_count,
                    net=row.net,
                    net_count=row.net_count,
                )
                for currency, row in sorted(balances.recomputed_unallocated().items())
            ]
        )
        AccountMonth.objects.all().delete()
        AccountMonth.objects.bulk_create(
            [
                AccountMonth(
                    key=key,
                    account_kind=str(row.account.kind),
                    currency=row.account.currency,
                    need_id=row.account.need_id,
                    cause_id=row.account.cause_id,
                    region_id=row.account.region_id,
                    month=month,
                    moved=row.held,
                )
                for (key, month), row in sorted(balances.recomputed_months().items())
                if row.held
            ],
            batch_size=1000,
        )
        AccountBalance.objects.all().delete()
        truth = balances.recomputed_balances()
        AccountBalance.objects.bulk_create(
            [
                AccountBalance(
                    key=key,
                    account_kind=str(row.account.kind),
                    currency=row.account.currency,
                    need_id=row.account.need_id,
                    cause_id=row.account.cause_id,
                    region_id=row.account.region_id,
                    held=row.held,
                    raised=row.raised,
                    disbursed=row.disbursed,
                )
                for key, row in sorted(truth.items())
            ],
            batch_size=1000,
        )
    return len(truth)


__all__ = [
    "LOCK_ORDER",
    "LedgerError",
    "Outcome",
    "StalePlan",
    "allocate",
    "apply_postings",
    "commit_run",
    "lock",
    "move_for_donor_choice",
    "plan_allocation",
    "preview_run",
    "reallocate",
    "rebuild_balances",
    "record_disbursement",
    "reversal_target",
    "reverse_disbursement",
    "sync_reversals",
    "void_offline_gift",
]


# --- A donor's choice when a need closes (docs/concepts.md#need-closes) --------------------


def move_for_donor_choice(
    donation_ids: Iterable[int],
    closed_need: Need,
    target: Account,
    *,
    overflow: Account,
    reason: str,
) -> list[LedgerEntry]:
    """Move what these donations (one donor's) still have waiting in ``closed_need`` to
    ``target``: another open need, a restricted pool or the general pool, as the donor chose.

    The amounts are read under the locks (money paid out since the email stays paid out). An
    open need takes at most its remaining gap; the rest goes to ``overflow`` (the restricted
    pool of the closed need's cause). Nothing is written when nothing is waiting.
    """
    if not str(reason).strip():
        raise LedgerError(_("Give a reason: it is recorded with the move."))
    ids = sorted(set(donation_ids))
    need_ids = {closed_need.pk} | ({target.need_id} if target.need_id else set())
    with transaction.atomic():
        lock(donations=ids, needs=need_ids)
        waiting = {
            donation_id: amount
            for donation_id, amount in balances.need_waiting(closed_need.pk).items()
            if donation_id in ids
        }
        source = Account.need(closed_need.pk, closed_need.currency)
        room = sum(waiting.values())
        if target.need_id is not None:
            chosen = Need.objects.get(pk=target.need_id)
            if chosen.currency != closed_need.currency or not chosen.is_open():
                raise LedgerError(_("%(need)s is not open.") % {"need": chosen.title})
            held = need_balances([chosen.pk]).get(chosen.pk, 0)
            room = max(chosen.target_amount - held, 0)
        postings: list[Posting] = []
        for donation_id in ids:
            amount = waiting.get(donation_id, 0)
            if amount <= 0:
                continue
            into_target = min(amount, room)
            room -= into_target
            postings.append(Posting(donation_id, source, -amount, engine.Rule.DONOR_CHOICE))
            for account, part in ((target, into_target), (overflow, amount - into_target)):
                if part:
                    postings.append(Posting(donation_id, account, part, engine.Rule.DONOR_CHOICE))
        return apply_postings(
            postings, kind=LedgerEntry.Kind.REALLOCATE, reason=str(reason).strip()
        )
