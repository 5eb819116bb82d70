"""Offline gift fingerprints become keyed digests (HMAC-SHA256 with ``SECRET_KEY``) instead of
plain SHA-256: erasure blanks a gift's payment reference and keeps its fingerprint, which must
then not give the reference away to someone who hashes guesses (docs/decisions.md).

Every standing record is re-fingerprinted from its donation and reference as they stand. The
computation is written out here, so this migration keeps working whatever later code does."""

import hashlib
import json

from django.db import migrations
from django.utils.crypto import salted_hmac

SALT = "wagtail_sixdegrees.offline_gift"


def _content(gift):
    donation = gift.donation
    return json.dumps(
        [
            donation.channel,
            gift.received_on.isoformat(),
            donation.currency,
            donation.amount,
            " ".join(gift.payment_reference.split()).casefold(),
        ]
    )


def _refingerprint(apps, digest):
    OfflineGift = apps.get_model("wagtail_sixdegrees", "OfflineGift")
    gifts = OfflineGift.objects.select_related("donation").order_by("pk")
    for gift in gifts.iterator(chunk_size=500):
        OfflineGift.objects.filter(pk=gift.pk).update(fingerprint=digest(_content(gift)))


def keyed(apps, schema_editor):
    _refingerprint(
        apps, lambda content: salted_hmac(SALT, content, algorithm="sha256").hexdigest()
    )


def plain(apps, schema_editor):
    _refingerprint(apps, lambda content: hashlib.sha256(content.encode()).hexdigest())


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_sixdegrees", "0021_rollups"),
    ]

    operations = [migrations.RunPython(keyed, plain)]
