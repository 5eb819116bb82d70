"""One keyed digest for everything the database keeps but a copy of it must not give away."""

from __future__ import annotations

from django.utils.crypto import salted_hmac

from wagtail_sixdegrees.keyed_digest import keyed_digest, keyed_digests

PURPOSE = "wagtail_sixdegrees.test"


def test_the_keyed_digest_is_djangos_salted_hmac_so_stored_fingerprints_stay_valid():
    # Migrations 0022 and 0023 write salted_hmac digests; lookups must compute the same.
    expected = salted_hmac(PURPOSE, "TRF SOMCHAI", algorithm="sha256").hexdigest()

    assert keyed_digest(PURPOSE, "TRF SOMCHAI") == expected
    assert keyed_digest(PURPOSE, "TRF SOMCHAI", secret="other") != expected


def test_digests_under_every_accepted_key_start_with_the_current_one(settings):
    settings.SECRET_KEY_FALLBACKS = ["an-old-fictional-secret-key-0123456789-0123456789"]

    assert keyed_digests(PURPOSE, "value") == [
        keyed_digest(PURPOSE, "value"),
        keyed_digest(PURPOSE, "value", secret=settings.SECRET_KEY_FALLBACKS[0]),
    ]
