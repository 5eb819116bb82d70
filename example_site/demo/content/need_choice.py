"""A need that closed short of its target with the *My giving* demo donor's money in it, so
their *My giving* page shows a choice waiting (docs/donors/need-closes.md), and their statement
has more than one gift.

The need is open when the donor's gift is paid and allocated (through the real path), then its
closing day is set to yesterday and the choice is found as ``sixdegrees_need_choices`` would.
The choice is marked as emailed: fictional donors get no email.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from wagtail.models import Locale, Site

from demo.content.giving import MY_GIVING_DONOR, demo_stripe, pay
from wagtail_sixdegrees.allocation import ledger, need_choices
from wagtail_sixdegrees.giving.targets import Target
from wagtail_sixdegrees.models import (
    Cause,
    Donation,
    GivingSettings,
    Need,
    NeedChoice,
    Partner,
    Priority,
    Region,
)

CLOSED_NEED = "Bicycles for the school run (fictional, closed)"
GIFT = 3_000  # 30.00 USD


def _need() -> Need:
    locale = Locale.get_default()
    need = Need.objects.filter(locale=locale, title=CLOSED_NEED).first()
    if need is None:
        today = timezone.localdate()
        need = Need.objects.create(
            locale=locale,
            title=CLOSED_NEED,
            summary="Fictional example: bicycles so teenagers can get to school safely.",
            cause=Cause.objects.get(locale=locale, slug="education"),
            region=Region.objects.get(locale=locale, slug="battambang"),
            partner=Partner.objects.get(name="New Leaf Livelihoods (fictional)"),
            target_amount=200_000,
            currency="USD",
            priority=Priority.NORMAL,
            opens_on=today - datetime.timedelta(days=60),
            closes_on=today + datetime.timedelta(days=30),
        )
    return need


#: The closed need in Thai: its choice page and My giving prompt name it so for Thai readers.
CLOSED_NEED_TH = (
    "จักรยานสำหรับเดินทางไปโรงเรียน (สมมติ ปิดแล้ว)",
    "ตัวอย่างสมมติ: จักรยานให้วัยรุ่นเดินทางไปโรงเรียนได้อย่างปลอดภัย",
)


def _thai_translation(need: Need) -> None:
    """The closed need's Thai translation, published, once (Thai exists after the demo's
    translations)."""
    thai = Locale.objects.filter(language_code="th").first()
    if thai is None or need.has_translation(thai):
        return
    translation = need.copy_for_translation(thai)
    translation.title, translation.summary = CLOSED_NEED_TH
    translation.cause = need.cause.get_translation_or_none(thai) or need.cause
    translation.region = need.region.get_translation_or_none(thai) or need.region
    translation.live, translation.live_revision = False, None
    translation.save()
    translation.save_revision().publish()


def ensure_need_choice(site: Site) -> dict[str, int]:
    if NeedChoice.objects.filter(need__title=CLOSED_NEED).exists():
        with transaction.atomic():
            _thai_translation(_need())
        return {"need choices waiting": NeedChoice.objects.filter(decided_at__isnull=True).count()}
    with transaction.atomic():
        need = _need()
        gift = Donation.objects.filter(
            donor__email=MY_GIVING_DONOR, preferences__need=need, paid_at__isnull=False
        ).first()
        if gift is None:
            with demo_stripe() as state:
                gift = pay(
                    state,
                    site,
                    GivingSettings.for_site(site).organisation,
                    email=MY_GIVING_DONOR,
                    amount=GIFT,
                    currency="USD",
                    targets=[(Target("need", need=need), 10_000)],
                    flexible=False,
                )
    # Committed: allocate it (the on-commit task may have already; this is then a no-op).
    ledger.allocate([gift.pk], include_pools=False)
    with transaction.atomic():
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        Need.objects.filter(pk=need.pk).update(closes_on=yesterday)
        need_choices.find()
        NeedChoice.objects.filter(need=need, notified_at__isnull=True).update(
            notified_at=timezone.now()
        )
        _thai_translation(need)
    return {"need choices waiting": NeedChoice.objects.filter(decided_at__isnull=True).count()}
