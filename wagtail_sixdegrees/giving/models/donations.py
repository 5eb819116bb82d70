"""Donations, how donors want them used, and monthly gifts.

Amounts are integers of minor units (``wagtail_sixdegrees.money``): ``amount`` and the refunded
and disputed amounts are in the *presentment* currency the donor paid in; ``settlement_*``,
``fee_amount`` and ``net_amount`` are in the currency Stripe paid out in, read from the charge's
balance transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ... import conf, money


class Frequency(models.TextChoices):
    ONCE = "once", _("Once")
    MONTHLY = "monthly", _("Monthly")


class Channel(models.TextChoices):
    """How the money arrived: online through Stripe, or offline, entered by a giving manager."""

    ONLINE = "online", _("Online (Stripe)")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CASH = "cash", _("Cash")
    CHEQUE = "cheque", _("Cheque")
    MOBILE_MONEY = "mobile_money", _("Mobile money")
    OTHER = "other", _("Other")


#: The channels a giving manager records by hand (every one but Stripe).
OFFLINE_CHANNELS = tuple(channel for channel in Channel if channel != Channel.ONLINE)


class DedicationKind(models.TextChoices):
    HONOUR = "honour", _("In honour of")
    MEMORY = "memory", _("In memory of")


DEDICATION_MAX_LENGTH = 200


class GiftTerms(models.Model):
    """What a donor chose on the form; shared by a donation and a monthly gift's template."""

    site = models.ForeignKey(
        "wagtailcore.Site",
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    amount = models.BigIntegerField(_("amount"), help_text=_("Minor units, fees included."))
    currency = models.CharField(_("currency"), max_length=3)
    cover_fees = models.BooleanField(_("donor covers the fees"), default=False)
    covered_fee_amount = models.BigIntegerField(
        _("fee added"), default=0, help_text=_("Part of the amount the donor added for fees.")
    )
    anonymous = models.BooleanField(_("anonymous"), default=False)
    dedication_kind = models.CharField(
        _("dedication"), max_length=10, choices=DedicationKind.choices, blank=True
    )
    dedication = models.CharField(_("dedicated to"), max_length=DEDICATION_MAX_LENGTH, blank=True)
    #: The donor's consent that money for an already funded choice may go where most needed
    #: (docs/concepts.md#rule-3, #rule-6).
    allow_flexible_use = models.BooleanField(_("may be used where most needed"), default=False)
    wants_updates = models.BooleanField(_("wants updates"), default=False)
    locale = models.CharField(_("language"), max_length=16, blank=True)
    #: The name typed on the form. Anyone can type anyone's email address, so it joins the
    #: donor's record (with ``locale``) only once the gift is paid (``checkout.join_donor_record``).
    donor_name = models.CharField(_("name given"), max_length=200, blank=True)

    class Meta:
        abstract = True

    @property
    def amount_display(self) -> str:
        return money.format_money(self.amount, self.currency, self.locale or None)

    @property
    def gift_amount(self) -> int:
        """What the donor meant to give, before any fee they added."""
        return self.amount - self.covered_fee_amount


class RecurringGift(GiftTerms):
    """A monthly gift: one Stripe subscription, one :class:`Donation` per paid invoice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for checkout")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Payment problem")
        PAUSED = "paused", _("Paused")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Never started")
        #: Stripe gave up collecting a failed payment: the gift ended without the donor asking.
        LAPSED = "lapsed", _("Lapsed")

    reference = models.UUIDField(_("reference"), default=uuid.uuid4, unique=True, editable=False)
    donor = models.ForeignKey(
        "wagtail_sixdegrees.Donor",
        verbose_name=_("donor"),
        on_delete=models.PROTECT,
        related_name="recurring_gifts",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    stripe_subscription_id = models.CharField(_("Stripe subscription"), max_length=255, blank=True)
    stripe_customer_id = models.CharField(_("Stripe customer"), max_length=255, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    #: When a paused gift's collection resumes (Stripe's ``pause_collection.resumes_at``).
    paused_until = models.DateTimeField(_("paused until"), null=True, blank=True)

    class Meta:
        verbose_name = _("monthly gift")
        verbose_name_plural = _("monthly gifts")
        ordering = ["-created", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_subscription_id"],
                condition=~Q(stripe_subscription_id=""),
                name="sixdegrees_gift_subscription_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount_display} / {_('month')}"

    @property
    def is_cancellable(self) -> bool:
        return bool(self.stripe_subscription_id) and self.status not in RECURRING_ENDED

    @property
    def is_running(self) -> bool:
        """Stripe may still charge it, so the donor may change, pause or cancel it."""
        return self.is_cancellable

    @property
    def has_payment_problem(self) -> bool:
        return self.status == self.Status.PAST_DUE


#: Statuses of a monthly gift that Stripe will never charge again.
RECURRING_ENDED = (
    RecurringGift.Status.CANCELLED,
    RecurringGift.Status.EXPIRED,
    RecurringGift.Status.LAPSED,
)


class DisputeStatus:
    """Stripe's dispute statuses, as ``Donation.dispute_status`` stores them: named here once so
    that no module compares against a bare ``"lost"``."""

    WARNING_NEEDS_RESPONSE = "warning_needs_response"
    WARNING_UNDER_REVIEW = "warning_under_review"
    WARNING_CLOSED = "warning_closed"
    NEEDS_RESPONSE = "needs_response"
    UNDER_REVIEW = "under_review"
    WON = "won"
    LOST = "lost"
    PREVENTED = "prevented"
    #: The money is (or may be) taken back.
    HOLDING = frozenset(
        [WARNING_NEEDS_RESPONSE, WARNING_UNDER_REVIEW, NEEDS_RESPONSE, UNDER_REVIEW, LOST]
    )
    #: Stripe changes nothing more.
    CLOSED = frozenset([WON, LOST, WARNING_CLOSED, PREVENTED])


class Donation(GiftTerms):
    """One payment. A monthly gift produces one per paid invoice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")
        REFUNDED = "refunded", _("Refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        DISPUTED = "disputed", _("Disputed")
        #: An offline gift recorded by mistake: its allocations are reversed (never deleted).
        VOIDED = "voided", _("Voided")

    DisputeStatus = DisputeStatus
    Channel = Channel
    #: Stripe dispute statuses that mean the money is (or may be) taken back.
    DISPUTE_HOLDING_STATUSES = DisputeStatus.HOLDING

    reference = models.UUIDField(_("reference"), default=uuid.uuid4, unique=True, editable=False)
    donor = models.ForeignKey(
        "wagtail_sixdegrees.Donor",
        verbose_name=_("donor"),
        on_delete=models.PROTECT,
        related_name="donations",
    )
    page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("given from page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.ONCE
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    recurring_gift = models.ForeignKey(
        RecurringGift,
        verbose_name=_("monthly gift"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="donations",
    )
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.ONLINE
    )

    stripe_checkout_session_id = models.CharField(
        _("Stripe Checkout Session"), max_length=255, blank=True
    )
    checkout_url = models.URLField(_("checkout address"), max_length=2000, blank=True)
    stripe_payment_intent_id = models.CharField(
        _("Stripe PaymentIntent"), max_length=255, blank=True, db_index=True
    )
    stripe_charge_id = models.CharField(_("Stripe charge"), max_length=255, blank=True)
    stripe_invoice_id = models.CharField(_("Stripe invoice"), max_length=255, blank=True)
    stripe_customer_id = models.CharField(_("Stripe customer"), max_length=255, blank=True)
    payment_method_type = models.CharField(_("payment method"), max_length=64, blank=True)

    settlement_currency = models.CharField(_("settlement currency"), max_length=3, blank=True)
    settlement_amount = models.BigIntegerField(_("settled gross"), null=True, blank=True)
    fee_amount = models.BigIntegerField(_("Stripe fee"), null=True, blank=True)
    net_amount = models.BigIntegerField(_("net"), null=True, blank=True)

    amount_refunded = models.BigIntegerField(_("refunded"), default=0)
    refunded_settlement_amount = models.BigIntegerField(
        _("refunded (settlement currency)"), default=0
    )
    #: Of ``amount_refunded``, what Stripe is still holding until the donor gives bank details
    #: (PromptPay, PayNow...: Stripe emails them). Stripe's current state, not a running total.
    refund_awaiting_bank_details = models.BigIntegerField(
        _("refund waiting for the donor's bank details"), default=0
    )

    dispute_id = models.CharField(_("Stripe dispute"), max_length=255, blank=True)
    dispute_status = models.CharField(_("dispute status"), max_length=32, blank=True)
    dispute_amount = models.BigIntegerField(_("disputed amount"), null=True, blank=True)
    dispute_funds_withdrawn = models.BigIntegerField(
        _("dispute funds withdrawn (settlement currency)"), default=0
    )
    dispute_funds_reinstated = models.BigIntegerField(
        _("dispute funds reinstated (settlement currency)"), default=0
    )
    dispute_fee_amount = models.BigIntegerField(_("dispute fees (settlement currency)"), default=0)

    #: The form's one-time nonce and a digest of what was submitted: an identical resubmission
    #: (a double click, a reload) finds this pending donation instead of paying twice.
    submission_key = models.CharField(_("form submission"), max_length=64, blank=True)
    submission_fingerprint = models.CharField(_("submission digest"), max_length=64, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=500, blank=True)
    #: Set when Stripe reported a payment naming this donation that was not the one we asked
    #: for (another session, amount or currency): never applied, listed for finance to resolve.
    payment_mismatch = models.CharField(_("payment mismatch"), max_length=500, blank=True)
    receipt_sent_at = models.DateTimeField(_("receipt sent at"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-created_at", "-pk"]
        # The Giving panel's permissions; "view_donation" (Django's own) opens its screens.
        permissions = [
            ("refund_donation", _("Can refund donations through Stripe")),
            ("export_giving", _("Can export giving data as CSV and XLSX")),
            ("record_offline_gift", _("Can record, import and void offline gifts")),
        ]
        indexes = [
            # The dashboard sums what was paid in a period.
            models.Index(fields=["paid_at", "currency"], name="sixdegrees_donation_paid"),
            # Payments that did not match: almost never any, counted on the dashboard.
            models.Index(
                fields=["payment_mismatch"],
                condition=~Q(payment_mismatch=""),
                name="sixdegrees_donation_mismatch",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sixdegrees_donation_positive"),
            models.CheckConstraint(
                condition=Q(covered_fee_amount__gte=0)
                & Q(covered_fee_amount__lt=models.F("amount")),
                name="sixdegrees_donation_fee_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0) & Q(amount_refunded__lte=models.F("amount")),
                name="sixdegrees_donation_refund_within_amount",
            ),
            models.UniqueConstraint(
                fields=["stripe_invoice_id"],
                condition=~Q(stripe_invoice_id=""),
                name="sixdegrees_donation_invoice_unique",
            ),
            models.UniqueConstraint(
                fields=["stripe_checkout_session_id"],
                condition=~Q(stripe_checkout_session_id=""),
                name="sixdegrees_donation_session_unique",
            ),
            models.UniqueConstraint(
                fields=["stripe_charge_id"],
                condition=~Q(stripe_charge_id=""),
                name="sixdegrees_donation_charge_unique",
            ),
            models.UniqueConstraint(
                fields=["submission_key", "submission_fingerprint"],
                condition=Q(status="pending") & ~Q(submission_key=""),
                name="sixdegrees_donation_one_pending_per_submission",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount_display} ({self.get_status_display()})"

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None

    @property
    def allocatable_amount(self) -> int | None:
        """What allocation distributes, in the settlement currency: the net (or the gross when
        ``ALLOCATE_FROM`` is ``"gross"``). ``None`` until paid and settled."""
        if not self.is_paid:
            return None
        return getattr(self, conf.allocatable_field())

    @property
    def refund_awaiting_bank_details_display(self) -> str:
        return money.format_money(
            self.refund_awaiting_bank_details, self.currency, self.locale or None
        )

    @property
    def is_offline(self) -> bool:
        return self.channel != Channel.ONLINE

    def derived_status(self) -> str:
        """The status the recorded facts imply, whatever order Stripe told us them in."""
        if self.status == self.Status.VOIDED:
            return self.status  # final: only an offline gift is voided, and never un-voided
        if not self.is_paid:
            if self.status in (self.Status.FAILED, self.Status.EXPIRED):
                return self.status
            return self.Status.PENDING
        if self.dispute_status in self.DISPUTE_HOLDING_STATUSES:
            return self.Status.DISPUTED
        if self.amount_refunded >= self.amount:
            return self.Status.REFUNDED
        if self.amount_refunded > 0:
            return self.Status.PARTIALLY_REFUNDED
        return self.Status.PAID


class PreferenceKind(models.TextChoices):
    NEED = "need", _("A specific need")
    CAUSE = "cause", _("A cause")
    REGION = "region", _("A region")
    CAUSE_REGION = "cause_region", _("A cause in a region")
    GENERAL = "general", _("Where most needed")


def target_value(kind: str, need_id: Any, cause_id: Any, region_id: Any) -> str:
    """A target in the form contract's spelling: ``need:3``, ``cause:1:region:2``, ``general``."""
    if kind == PreferenceKind.NEED:
        return f"need:{need_id}"
    if kind == PreferenceKind.CAUSE:
        return f"cause:{cause_id}"
    if kind == PreferenceKind.REGION:
        return f"region:{region_id}"
    if kind == PreferenceKind.CAUSE_REGION:
        return f"cause:{cause_id}:region:{region_id}"
    return "general"


def target_label(kind: str, need: Any, cause: Any, region: Any) -> str:
    """A target in the donor's words."""
    if kind == PreferenceKind.NEED:
        return need.title
    if kind == PreferenceKind.CAUSE:
        return cause.name
    if kind == PreferenceKind.REGION:
        return region.name
    if kind == PreferenceKind.CAUSE_REGION:
        return str(_("%(cause)s in %(region)s") % {"cause": cause.name, "region": region.name})
    return str(_("Where most needed"))


class PreferenceTarget(models.Model):
    """One (target, share) of a donor's wishes; shares of one gift sum to 10,000 basis points."""

    position = models.PositiveSmallIntegerField(
        _("position"), help_text=_("The donor's order, which also breaks rounding ties.")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PreferenceKind.choices)
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
    share_bps = models.PositiveIntegerField(_("share (basis points)"))

    class Meta:
        abstract = True
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.describe()} ({self.percent_display})"

    @classmethod
    def target_constraints(cls, prefix: str) -> list[models.BaseConstraint]:
        """The database refuses a row whose foreign keys do not match its kind."""
        kinds = {
            PreferenceKind.NEED: Q(need__isnull=False, cause__isnull=True, region__isnull=True),
            PreferenceKind.CAUSE: Q(need__isnull=True, cause__isnull=False, region__isnull=True),
            PreferenceKind.REGION: Q(need__isnull=True, cause__isnull=True, region__isnull=False),
            PreferenceKind.CAUSE_REGION: Q(
                need__isnull=True, cause__isnull=False, region__isnull=False
            ),
            PreferenceKind.GENERAL: Q(need__isnull=True, cause__isnull=True, region__isnull=True),
        }
        matches = Q()
        for kind, condition in kinds.items():
            matches |= Q(kind=kind) & condition
        return [
            models.CheckConstraint(condition=matches, name=f"{prefix}_target_matches_kind"),
            models.CheckConstraint(
                condition=Q(share_bps__gte=1) & Q(share_bps__lte=money.BASIS_POINTS),
                name=f"{prefix}_share_in_range",
            ),
        ]

    @property
    def target(self) -> str:
        """The form contract's spelling of this target: ``need:3``, ``cause:1:region:2``..."""
        return target_value(self.kind, self.need_id, self.cause_id, self.region_id)

    def describe(self) -> str:
        """The target in the donor's words: a need's title, "Shelter in Chiang Rai"..."""
        return target_label(self.kind, self.need, self.cause, self.region)

    @property
    def percent_display(self) -> str:
        whole, rest = divmod(self.share_bps, 100)
        return f"{whole}%" if not rest else f"{whole}.{rest:02d}".rstrip("0") + "%"

    def copy_fields(self) -> dict:
        return {
            "position": self.position,
            "kind": self.kind,
            "need_id": self.need_id,
            "cause_id": self.cause_id,
            "region_id": self.region_id,
            "share_bps": self.share_bps,
        }


class Preference(PreferenceTarget):
    """How the donor wants one donation used."""

    donation = models.ForeignKey(
        Donation, verbose_name=_("donation"), on_delete=models.CASCADE, related_name="preferences"
    )

    class Meta(PreferenceTarget.Meta):
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["donation", "position"], name="sixdegrees_preference_position_unique"
            ),
            *PreferenceTarget.target_constraints("sixdegrees_preference"),
        ]


class RecurringPreference(PreferenceTarget):
    """A monthly gift's template: copied to each invoice's donation when it is paid."""

    recurring_gift = models.ForeignKey(
        RecurringGift,
        verbose_name=_("monthly gift"),
        on_delete=models.CASCADE,
        related_name="template_preferences",
    )

    __str__ = PreferenceTarget.__str__

    class Meta(PreferenceTarget.Meta):
        verbose_name = _("monthly gift preference")
        verbose_name_plural = _("monthly gift preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["recurring_gift", "position"],
                name="sixdegrees_recurring_preference_position_unique",
            ),
            *PreferenceTarget.target_constraints("sixdegrees_recurring_preference"),
        ]
