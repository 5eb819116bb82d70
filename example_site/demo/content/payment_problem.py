"""A monthly gift whose renewal the card refused: the panel shows "Payment problem", the donor
got the email with a link to update the card, and My giving offers the same repair (devstripe's
card page; a successful retry ends the problem). All fictional, all offline."""

from __future__ import annotations

from wagtail.models import Page, Site

from demo.content.giving import demo_stripe, pay
from wagtail_sixdegrees.giving.targets import GENERAL
from wagtail_sixdegrees.giving.webhooks import process_event, store_event
from wagtail_sixdegrees.models import Donation, GivingSettings, RecurringGift

PAYMENT_PROBLEM_DONOR = "demo-donor-eka@example.org"


def ensure_payment_problem(home: Page) -> dict[str, int]:
    """The fictional donor's first month is paid; the second month's charge is refused."""
    if not Donation.objects.filter(donor__email=PAYMENT_PROBLEM_DONOR).exists():
        site = Site.objects.get(root_page=home)
        with demo_stripe() as state:
            donation = pay(
                state,
                site,
                GivingSettings.for_site(site).organisation,
                email=PAYMENT_PROBLEM_DONOR,
                amount=1_500,
                currency="USD",
                frequency="monthly",
                targets=[(GENERAL, 10_000)],
            )
            gift = RecurringGift.objects.get(pk=donation.recurring_gift_id)
            for event in state.fail_invoice(gift.stripe_subscription_id):
                process_event(store_event(event).stripe_id)
    return {
        "monthly gifts with a payment problem": RecurringGift.objects.filter(
            status=RecurringGift.Status.PAST_DUE
        ).count()
    }
