"""A donor's giving statement: their paid gifts in a date range, net of refunds, per currency.

Dates are the site's (``TIME_ZONE``): a gift paid at 23:30 on 31 December local time belongs to
that year's statement whatever UTC says. Amounts are what the donor paid, in the currency they
paid in, fees they chose to cover included; refunds and lost disputes are taken off, whenever
they happened. Currencies are never added together: each has its own total.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import conf, money
from .models import Donation, Donor

#: Statuses of a gift that was paid (a refund or a dispute may have taken some back since).
PAID_STATUSES = (
    Donation.Status.PAID,
    Donation.Status.PARTIALLY_REFUNDED,
    Donation.Status.REFUNDED,
    Donation.Status.DISPUTED,
)


@dataclass(frozen=True)
class Period:
    """A named range offered as a default (a calendar or fiscal year)."""

    label: str
    start: datetime.date
    end: datetime.date


class NetOfRefunds:
    """What was given less what was refunded, in minor units of ``currency``."""

    amount: int
    returned: int
    currency: str

    @property
    def net(self) -> int:
        return self.amount - self.returned

    @property
    def net_display(self) -> str:
        return money.format_money(self.net, self.currency)


@dataclass
class Line(NetOfRefunds):
    donation: Donation
    paid_on: datetime.date
    amount: int
    returned: int

    @property
    def currency(self) -> str:  # type: ignore[override]  # the gift's currency, read-only
        return self.donation.currency

    @property
    def amount_display(self) -> str:
        return money.format_money(self.amount, self.currency)

    @property
    def returned_display(self) -> str:
        return money.format_money(self.returned, self.currency)


@dataclass
class Total(NetOfRefunds):
    currency: str
    gifts: int = 0
    amount: int = 0
    returned: int = 0


@dataclass
class Statement:
    email: str
    donor_name: str
    start: datetime.date
    end: datetime.date
    lines: list[Line] = field(default_factory=list)

    @property
    def totals(self) -> list[Total]:
        """One total per currency, in currency order; never summed across currencies."""
        totals: dict[str, Total] = defaultdict(lambda: Total(""))
        for line in self.lines:
            total = totals[line.currency]
            total.currency = line.currency
            total.gifts += 1
            total.amount += line.amount
            total.returned += line.returned
        return [totals[code] for code in sorted(totals)]


def returned_amount(donation: Donation) -> int:
    """What was given back of the gift: refunds, and a dispute the donor's bank won."""
    returned = donation.amount_refunded
    if donation.dispute_status == Donation.DisputeStatus.LOST:
        returned += donation.dispute_amount or 0
    return min(returned, donation.amount)


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def build(email: str, start: datetime.date, end: datetime.date) -> Statement:
    """The statement of ``email``'s paid gifts from ``start`` to ``end`` (both included)."""
    donations = (
        Donation.objects.filter(
            donor__email__iexact=email,
            donor__erased_at__isnull=True,
            status__in=PAID_STATUSES,
            paid_at__gte=_local_midnight(start),
            paid_at__lt=_local_midnight(end + datetime.timedelta(days=1)),
        )
        .select_related("donor")
        .order_by("paid_at", "pk")
    )
    donor = Donor.objects.filter(email__iexact=email, erased_at__isnull=True).first()
    statement = Statement(email=email, donor_name=donor.name if donor else "", start=start, end=end)
    for donation in donations:
        statement.lines.append(
            Line(
                donation=donation,
                paid_on=timezone.localdate(donation.paid_at),
                amount=donation.amount,
                returned=returned_amount(donation),
            )
        )
    return statement


def fiscal_start_month() -> int:
    return int(conf.get_setting("FISCAL_YEAR_START_MONTH"))


def _fiscal_year(containing: datetime.date, month: int) -> tuple[datetime.date, datetime.date]:
    year = containing.year if containing.month >= month else containing.year - 1
    start = datetime.date(year, month, 1)
    following = datetime.date(year + 1, month, 1)
    return start, following - datetime.timedelta(days=1)


def periods(today: datetime.date | None = None) -> list[Period]:
    """The ranges offered as one-click defaults: this and last calendar year, and (when the
    fiscal year starts in another month) this and last fiscal year."""
    today = today or timezone.localdate()
    offered = [
        Period(
            str(_("This year (%(year)d)") % {"year": today.year}),
            datetime.date(today.year, 1, 1),
            datetime.date(today.year, 12, 31),
        ),
        Period(
            str(_("Last year (%(year)d)") % {"year": today.year - 1}),
            datetime.date(today.year - 1, 1, 1),
            datetime.date(today.year - 1, 12, 31),
        ),
    ]
    month = fiscal_start_month()
    if month != 1:
        start, end = _fiscal_year(today, month)
        previous_start, previous_end = _fiscal_year(start - datetime.timedelta(days=1), month)
        for first, last, text in (
            (start, end, _("This fiscal year (%(start)d-%(end)d)")),
            (previous_start, previous_end, _("Last fiscal year (%(start)d-%(end)d)")),
        ):
            offered.append(Period(str(text % {"start": first.year, "end": last.year}), first, last))
    return offered


class StatementForm(forms.Form):
    """The range asked for (``?start=2025-01-01&end=2025-12-31``)."""

    start = forms.DateField(
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={
            "required": _("Enter the first day of the statement."),
            "invalid": _("Enter a date like 2025-01-31."),
        },
    )
    end = forms.DateField(
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={
            "required": _("Enter the last day of the statement."),
            "invalid": _("Enter a date like 2025-12-31."),
        },
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("The last day must be on or after the first day."))
            longest = int(conf.get_setting("STATEMENT_MAX_DAYS"))
            if (end - start).days + 1 > longest:
                raise forms.ValidationError(
                    _("A statement can cover at most %(days)d days. Choose a shorter range.")
                    % {"days": longest}
                )
        return cleaned


def plain_amount(amount: int, currency: str) -> str:
    """``1,234.50 USD``: the amount with its code, in characters every PDF font has."""
    text = money.to_decimal_string(amount, currency)
    whole, dot, fraction = text.partition(".")
    negative = whole.startswith("-")
    digits = whole.lstrip("-")
    grouped = f"{int(digits):,}" if digits else "0"
    return f"{'-' if negative else ''}{grouped}{dot}{fraction} {currency}"
