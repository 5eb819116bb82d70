"""Offline gifts: money that reached the organisation by bank transfer, cash, cheque or mobile
money, recorded by a giving manager one at a time or imported from a spreadsheet.

Each gift is an ordinary :class:`~.donations.Donation` (with its ``channel``), so it is
allocated, reported and totalled like any other; what only an offline gift has (when and how it
was received, who recorded it, the file row it came from, and a void) lives here, one row per
gift.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ...fields import actor_field

REFERENCE_MAX_LENGTH = 200
VOID_REASON_MAX_LENGTH = 500


class OfflineBatch(models.Model):
    """An uploaded file of offline gifts: parsed once, previewed, then committed once.

    The parsed rows (each accepted or refused, with the reason) are kept here, so the commit
    writes what the manager saw and never trusts data posted back by the browser.
    """

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Preview")
        COMMITTED = "committed", _("Committed")
        STALE = "stale", _("Out of date")

    file_name = models.CharField(_("file"), max_length=255)
    file_digest = models.CharField(_("file digest (SHA-256)"), max_length=64)
    rows = models.JSONField(_("rows"), default=list)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PREVIEW
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    created_by = actor_field()
    created_by_label = models.CharField(_("uploaded by"), max_length=150, blank=True)
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)
    committed_by = actor_field()
    committed_by_label = models.CharField(_("committed by"), max_length=150, blank=True)
    created_count = models.PositiveIntegerField(_("gifts created"), default=0)
    stale_reason = models.CharField(_("why it is out of date"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("offline gift import")
        verbose_name_plural = _("offline gift imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def accepted_rows(self) -> list[dict]:
        return [row for row in self.rows if row.get("accepted")]

    @property
    def refused_rows(self) -> list[dict]:
        return [row for row in self.rows if not row.get("accepted")]


class OfflineGift(models.Model):
    """How an offline donation was received and recorded, and whether it was voided."""

    donation = models.OneToOneField(
        "wagtail_sixdegrees.Donation",
        verbose_name=_("donation"),
        on_delete=models.PROTECT,
        related_name="offline",
    )
    received_on = models.DateField(_("received on"))
    payment_reference = models.CharField(
        _("payment reference"),
        max_length=REFERENCE_MAX_LENGTH,
        help_text=_("The bank transfer's reference, the receipt book or cheque number."),
    )
    receipt_consent = models.BooleanField(_("the donor wants a receipt by email"), default=False)
    #: What identifies the payment (channel, date, amount, currency, reference): the same
    #: payment is never recorded twice while it stands, whichever file or form brings it.
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    batch = models.ForeignKey(
        OfflineBatch,
        verbose_name=_("import"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="gifts",
    )
    row_number = models.PositiveIntegerField(_("row in the file"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = actor_field()
    recorded_by_label = models.CharField(_("recorded by"), max_length=150, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    voided_by = actor_field()
    voided_by_label = models.CharField(_("voided by"), max_length=150, blank=True)
    void_reason = models.CharField(_("why it was voided"), max_length=VOID_REASON_MAX_LENGTH)

    class Meta:
        verbose_name = _("offline gift")
        verbose_name_plural = _("offline gifts")
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            # A voided gift no longer stands, so its corrected version can be recorded again.
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=Q(voided_at__isnull=True),
                name="sixdegrees_offline_gift_once",
            ),
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True) | ~Q(void_reason=""),
                name="sixdegrees_offline_void_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.donation.get_channel_display()} {self.received_on}"

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None
