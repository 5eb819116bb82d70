"""The ledger, allocation runs and disbursements.

Every row here is append-only: a mistake is corrected by a new row that reverses it, never by
changing or deleting the old one. The models refuse updates and deletes; the database refuses
zero amounts; on PostgreSQL a trigger refuses UPDATE and DELETE on the ledger and disbursements
(see migrations). Only ``allocation/ledger.py`` creates these rows.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import money
from ..fields import actor_field
from . import engine


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete a money row."""


_M = TypeVar("_M", bound=models.Model)


class AppendOnlyQuerySet(models.QuerySet[_M]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only: add a correcting row")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only: add a correcting row")


class AppendOnlyModel(models.Model):
    """Rows are written once. Corrections are new rows."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(
                f"{type(self).__name__} rows are append-only: add a correcting row"
            )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only: add a correcting row")


class AccountKind(models.TextChoices):
    NEED = engine.AccountKind.NEED.value, _("Need")
    RESTRICTED = engine.AccountKind.RESTRICTED.value, _("Restricted pool")
    GENERAL = engine.AccountKind.GENERAL.value, _("General pool")
    SHORTFALL = engine.AccountKind.SHORTFALL.value, _("Shortfall")


class AllocationRun(models.Model):
    """A preview of what allocation would do, which a giving manager commits (or not).

    The plan itself is recomputed at commit time from the ledger; the preview keeps a summary
    for people to read and the plan's fingerprint, so a preview that no longer matches what
    would be written is refused instead of being applied blindly.
    """

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Preview")
        COMMITTED = "committed", _("Committed")
        STALE = "stale", _("Out of date")

    class Trigger(models.TextChoices):
        PANEL = "panel", _("Admin panel")
        COMMAND = "command", _("Management command")
        AUTOMATIC = "automatic", _("Automatic")

    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PREVIEW
    )
    trigger = models.CharField(
        _("started from"), max_length=12, choices=Trigger.choices, default=Trigger.PANEL
    )
    fingerprint = models.CharField(_("plan fingerprint"), max_length=64)
    summary = models.JSONField(_("summary"), default=dict)
    donation_count = models.PositiveIntegerField(_("donations"), default=0)
    posting_count = models.PositiveIntegerField(_("ledger lines"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    created_by = actor_field()
    created_by_label = models.CharField(_("created by"), max_length=150, blank=True)
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)
    committed_by = actor_field()
    committed_by_label = models.CharField(_("committed by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("allocation run")
        verbose_name_plural = _("allocation runs")
        ordering = ["-created_at", "-pk"]
        permissions = [("allocate", _("Can preview and commit allocation runs and reallocate"))]

    def __str__(self) -> str:
        when = timezone.localtime(self.created_at).strftime("%Y-%m-%d %H:%M")
        return f"{_('Allocation run')} {self.pk} ({when}, {self.get_status_display()})"

    @property
    def is_committed(self) -> bool:
        return self.status == self.Status.COMMITTED


class LedgerEntryQuerySet(AppendOnlyQuerySet["LedgerEntry"]):
    def for_account(self, account: engine.Account) -> LedgerEntryQuerySet:
        return self.filter(**LedgerEntry.account_lookup(account))

    def balance(self) -> int:
        """The sum of these entries' amounts (asked of :mod:`.balances`, the one reader)."""
        from . import balances

        return balances.sum_of_entries(self)


