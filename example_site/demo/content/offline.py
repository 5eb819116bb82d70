"""A small, fictional batch of offline gifts, imported the way a giving manager would: a bank
transfer and a cheque in THB and cash in USD, all for "where most needed"."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from demo.content.site import DEMO_USERNAME
from wagtail_sixdegrees.giving import offline
from wagtail_sixdegrees.models import OfflineBatch

FILE_NAME = "demo-offline-gifts.csv"
# (days ago, channel, amount, currency, reference, fictional donor name, email, receipt)
GIFTS = [
    (8, "bank_transfer", "2500.00", "THB", "DEMO-TRF-0001", "Demo Donor Nok", "", "no"),
    (5, "cash", "40", "USD", "DEMO-RECEIPT-0002", "", "", "no"),
    (3, "cheque", "1200", "THB", "DEMO-CHQ-0003", "Demo Donor Pim", "", "no"),
]


def _content() -> bytes:
    today = timezone.localdate()
    lines = [",".join(offline.COLUMNS[:9])]
    for days, channel, amount, currency, reference, name, email, receipt in GIFTS:
        day = (today - datetime.timedelta(days=days)).isoformat()
        lines.append(
            ",".join([day, channel, amount, currency, reference, name, email, "no", receipt])
        )
    return ("\r\n".join(lines) + "\r\n").encode()


def ensure_offline_gifts() -> dict[str, int]:
    """Import the demo batch once; later runs find it and add nothing."""
    batch = OfflineBatch.objects.filter(file_name=FILE_NAME).first()
    manager = get_user_model().objects.filter(username=DEMO_USERNAME).first()
    if batch is None:
        batch = offline.preview_import(FILE_NAME, _content(), actor=manager)
    if batch.status == OfflineBatch.Status.PREVIEW:
        offline.commit_import(batch, actor=manager)
    batch.refresh_from_db()
    return {"offline gifts imported": batch.gifts.count()}
