"""Withdrawal-card digests and never-publish term digests become keyed with ``SECRET_KEY``.

Cards kept a plain SHA-256 of their 60-bit short code, and terms a BLAKE2b keyed only by a salt
stored beside them: both could be searched by hashing guesses by anyone holding a copy of the
database. The clear values are gone, so each stored digest is wrapped: the new digest is
HMAC-SHA256 with ``SECRET_KEY`` (Django's ``salted_hmac``, as in 0022) of the old one, which is
what the code now computes when it looks a card or a term up.

The computation is written out here, so this migration keeps working whatever later code does.
It cannot be reversed: an HMAC cannot be unwrapped."""

from django.db import migrations
from django.utils.crypto import salted_hmac

CARD_PURPOSE = "wagtail_sixdegrees.withdrawal_card"
TERM_PURPOSE = "wagtail_sixdegrees.never_publish_term"


def _wrapped(purpose, digest):
    return salted_hmac(purpose, digest, algorithm="sha256").hexdigest()


def keyed(apps, schema_editor):
    WithdrawalCard = apps.get_model("wagtail_sixdegrees", "WithdrawalCard")
    NeverPublishTerm = apps.get_model("wagtail_sixdegrees", "NeverPublishTerm")
    cards = WithdrawalCard.objects.order_by("pk").values_list("pk", "token_hash", "code_hash")
    for pk, token_hash, code_hash in cards.iterator(chunk_size=500):
        WithdrawalCard.objects.filter(pk=pk).update(
            token_hash=_wrapped(CARD_PURPOSE, token_hash),
            code_hash=_wrapped(CARD_PURPOSE, code_hash),
        )
    terms = NeverPublishTerm.objects.order_by("pk").values_list("pk", "digest")
    for pk, digest in terms.iterator(chunk_size=500):
        NeverPublishTerm.objects.filter(pk=pk).update(digest=_wrapped(TERM_PURPOSE, digest))


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_sixdegrees", "0022_offline_fingerprint_keys"),
    ]

    operations = [migrations.RunPython(keyed)]
