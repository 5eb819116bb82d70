"""Fictional transparency content: two need updates, a public totals page, and the private
impact-page address of one fictional donation for a reviewer to open."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from wagtail.models import Page

from wagtail_sixdegrees.allocation import balances
from wagtail_sixdegrees.models import Donation, Need, NeedUpdate, TransparencyPage
from wagtail_sixdegrees.transparency.tokens import impact_token

UPDATES = [
    (
        "The first fictional families have moved in",
        "Fictional example: the partner tells us that three families moved into the shelter this "
        "month. The beds, bedding and kitchen equipment your gifts paid for are all in use.",
    ),
    (
        "Fictional legal clinic held its first sessions",
        "Fictional example: two lawyers met eleven people over four afternoons. Nobody's name or "
        "case is shared here, to keep everyone safe.",
    ),
]
TOTALS_INTRO = (
    "<p>Every figure on this page comes straight from our ledger: what was given, where it is "
    "now and what has been paid out to our partners. Everything here is fictional.</p>"
)


def _needs_with_money() -> list[Need]:
    needs = Need.objects.with_progress().filter(pk__in=balances.canonical_needs().values("pk"))
    return sorted(
        (need for need in needs if need.allocated > 0),
        key=lambda need: (-need.disbursed, -need.allocated, need.pk),
    )


def ensure_updates() -> int:
    """A published update on each of the two needs that hold the most money (once)."""
    for need, (title, text) in zip(_needs_with_money(), UPDATES, strict=False):
        if NeedUpdate.objects.filter(title=title).exists():
            continue
        update = NeedUpdate.objects.create(
            need=need, title=title, text=text, locale=need.locale, live=False
        )
        update.save_revision().publish()
    return NeedUpdate.objects.filter(live=True).count()


def ensure_totals_page(home: Page) -> TransparencyPage:
    page = TransparencyPage.objects.child_of(home).filter(slug="where-gifts-go").first()
    if page is None:
        page = TransparencyPage(title="Where gifts go", slug="where-gifts-go", intro=TOTALS_INTRO)
        home.add_child(instance=page)
        page.save_revision().publish()
    return page


def demo_impact_url() -> str:
    """The impact page of the fictional gift that went furthest: allocated and paid out."""
    donations = Donation.objects.filter(
        donor__email__startswith="demo-donor-", paid_at__isnull=False
    )
    funded = {need.pk for need in _needs_with_money() if need.disbursed}
    donation = (
        donations.filter(ledger_entries__need_id__in=funded).order_by("paid_at", "pk").first()
        or donations.order_by("paid_at", "pk").first()
    )
    if donation is None:
        return ""
    base = str(getattr(settings, "WAGTAILADMIN_BASE_URL", "")).rstrip("/")
    return base + reverse("wagtail_sixdegrees:gift", args=[impact_token(donation)])


def ensure_transparency(home: Page) -> dict[str, int | str]:
    page = ensure_totals_page(home)
    return {"need updates": ensure_updates(), "totals page": page.url or page.slug}
