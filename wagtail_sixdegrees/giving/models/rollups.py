"""What was given per currency and day, kept by the database itself (see ``giving/rollups.py``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ... import money


class DonationDay(models.Model):
    """What donors paid on one day (in the site's ``TIME_ZONE``) in one currency, less what was
    refunded, and how many payments that was: the Giving dashboard's totals read these rows
    instead of every donation. Triggers on the donation table keep them in the same
    transaction as every write to a donation's amount, refund, currency or payment time, on
    every path (ORM, ``update()``, bulk inserts, ``COPY``). ``sixdegrees_audit`` recomputes
    every row from the donations and reports any difference."""

    currency = models.CharField(_("currency"), max_length=3)
    day = models.DateField(_("day"))
    given = models.BigIntegerField(_("given"), default=0)
    count = models.BigIntegerField(_("payments"), default=0)

    class Meta:
        verbose_name = _("donations of a day")
        verbose_name_plural = _("donations per day")
        ordering = ["currency", "day"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "day"], name="sixdegrees_donation_day"),
        ]
        indexes = [models.Index(fields=["day"], name="sixdegrees_donation_day_d")]

    def __str__(self) -> str:
        return f"{self.currency} {self.day}: {money.format_money(self.given, self.currency)}"
