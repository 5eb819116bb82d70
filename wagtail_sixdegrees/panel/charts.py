"""The Giving dashboard's monthly bar chart: geometry in whole pixels, drawn by a template as
SVG (no JavaScript, no floats)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import formats
from django.utils.translation import gettext_lazy as _

from .figures import GivenTotals


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    month: datetime.date
    amount_display: str

    @property
    def label_x(self) -> int:
        return self.x + self.width // 2

    @property
    def short_label(self) -> str:
        return formats.date_format(self.month, "M")

    @property
    def long_label(self) -> str:
        return formats.date_format(self.month, "F Y")


@dataclass(frozen=True)
class Chart:
    """A bar chart of one currency's months, drawn by a template as SVG (no JavaScript)."""

    currency: str
    bars: list[Bar]
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    highest_display: str
    total_display: str
    highest_month: datetime.date | None

    @property
    def label_y(self) -> int:
        return self.plot_bottom + 16

    @property
    def title(self) -> str:
        return str(
            _("Given in %(currency)s per month, last %(count)d months")
            % {"currency": self.currency, "count": len(self.bars)}
        )

    @property
    def description(self) -> str:
        if self.highest_month is None:
            return str(_("Nothing was given in these months."))
        return str(
            _("Highest month: %(month)s, %(highest)s. Total: %(total)s.")
            % {
                "month": formats.date_format(self.highest_month, "F Y"),
                "highest": self.highest_display,
                "total": self.total_display,
            }
        )


def monthly_chart(totals: GivenTotals, *, width: int = 480, height: int = 150) -> Chart:
    """Bar geometry in whole pixels for one currency: integer arithmetic, no floats."""
    plot_top, plot_bottom = 8, height - 22
    plot_height = plot_bottom - plot_top
    count = max(len(totals.months), 1)
    slot = width // count
    highest = max((amount for _start, amount in totals.months), default=0)
    bars = []
    for index, (start, amount) in enumerate(totals.months):
        bar_height = amount * plot_height // highest if highest > 0 else 0
        if amount > 0:
            bar_height = max(bar_height, 1)  # a month with gifts is never invisible
        bars.append(
            Bar(
                x=index * slot + 2,
                y=plot_bottom - bar_height,
                width=max(slot - 4, 1),
                height=bar_height,
                month=start,
                amount_display=totals.display(amount),
            )
        )
    highest_month = next(
        (start for start, amount in totals.months if amount == highest and highest > 0), None
    )
    return Chart(
        currency=totals.currency,
        bars=bars,
        width=width,
        height=height,
        plot_top=plot_top,
        plot_bottom=plot_bottom,
        highest_display=totals.display(highest),
        total_display=totals.display(sum(amount for _start, amount in totals.months)),
        highest_month=highest_month,
    )
