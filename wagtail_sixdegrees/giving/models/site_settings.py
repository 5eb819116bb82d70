"""Per-site giving settings that editors manage (Settings > Giving). Secrets never live here."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField

from ... import conf, money
from ..blocks import CurrencyOptionsBlock, impact_overrides, parse_amount_list
from ..fees import FeeEstimate

DEFAULT_OVERFLOW_TEXT = _(
    "If a need you choose is already fully funded when your gift arrives, we use it for another "
    "open need of the same cause and region, or keep it for the next one."
)


@register_setting(icon="pick")
class GivingSettings(BaseSiteSetting):
    """Editor-facing options for giving on one site."""

    organisation_name = models.CharField(
        _("organisation name"),
        max_length=200,
        blank=True,
        help_text=_("Shown on receipts and at checkout. Defaults to the site's name."),
    )
    organisation_address = models.TextField(
        _("organisation address"),
        blank=True,
        help_text=_("Postal address shown on donors' giving statements."),
    )
    registration_number = models.CharField(
        _("registration number"),
        max_length=100,
        blank=True,
        help_text=_("Charity or tax registration number, shown on donors' giving statements."),
    )
    receipt_from_email = models.EmailField(
        _("receipts sent from"),
        blank=True,
        help_text=_("Defaults to the server's DEFAULT_FROM_EMAIL."),
    )
    receipt_reply_to = models.EmailField(_("replies to receipts go to"), blank=True)
    receipt_footer = models.TextField(
        _("receipt footer"),
        blank=True,
        help_text=_("Legal text for receipts, such as your registration number."),
    )
    default_currency = models.CharField(
        _("default currency"),
        max_length=3,
        blank=True,
        help_text=_("Leave empty to use the first currency in the site's configuration."),
    )
    fee_percent = models.DecimalField(
        _("payment fee (percent)"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("2.90"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("20"))],
        help_text=_("Used to estimate the fee donors may cover, for example 2.9."),
    )
    currency_options = StreamField(
        [("currency", CurrencyOptionsBlock())],
        blank=True,
        verbose_name=_("currencies"),
        help_text=_("Suggested amounts and the fixed part of the fee, per currency."),
    )
    overflow_text = models.TextField(
        _("if a chosen need is already funded"),
        blank=True,
        help_text=_("What donors agree to when they allow flexible use of their gift."),
    )
    thanks_text = RichTextField(
        _("thank-you message"), blank=True, features=["bold", "italic", "link"]
    )

    panels = [
        FieldPanel("organisation_name"),
        FieldPanel("organisation_address"),
        FieldPanel("registration_number"),
        MultiFieldPanel(
            [
                FieldPanel("receipt_from_email"),
                FieldPanel("receipt_reply_to"),
                FieldPanel("receipt_footer"),
            ],
            heading=_("Receipts"),
        ),
        MultiFieldPanel(
            [FieldPanel("default_currency"), FieldPanel("currency_options")],
            heading=_("Amounts"),
        ),
        FieldPanel("fee_percent"),
        FieldPanel("overflow_text"),
        FieldPanel("thanks_text"),
    ]

    class Meta:
        verbose_name = _("giving")

    def clean(self) -> None:
        super().clean()
        if self.default_currency and self.default_currency.upper() not in conf.currencies():
            raise ValidationError(
                {
                    "default_currency": _("Choose one of: %(codes)s.")
                    % {"codes": ", ".join(conf.currencies())}
                }
            )

    @property
    def organisation(self) -> str:
        site_name = self.site.site_name if self.site_id else ""
        return (
            self.organisation_name or site_name or getattr(django_settings, "WAGTAIL_SITE_NAME", "")
        )

    @property
    def currency(self) -> str:
        code = (self.default_currency or "").upper()
        return code if code in conf.currencies() else conf.default_currency()

    def _options(self) -> dict[str, dict]:
        return {
            block.value["currency"]: block.value
            for block in self.currency_options
            if block.value["currency"] in conf.currencies()
        }

    def _parsed(self, key: str, parse: Callable[[str, str], Any]) -> dict[str, Any]:
        """One option of every currency, parsed; values that no longer parse are skipped (the
        currency's limits may have changed since an editor saved them)."""
        parsed = {}
        for code, options in self._options().items():
            if options.get(key):
                try:
                    parsed[code] = parse(options[key], code)
                except money.AmountError:
                    continue
        return parsed

    def suggested_amounts(self) -> dict[str, list[int]]:
        """Suggested amounts in minor units per currency (site-wide defaults)."""
        return self._parsed("amounts", parse_amount_list)

    def impact_overrides(self) -> dict[str, list[str | None]]:
        """Editors' "what each amount does" lines per currency (see ``impact_overrides``)."""
        return {
            code: impact_overrides(options.get("impact_lines") or "")
            for code, options in self._options().items()
            if options.get("impact_lines")
        }

    def fee_estimate(self) -> FeeEstimate:
        return FeeEstimate(
            rate_bps=int(self.fee_percent * 100),
            fixed=self._parsed("fixed_fee", money.parse_amount),
        )

    @property
    def overflow(self) -> str:
        return self.overflow_text or str(DEFAULT_OVERFLOW_TEXT)
