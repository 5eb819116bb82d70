"""Fictional giving content: the site's giving settings, two donate pages, and a few paid
donations in USD, THB and VND made through the same code path as real ones (the pending
donation from a form, Stripe Checkout answered by devstripe in-process, and the webhook
processor), so fees and nets are realistic and later allocation work has data."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.conf import settings as django_settings
from django.utils import timezone
from wagtail.models import Locale, Page, Site

from wagtail_sixdegrees import devstripe
from wagtail_sixdegrees.giving import gateway
from wagtail_sixdegrees.giving.checkout import checkout_session_params, create_pending_donation
from wagtail_sixdegrees.giving.forms import GiftRequest
from wagtail_sixdegrees.giving.targets import GENERAL, Target
from wagtail_sixdegrees.giving.webhooks import process_event, store_event
from wagtail_sixdegrees.models import Cause, DonatePage, Donation, GivingSettings, Need

from .needs import NEEDS

#: The need the "Give to safe shelter" page funds.
SHELTER_NEED = NEEDS[0][0]

CURRENCY_OPTIONS = [
    {"currency": "USD", "amounts": "10 25 50 100", "fixed_fee": "0.30"},
    {"currency": "THB", "amounts": "300 500 1000 2500", "fixed_fee": "10"},
    {"currency": "VND", "amounts": "100000 250000 500000", "fixed_fee": "2000"},
]

# (fictional email, amount in minor units, currency, frequency, what it is for)
DONATIONS = [
    ("demo-donor-ann@example.org", 5_000, "USD", "once", "need"),
    ("demo-donor-bao@example.org", 100_000, "THB", "once", "split"),
    ("demo-donor-chi@example.org", 500_000, "VND", "once", "general"),
    ("demo-donor-dara@example.org", 2_500, "USD", "monthly", "cause"),
]

#: The demo donor who tries *My giving*: their monthly gift can be changed, paused, resumed,
#: given a new card (devstripe's portal page) and cancelled, all offline.
MY_GIVING_DONOR = "demo-donor-dara@example.org"


def ensure_settings(site: Site) -> GivingSettings:
    settings = GivingSettings.for_site(site)
    settings.organisation_name = "Six Degrees example (fictional)"
    settings.organisation_address = "1 Example Road\nBangkok 10110 (fictional)"
    settings.registration_number = "EXAMPLE-0000 (fictional)"
    settings.receipt_footer = "Demonstration only: no money was taken and no real person gave."
    settings.currency_options = [("currency", option) for option in CURRENCY_OPTIONS]
    settings.thanks_text = "<p>Thank you. This is a demonstration: no real money moved.</p>"
    settings.save()
    return settings


def ensure_donate_pages(home: Page) -> list[DonatePage]:
    pages = []
    shelter = Need.objects.open().filter(locale=Locale.get_default(), title=SHELTER_NEED).first()
    specs = [
        (
            "Give to safe shelter",
            "give-to-shelter",
            "Fund one fictional need directly.",
            {
                "mode": "fixed",
                "needs": [shelter] if shelter else [],
                "heading": "Give to this need",
            },
        ),
        (
            "Give your way",
            "give",
            "Choose up to three places for your gift and how to share it.",
            {"mode": "split", "heading": "Share your gift"},
        ),
    ]
    for title, slug, intro, block in specs:
        page = DonatePage.objects.child_of(home).filter(slug=slug).first()
        if page is None:
            page = DonatePage(
                title=title,
                slug=slug,
                intro=f"<p>{intro} Everything here is fictional.</p>",
                body=[("donate", {"frequencies": ["once", "monthly"], **block})],
            )
            home.add_child(instance=page)
            page.save_revision().publish()
        pages.append(page)
    return pages


def _targets(kind: str) -> list[tuple[Target, int]]:
    # English records: a translation shares its source's money, so gifts go to the source.
    default = Locale.get_default()
    needs = list(Need.objects.open().filter(locale=default).in_fill_order()[:2])
    if kind == "need" and needs:
        return [(Target("need", need=needs[0]), 10_000)]
    if kind == "split" and len(needs) == 2:
        return [(Target("need", need=needs[0]), 6_000), (Target("need", need=needs[1]), 4_000)]
    cause = Cause.objects.filter(locale=default).first()
    if kind == "cause" and cause:
        return [(Target("cause", cause=cause), 10_000)]
    return [(GENERAL, 10_000)]


@contextlib.contextmanager
def demo_stripe() -> Iterator[devstripe.DevStripe]:
    """devstripe in-process, with its state kept where ``make demo``'s devstripe will read it, so
    the demo's payments can later be refunded from the panel."""
    state = devstripe.DevStripe(state_file=getattr(django_settings, "DEVSTRIPE_STATE", ""))
    with gateway.use_http_client(devstripe.in_process_client(state)):
        yield state
    state.save()


def pay(
    state: devstripe.DevStripe,
    site: Site,
    organisation: str,
    *,
    email: str,
    amount: int,
    currency: str,
    targets: list[tuple[Target, int]],
    frequency: str = "once",
    flexible: bool = True,
    anonymous: bool = False,
    method: str = "card",
    delayed: bool = False,
) -> Donation:
    """One fictional gift through the real path: the pending donation the form would make,
    Stripe Checkout (devstripe), and the webhook processor. Returns it, paid. ``method`` is
    what the donor picks on the checkout page; ``delayed``: their bank confirms afterwards."""
    donation = create_pending_donation(
        GiftRequest(
            amount=amount,
            covered_fee_amount=0,
            currency=currency,
            frequency=frequency,
            email=email,
            name="Fictional donor",
            anonymous=anonymous,
            cover_fees=False,
            dedication_kind="",
            dedication="",
            allow_flexible_use=flexible,
            wants_updates=False,
            locale="en",
            targets=targets,
        ),
        site,
    )
    # Fictional donors get no receipt email.
    Donation.objects.filter(pk=donation.pk).update(receipt_sent_at=timezone.now())
    base = site.root_url
    params = checkout_session_params(
        donation,
        success_url=f"{base}/giving/thanks/?donation={donation.reference}&session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=base,
        organisation=organisation,
    )
    session = gateway.StripeGateway().create_checkout_session(
        params, key=gateway.idempotency_key("checkout", donation.reference)
    )
    Donation.objects.filter(pk=donation.pk).update(stripe_checkout_session_id=session["id"])
    events = state.pay(session["id"], method, delayed=delayed)
    if delayed:
        events += state.settle(session["id"], succeeded=True)
    for event in events:
        process_event(store_event(event).stripe_id)
    return Donation.objects.get(pk=donation.pk)


def ensure_paid_donations(site: Site, organisation: str) -> int:
    """Fictional paid gifts through checkout and the webhook processor; returns how many exist."""
    with demo_stripe() as state:
        for email, amount, currency, frequency, kind in DONATIONS:
            if Donation.objects.filter(donor__email=email).exists():
                continue
            pay(
                state,
                site,
                organisation,
                email=email,
                amount=amount,
                currency=currency,
                frequency=frequency,
                targets=_targets(kind),
                anonymous=kind == "general",
            )
    return Donation.objects.filter(
        donor__email__startswith="demo-donor-", paid_at__isnull=False
    ).count()


def ensure_giving(home: Page) -> dict[str, int]:
    site = Site.objects.get(root_page=home)
    settings = ensure_settings(site)
    pages = ensure_donate_pages(home)
    paid = ensure_paid_donations(site, settings.organisation)
    return {"donate pages": len(pages), "paid demo donations": paid}