class LedgerEntry(AppendOnlyModel):
    """One movement of one donation's money into (positive) or out of (negative) an account."""

    class Kind(models.TextChoices):
        ALLOCATE = "allocate", _("Allocation")
        REVERSE = "reverse", _("Reversal (refund or lost dispute)")
        REALLOCATE = "reallocate", _("Reallocation")

    donation = models.ForeignKey(
        "wagtail_sixdegrees.Donation",
        verbose_name=_("donation"),
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    account_kind = models.CharField(_("account"), max_length=12, choices=AccountKind.choices)
    need = models.ForeignKey(
        "wagtail_sixdegrees.Need",
        verbose_name=_("need"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )
    cause = models.ForeignKey(
        "wagtail_sixdegrees.Cause",
        verbose_name=_("cause"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "wagtail_sixdegrees.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.BigIntegerField(_("amount"), help_text=_("Signed, in minor units."))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    rule = models.CharField(_("rule"), max_length=32, blank=True)
    preference_position = models.PositiveSmallIntegerField(_("preference"), null=True, blank=True)
    run = models.ForeignKey(
        AllocationRun,
        verbose_name=_("allocation run"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    transfer = models.UUIDField(
        _("transfer"), default=uuid.uuid4, db_index=True, help_text=_("Rows written together.")
    )
    actor = actor_field()
    actor_label = models.CharField(_("by"), max_length=150, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["donation", "account_kind"], name="sixdegrees_ledger_donation"),
            models.Index(fields=["need", "amount"], name="sixdegrees_ledger_need"),
            models.Index(
                fields=["account_kind", "currency", "cause", "region"],
                name="sixdegrees_ledger_pool",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(amount=0), name="sixdegrees_ledger_amount_not_zero"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        account_kind="need",
                        need__isnull=False,
                        cause__isnull=True,
                        region__isnull=True,
                    )
                    | Q(account_kind="restricted", need__isnull=True)
                    & (Q(cause__isnull=False) | Q(region__isnull=False))
                    | Q(
                        account_kind__in=["general", "shortfall"],
                        need__isnull=True,
                        cause__isnull=True,
                        region__isnull=True,
                    )
                ),
                name="sixdegrees_ledger_account_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {money.format_money(self.amount, self.currency)} → {self.account_label}"

    @property
    def account(self) -> engine.Account:
        return engine.Account(
            engine.AccountKind(self.account_kind),
            self.currency,
            need_id=self.need_id,
            cause_id=self.cause_id,
            region_id=self.region_id,
        )

    @staticmethod
    def account_lookup(account: engine.Account) -> dict[str, str | int | None]:
        return {
            "account_kind": str(account.kind),
            "currency": account.currency,
            "need_id": account.need_id,
            "cause_id": account.cause_id,
            "region_id": account.region_id,
        }

    @property
    def account_label(self) -> str:
        if self.account_kind == AccountKind.NEED:
            return str(self.need)
        if self.account_kind == AccountKind.RESTRICTED:
            parts = [str(part) for part in (self.cause, self.region) if part is not None]
            return str(_("Restricted pool: %(restriction)s") % {"restriction": " · ".join(parts)})
        return str(self.get_account_kind_display())

    @property
    def amount_display(self) -> str:
        return money.format_money(self.amount, self.currency)


class Disbursement(AppendOnlyModel):
    """Money sent from a need to its partner. A reversal is a new row pointing at the original."""

    need = models.ForeignKey(
        "wagtail_sixdegrees.Need",
        verbose_name=_("need"),
        on_delete=models.PROTECT,
        related_name="disbursements",
    )
    partner = models.ForeignKey(
        "wagtail_sixdegrees.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="disbursements",
    )
    amount = models.BigIntegerField(
        _("amount"), help_text=_("Minor units; negative for a reversal.")
    )
    currency = models.CharField(_("currency"), max_length=3)
    paid_on = models.DateField(_("paid on"))
    reference = models.CharField(
        _("payment reference"), max_length=200, blank=True, help_text=_("Bank transfer reference.")
    )
    note = models.TextField(_("note"), blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    reason = models.TextField(_("reason"), blank=True)
    actor = actor_field()
    actor_label = models.CharField(_("by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        ordering = ["-paid_on", "-pk"]
        permissions = [("disburse", _("Can record and reverse disbursements"))]
        constraints = [
            models.CheckConstraint(
                condition=~Q(amount=0), name="sixdegrees_disbursement_amount_not_zero"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0, reverses__isnull=True)
                | Q(amount__lt=0, reverses__isnull=False),
                name="sixdegrees_disbursement_reversal_is_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{money.format_money(self.amount, self.currency)} → {self.partner} ({self.need})"

    @property
    def amount_display(self) -> str:
        return money.format_money(self.amount, self.currency)

    @property
    def is_reversal(self) -> bool:
        return self.reverses_id is not None


def balance_key(
    kind: str, currency: str, need_id: int | None, cause_id: int | None, region_id: int | None
) -> str:
    """The one key of an account's balance row: kind, currency and what it is restricted to."""
    if kind == engine.AccountKind.NEED:
        return f"need:{currency}:{need_id}"
    if kind == engine.AccountKind.RESTRICTED:
        return f"restricted:{currency}:{cause_id or ''}:{region_id or ''}"
    return f"{kind}:{currency}"


class AccountBalance(models.Model):
    """What one account holds now, kept by ``allocation/ledger.py`` in the same transaction as
    every ledger row and disbursement it writes, so a page reads one small row per need
    instead of summing the ledger. ``sixdegrees_audit`` recomputes every row from the ledger
    and reports any difference; nothing else writes here.

    * ``held``: the sum of the account's ledger entries (what it holds now);
    * ``raised``: the sum of its positive entries (everything that ever reached it);
    * ``disbursed``: the sum of its disbursements (needs only).
    """

    key = models.CharField(_("account"), max_length=80, unique=True)
    account_kind = models.CharField(_("account"), max_length=12, choices=AccountKind.choices)
    currency = models.CharField(_("currency"), max_length=3)
    need = models.ForeignKey(
        "wagtail_sixdegrees.Need",
        verbose_name=_("need"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cause = models.ForeignKey(
        "wagtail_sixdegrees.Cause",
        verbose_name=_("cause"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "wagtail_sixdegrees.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    held = models.BigIntegerField(_("held"), default=0)
    raised = models.BigIntegerField(_("raised"), default=0)
    disbursed = models.BigIntegerField(_("disbursed"), default=0)

    class Meta:
        verbose_name = _("account balance")
        verbose_name_plural = _("account balances")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key}: {money.format_money(self.held, self.currency)}"


class AccountMonth(models.Model):
    """The net movement into one account in one month (in the site's ``TIME_ZONE``), kept by
    ``allocation/ledger.py`` with every ledger row it writes, so the Giving dashboard's "this
    year" reads a few rows per account instead of the whole year's ledger. ``sixdegrees_audit``
    recomputes every row from the ledger and reports any difference."""

    key = models.CharField(_("account"), max_length=80)
    account_kind = models.CharField(_("account"), max_length=12, choices=AccountKind.choices)
    currency = models.CharField(_("currency"), max_length=3)
    need = models.ForeignKey(
        "wagtail_sixdegrees.Need",
        verbose_name=_("need"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cause = models.ForeignKey(
        "wagtail_sixdegrees.Cause",
        verbose_name=_("cause"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "wagtail_sixdegrees.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: The first day of the month.
    month = models.DateField(_("month"))
    moved = models.BigIntegerField(_("moved"), default=0)

    class Meta:
        verbose_name = _("account month")
        verbose_name_plural = _("account months")
        ordering = ["key", "month"]
        constraints = [
            models.UniqueConstraint(fields=["key", "month"], name="sixdegrees_account_month"),
        ]
        indexes = [models.Index(fields=["month"], name="sixdegrees_account_month_m")]

    def __str__(self) -> str:
        return f"{self.key} {self.month:%Y-%m}: {money.format_money(self.moved, self.currency)}"


class UnallocatedMoney(models.Model):
    """What paid donations not allocated yet will bring, in one settlement currency: the
    figure "received, not yet allocated" of the public totals, kept so that page reads one
    row per currency instead of every paid donation against the ledger.

    Triggers on the donation table (``allocation/waiting.py``) add a donation when it becomes
    paid and counted (and follow any change of its amounts or currency); ``allocation/ledger.py``
    takes it off in the same transaction as its first allocation. Both amounts are kept
    (``ALLOCATE_FROM`` chooses which one is read), each with the number of donations in it.
    ``sixdegrees_audit`` recomputes every row from the donations and the ledger and reports
    any difference; ``--rebuild-rollups`` replaces them.
    """

    currency = models.CharField(_("currency"), max_length=3, unique=True)
    gross = models.BigIntegerField(_("gross"), default=0)
    gross_count = models.BigIntegerField(_("donations (gross)"), default=0)
    net = models.BigIntegerField(_("net"), default=0)
    net_count = models.BigIntegerField(_("donations (net)"), default=0)

    class Meta:
        verbose_name = _("money waiting for allocation")
        verbose_name_plural = _("money waiting for allocation")
        ordering = ["currency"]

    def __str__(self) -> str:
        return f"{self.currency}: {money.format_money(self.net, self.currency)}"
