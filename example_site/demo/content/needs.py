"""Fictional causes, regions, partners and needs for the demo.

Regions are real provinces (coarse on purpose, as the package requires); partners, needs and
amounts are invented and say so.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from wagtail.models import Locale

from wagtail_sixdegrees.models import Cause, Need, Partner, Priority, Region

CAUSES = [
    ("shelter", "Shelter", "A safe bed, meals and someone to talk to."),
    ("medical-care", "Medical care", "Treatment and counselling after exploitation."),
    ("legal-aid", "Legal aid", "Lawyers and interpreters for survivors seeking justice."),
    ("education", "Education", "School fees, books and catch-up classes."),
    ("livelihood", "Livelihood", "Training and tools for a first income."),
    ("safe-return", "Safe return", "The journey home, with an escort and a plan."),
]

REGIONS = [
    ("chiang-rai", "Chiang Rai Province", Region.Kind.PROVINCE, "TH"),
    ("an-giang", "An Giang Province", Region.Kind.PROVINCE, "VN"),
    ("battambang", "Battambang Province", Region.Kind.PROVINCE, "KH"),
    ("mekong-border", "Mekong border areas", Region.Kind.CROSS_BORDER, ""),
]

PARTNERS = [
    ("Harbour House Shelter (fictional)", "TH"),
    ("Open Road Legal Aid (fictional)", "VN"),
    ("New Leaf Livelihoods (fictional)", "KH"),
]

# (title, cause, region, partner index, target in minor units, currency, priority, days open)
NEEDS = [
    (
        "Six months of safe shelter",
        "shelter",
        "chiang-rai",
        0,
        18_000_000,
        "THB",
        Priority.URGENT,
        120,
    ),
    (
        "Trauma counselling sessions",
        "medical-care",
        "chiang-rai",
        0,
        6_000_000,
        "THB",
        Priority.HIGH,
        90,
    ),
    (
        "Legal representation in labour cases",
        "legal-aid",
        "an-giang",
        1,
        120_000_000,
        "VND",
        Priority.NORMAL,
        180,
    ),
    (
        "School fees and uniforms for returning teenagers",
        "education",
        "battambang",
        2,
        480_000,
        "USD",
        Priority.NORMAL,
        150,
    ),
    (
        "Sewing cooperative start-up kits",
        "livelihood",
        "an-giang",
        2,
        300_000,
        "USD",
        Priority.LOW,
        200,
    ),
    (
        "Bus fares and escorts for the journey home",
        "safe-return",
        "mekong-border",
        1,
        250_000,
        "USD",
        Priority.HIGH,
        60,
    ),
    (
        "Emergency medical care after rescue",
        "medical-care",
        "battambang",
        2,
        600_000,
        "USD",
        Priority.URGENT,
        45,
    ),
    (
        "Vocational training in hospitality",
        "livelihood",
        "chiang-rai",
        0,
        15_000_000,
        "THB",
        Priority.LOW,
        240,
    ),
]

#: Impact in words: what one unit of a need costs (minor units of its currency), so the
#: donate form can say "฿500: pays for 3 nights of safe shelter".
UNITS = {
    "Six months of safe shelter": ("night of safe shelter", "nights of safe shelter", 15_000),
    "Trauma counselling sessions": ("counselling session", "counselling sessions", 50_000),
}

UNIT_FIELDS = ("unit_name", "unit_name_plural", "unit_cost")


def ensure_needs() -> dict[str, int]:
    locale = Locale.get_default()
    causes = {}
    for slug, name, description in CAUSES:
        causes[slug], _ = Cause.objects.update_or_create(
            locale=locale, slug=slug, defaults={"name": name, "description": description}
        )
    regions = {}
    for slug, name, kind, country in REGIONS:
        regions[slug], _ = Region.objects.update_or_create(
            locale=locale, slug=slug, defaults={"name": name, "kind": kind, "country_code": country}
        )
    partners = [
        Partner.objects.update_or_create(
            name=name,
            defaults={
                "country_code": country,
                "description": "A fictional partner organisation for the demonstration.",
            },
        )[0]
        for name, country in PARTNERS
    ]
    today = timezone.localdate()
    created = 0
    for title, cause, region, partner, target, currency, priority, days in NEEDS:
        existing = Need.objects.filter(locale=locale, title=title).first()
        if existing is not None:
            _give_unit(existing)
            continue
        need = Need.objects.create(
            locale=locale,
            title=title,
            summary=f"Fictional example: {title.lower()} for survivors supported by our partner.",
            cause=causes[cause],
            region=regions[region],
            partner=partners[partner],
            target_amount=target,
            currency=currency,
            priority=priority,
            opens_on=today - datetime.timedelta(days=30),
            closes_on=today + datetime.timedelta(days=days),
            **dict(zip(UNIT_FIELDS, UNITS.get(title, ("", "", None)), strict=True)),
        )
        need.save_revision().publish()
        created += 1
    return {
        "causes": len(causes),
        "regions": len(regions),
        "partners": len(partners),
        "needs": Need.objects.filter(locale=locale).count(),
        "needs created": created,
    }


def _give_unit(need: Need) -> None:
    """Set the demo unit on a need that has none yet (a demo loaded before units existed)."""
    unit = UNITS.get(need.title)
    if unit is None or need.unit_name:
        return
    need.unit_name, need.unit_name_plural, need.unit_cost = unit
    need.save()
    need.save_revision().publish()
