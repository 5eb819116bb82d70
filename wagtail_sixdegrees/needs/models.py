"""What money is for (causes), where (regions), who spends it (partners), and targets (needs)."""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import DraftStateMixin, LockableMixin, RevisionMixin, TranslatableMixin

from .. import money
from . import fill_order, progress

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

country_code_validator = RegexValidator(
    r"^[A-Z]{2}$", _("Use the two-letter ISO 3166 country code in capitals, e.g. TH or VN.")
)
currency_code_validator = RegexValidator(
    r"^[A-Z]{3}$", _("Use the three-letter ISO 4217 currency code in capitals, e.g. USD.")
)


class Cause(TranslatableMixin, models.Model):
    """What money buys: shelter, medical care, legal aid, education, livelihood, safe return."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(
        _("slug"),
        max_length=100,
        allow_unicode=True,
        help_text=_("Used in addresses such as /stories/?cause=shelter."),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("cause")
        verbose_name_plural = _("causes")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["locale", "slug"], name="sixdegrees_cause_slug_per_locale"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Region(TranslatableMixin, models.Model):
    """Where money is spent. Never finer than a province: a town or shelter can identify someone."""

    class Kind(models.TextChoices):
        COUNTRY = "country", _("Country")
        PROVINCE = "province", _("Province or state")
        CROSS_BORDER = "cross_border", _("Cross-border area")

    name = models.CharField(
        _("name"),
        max_length=100,
        help_text=_(
            "A country, province or wider area. Never a town, village, district or shelter: "
            "a small place can identify a survivor."
        ),
    )
    slug = models.SlugField(_("slug"), max_length=100, allow_unicode=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PROVINCE)
    country_code = models.CharField(
        _("country code"),
        max_length=2,
        blank=True,
        validators=[country_code_validator],
        help_text=_("Two-letter ISO code. Leave empty for an area spanning several countries."),
    )

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["locale", "slug"], name="sixdegrees_region_slug_per_locale"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Partner(models.Model):
    """The organisation that spends the money on the ground."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    website = models.URLField(_("website"), blank=True)
    country_code = models.CharField(
        _("country code"), max_length=2, blank=True, validators=[country_code_validator]
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Priority(models.IntegerChoices):
    """Lower numbers are filled first when a cause or region share is allocated."""

    URGENT = 1, _("Urgent")
    HIGH = 2, _("High")
    NORMAL = 3, _("Normal")
    LOW = 4, _("Low")


class NeedQuerySet(models.QuerySet["Need"]):
    def open(self, on: datetime.date | None = None) -> NeedQuerySet:
        """Needs that are published and accepting money on the given day (default: today)."""
        day = on or timezone.localdate()
        return self.filter(live=True, opens_on__lte=day).filter(
            Q(closes_on__isnull=True) | Q(closes_on__gte=day)
        )

    def with_progress(self) -> NeedQuerySet:
        """Annotate ``raised``, ``allocated``, ``disbursed`` and ``gap`` in the same query.

        The figures are kept with the ledger and shared by every translation of a need (money
        sits on the source record); ``allocation/balances.py`` reads them (through
        :mod:`.progress`, so this layer does not import allocation):

        * ``raised``: everything that ever reached the need;
        * ``allocated``: what it holds now (after refunds and moves);
        * ``disbursed``: what has been paid out to its partner;
        * ``gap``: what is still missing to reach the target (never negative).
        """
        return progress.reader().with_progress(self)

    def with_progress_attached(self) -> list[Need]:
        """The needs as a list, with the same ``raised``, ``allocated``, ``disbursed`` and
        ``gap`` as :meth:`with_progress`, read by one query of the kept balances instead of
        correlated subqueries: cheaper for a page that shows a handful of needs."""
        needs = list(self)
        attach_progress(needs)
        return needs

    def fill_ordered(self, policy: fill_order.FillPolicy | None = None) -> NeedQuerySet | None:
        """The queryset ordered in SQL as the fill policy (default: the site's) orders needs,
        or None if the policy cannot be expressed in SQL (it judges gaps, say)."""
        fields = fill_order.sql_order(policy or fill_order.configured_policy())
        if fields is None:
            return None
        return self.order_by(
            *(
                models.F(column).asc(nulls_last=True) if nulls_last else column
                for column, nulls_last in fields
            )
        )

    def in_fill_order(self, policy: fill_order.FillPolicy | None = None) -> list[Need]:
        """The needs as a list, in the order allocation fills them: the site's
        ``ALLOCATION_POLICY`` (default: priority, earliest close, then oldest), judged on each
        need's current gap, exactly as the engine judges it."""
        policy = policy or fill_order.configured_policy()
        in_sql = self.fill_ordered(policy)
        if in_sql is not None:
            return list(in_sql)
        needs = list(self.order_by("pk"))
        if needs and getattr(needs[0], "gap", None) is None:
            attach_progress(needs)
        return fill_order.in_fill_order(needs, Need.fill_state, policy)


def attach_progress(needs: list[Need]) -> None:
    """Set ``raised``, ``allocated``, ``disbursed`` and ``gap`` on loaded needs, in one query
    (see :func:`wagtail_sixdegrees.allocation.balances.attach_progress`)."""
    progress.reader().attach_progress(needs)


#: Why a funded need keeps its cause and region (see ``Need.fixed_restriction``).
RESTRICTION_FIXED = {
    "cause": _(
        "This need already holds money given for its cause, so its cause cannot change. Create a new need for another cause, or correct the cause's own name."
    ),
    "region": _(
        "This need already holds money given for its region, so its region cannot change. Create a new need for another region, or correct the region's own name."
    ),
}


class Need(  # type: ignore[django-manager-missing]  # story_links: a modelcluster ParentalKey
    TranslatableMixin, DraftStateMixin, LockableMixin, RevisionMixin, models.Model
):
    """A funding target. Its progress is always computed from the ledger, never stored."""

    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(
        _("summary"),
        max_length=600,
        help_text=_("What the money will do, in a sentence or two donors will read."),
    )
    cause = models.ForeignKey(
        Cause, verbose_name=_("cause"), on_delete=models.PROTECT, related_name="needs"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="needs"
    )
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="needs"
    )
    target_amount = models.BigIntegerField(
        _("target amount"),
        help_text=_("In minor units of the currency (cents for USD, whole yen for JPY)."),
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_code_validator])
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    # Impact in words: what one unit of this need costs, so the donate form can say what a
    # gift buys ("$25: five shelter nights"). Optional; in the need's own currency.
    unit_name = models.CharField(
        _("unit (one)"),
        max_length=100,
        blank=True,
        help_text=_("What one unit of this need is, for example: shelter night."),
    )
    unit_name_plural = models.CharField(
        _("unit (several)"),
        max_length=100,
        blank=True,
        help_text=_("The same in the plural, for example: shelter nights."),
    )
    unit_cost = models.BigIntegerField(
        _("cost of one unit"),
        null=True,
        blank=True,
        help_text=_("In minor units of the need's currency (cents for USD)."),
    )
    opens_on = models.DateField(_("opens on"), default=timezone.localdate)
    closes_on = models.DateField(
        _("closes on"), null=True, blank=True, help_text=_("Leave empty to keep the need open.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = NeedQuerySet.as_manager()

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["priority", "closes_on", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_amount__gt=0), name="sixdegrees_need_target_positive"
            ),
            models.CheckConstraint(
                condition=Q(closes_on__isnull=True) | Q(closes_on__gte=models.F("opens_on")),
                name="sixdegrees_need_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list[StrOrPromise]] = {}
        if self.currency and not money.is_supported(self.currency):
            errors.setdefault("currency", []).append(
                _("Stripe does not accept %(currency)s.") % {"currency": self.currency}
            )
        if self.target_amount is not None and self.target_amount <= 0:
            errors.setdefault("target_amount", []).append(_("The target must be more than zero."))
        elif (
            self.target_amount is not None
            and self.currency
            and money.is_supported(self.currency)
            and self.target_amount % money.get_currency(self.currency).step
        ):
            errors.setdefault("target_amount", []).append(
                _("%(currency)s amounts cannot have that many decimal places.")
                % {"currency": self.currency}
            )
        if self.unit_cost is not None and self.unit_cost <= 0:
            errors.setdefault("unit_cost", []).append(_("A unit must cost more than zero."))
        elif self.unit_cost and not self.unit_name:
            errors.setdefault("unit_name", []).append(_("Name the unit that this cost buys."))
        if self.opens_on and self.closes_on and self.closes_on < self.opens_on:
            errors.setdefault("closes_on", []).append(
                _("The closing date must be on or after the opening date.")
            )
        fixed = self.fixed_currency()
        if fixed and self.currency != fixed:
            errors.setdefault("currency", []).append(
                _(
                    "This need already holds money in %(currency)s, so its currency cannot change. Create a new need for another currency."
                )
                % {"currency": fixed}
            )
        for name, stored in self.fixed_restriction().items():
            chosen = getattr(self, name) if getattr(self, f"{name}_id") else None
            if (chosen.translation_key if chosen else None) != stored:
                errors.setdefault(name, []).append(RESTRICTION_FIXED[name])
        if errors:
            raise ValidationError(errors)

    def holds_money(self) -> bool:
        """Whether any ledger entry or disbursement names this need or a translation of it
        (progress counts them together)."""
        if self.translation_key is None:
            return False
        group = Need.objects.filter(translation_key=self.translation_key)
        return (
            group.filter(ledger_entries__isnull=False).exists()
            or group.filter(disbursements__isnull=False).exists()
        )

    def fixed_currency(self) -> str | None:
        """The currency this need must keep, or None while it may still change.

        Once money names this need (:meth:`holds_money`), its balance is in that currency:
        changing it would relabel 500.00 USD as 50,000 JPY. The database refuses the change too
        (migration 0013).
        """
        if not self.holds_money():
            return None
        group = Need.objects.filter(translation_key=self.translation_key)
        stored = group.filter(pk=self.pk).values_list("currency", flat=True) if self.pk else None
        return (stored and stored.first()) or group.values_list("currency", flat=True).first()

    def fixed_restriction(self) -> dict[str, uuid.UUID | None]:
        """The cause and region this need must keep, by translation key (a translation of the
        same cause is the same cause), or empty while they may still change.

        Gifts for a cause or region fill the open needs of that cause or region (docs/concepts.md#rule-4); once
        money names this need, moving it to another cause or region would carry restricted
        money out of its restriction without a reason or the donors' consent (docs/concepts.md#rule-6). A wrong
        cause is corrected by a new need and a recorded reallocation; a misspelt one by editing
        the cause itself.
        """
        if not self.pk or not self.holds_money():
            return {}
        stored = (
            Need.objects.filter(pk=self.pk)
            .values_list("cause__translation_key", "region__translation_key")
            .first()
        )
        return dict(zip(("cause", "region"), stored, strict=True)) if stored else {}

    def fill_state(self) -> fill_order.NeedState:
        """This need as a fill policy sees it (its ``gap`` must be loaded, see
        :meth:`NeedQuerySet.in_fill_order`)."""
        return fill_order.NeedState(
            id=self.pk,
            cause_id=self.cause_id,
            region_id=self.region_id,
            currency=self.currency,
            gap=self.gap,
            priority=self.priority,
            closes_on=self.closes_on,
            created_at=self.created_at,
        )

    def is_open(self, on: datetime.date | None = None) -> bool:
        day = on or timezone.localdate()
        return (
            self.live and self.opens_on <= day and (self.closes_on is None or self.closes_on >= day)
        )

    @property
    def progress_percent(self) -> int | None:
        """Whole percent of the target held now, capped at 100; None unless the need was
        loaded ``with_progress()``."""
        allocated = getattr(self, "allocated", None)
        if allocated is None:
            return None
        if self.target_amount <= 0:
            return 0
        return max(0, min(100, allocated * 100 // self.target_amount))

    @property
    def allocated_display(self) -> str:
        return money.format_money(getattr(self, "allocated", 0) or 0, self.currency)

    @property
    def disbursed_display(self) -> str:
        return money.format_money(getattr(self, "disbursed", 0) or 0, self.currency)

    @property
    def gap_display(self) -> str:
        gap = getattr(self, "gap", None)
        return money.format_money(self.target_amount if gap is None else gap, self.currency)

    @property
    def target_display(self) -> str:
        return money.format_money(self.target_amount, self.currency)
