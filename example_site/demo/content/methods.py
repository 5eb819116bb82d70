"""Local payment methods and posters: a THB gift paid with PromptPay (simulated by devstripe:
the session completes unpaid, then the donor's bank confirms), and a QR poster of a need."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from wagtail.models import Locale, Page, Site

from demo.content.giving import demo_stripe, pay
from wagtail_sixdegrees.giving.targets import Target
from wagtail_sixdegrees.models import Donation, GivingSettings, Need

PROMPTPAY_DONOR = "demo-donor-lek@example.org"
POSTER_NEED = "Six months of safe shelter"


def ensure_promptpay_gift(home: Page) -> dict[str, int]:
    """One THB gift to the shelter need, paid by PromptPay with a delayed confirmation."""
    if not Donation.objects.filter(donor__email=PROMPTPAY_DONOR).exists():
        site = Site.objects.get(root_page=home)
        need = Need.objects.get(locale=Locale.get_default(), title=POSTER_NEED)
        with demo_stripe() as state:
            pay(
                state,
                site,
                GivingSettings.for_site(site).organisation,
                email=PROMPTPAY_DONOR,
                amount=50_000,
                currency="THB",
                targets=[(Target("need", need=need), 10_000)],
                method="promptpay",
                delayed=True,
            )
    return {
        "PromptPay gifts": Donation.objects.filter(
            payment_method_type="promptpay", paid_at__isnull=False
        ).count()
    }


def demo_poster_path() -> str:
    """The admin address of a campaign poster for the shelter need (500 THB, once)."""
    need = Need.objects.get(locale=Locale.get_default(), title=POSTER_NEED)
    query = {"need": need.pk, "amount": "500", "currency": "THB", "frequency": "once"}
    return reverse("sixdegrees_posters:index") + "?" + urlencode(query)
