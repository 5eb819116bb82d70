"""Erasure reaches offline gifts: the payment reference and the void's reason are blanked, the
money and the ledger stay, and the same file still cannot be imported twice."""

from __future__ import annotations

import hashlib
import importlib
import json

import pytest
from django.apps import apps
from django.core import mail
from django.urls import reverse

from tests.giving.test_my_giving import sign_in
from tests.panel.test_offline_gifts import csv_bytes, row
from tests.transparency.test_data_rights import rows_containing
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.allocation.audit import run_audit
from wagtail_sixdegrees.giving import offline
from wagtail_sixdegrees.models import Donation, DonorErasure, LedgerEntry, OfflineBatch, OfflineGift

pytestmark = pytest.mark.django_db

EMAIL = "somchai.fictional@example.org"
NAME = "Somchai Fictional"
REFERENCE = "TRF SOMCHAI FICTIONAL 0412"
VOID_REFERENCE = "CHQ 88 FROM SOMCHAI FICTIONAL"
VOID_REASON = "Typed twice by mistake; Somchai Fictional paid once"


def commit(batch, capture):
    with capture(execute=True):
        return offline.commit_import(batch, actor=None)


@pytest.fixture
def imported(django_capture_on_commit_callbacks):
    """A donor whose bank transfer came in a file (its reference holds their name), plus a
    cheque of theirs voided with a reason naming them, plus a preview of another file of
    theirs nobody committed yet."""
    file = csv_bytes(
        row(reference=REFERENCE, donor_name=NAME, donor_email=EMAIL, channel="bank_transfer"),
        row(reference=VOID_REFERENCE, donor_name=NAME, donor_email=EMAIL, channel="cheque"),
    )
    batch = commit(
        offline.preview_import("march.csv", file, actor=None), django_capture_on_commit_callbacks
    )
    voided = Donation.objects.get(offline__payment_reference=VOID_REFERENCE)
    ledger.void_offline_gift(voided, actor=None, reason=VOID_REASON)
    waiting = offline.preview_import(
        "april.csv",
        csv_bytes(row(reference="TRF APRIL", donor_name=NAME, donor_email=EMAIL.upper())),
        actor=None,
    )
    assert rows_containing(REFERENCE) and rows_containing(VOID_REASON)
    return file, batch, waiting


def money_rows():
    return (
        list(
            Donation.objects.order_by("pk").values_list(
                "amount", "currency", "channel", "status", "paid_at", "net_amount"
            )
        ),
        list(OfflineGift.objects.order_by("pk").values_list("received_on", "voided_at")),
        list(LedgerEntry.objects.order_by("pk").values_list("pk", "amount", "reason")),
    )


def test_the_donors_own_erasure_blanks_references_and_void_reasons(client, imported):
    before = money_rows()
    sign_in(client, EMAIL)
    response = client.post(reverse("wagtail_sixdegrees:my_giving_erase"))
    assert response.status_code == 200

    assert rows_containing(REFERENCE) == []
    assert rows_containing(VOID_REFERENCE) == []
    assert rows_containing(EMAIL) == []
    # The reason stays only on the ledger's reversal lines: the ledger is append-only.
    assert rows_containing(VOID_REASON) == [("wagtail_sixdegrees_ledgerentry", "reason")]
    assert money_rows() == before
    assert set(OfflineGift.objects.values_list("payment_reference", flat=True)) == {""}
    voided = OfflineGift.objects.get(voided_at__isnull=False)
    assert voided.void_reason == offline.ERASED_NOTE
    assert run_audit().ok
    erasure = DonorErasure.objects.get()
    assert (erasure.summary["offline_gifts"], erasure.summary["import_previews"]) == (2, 1)


def test_after_erasure_the_same_file_is_still_refused_as_recorded(
    imported, django_capture_on_commit_callbacks
):
    file, _batch, _waiting = imported
    call_erase()
    again = offline.preview_import("march-again.csv", file, actor=None)
    bank_row, cheque_row = again.rows
    assert bank_row["code"] == "already_recorded"
    # The voided cheque no longer stands: recording its corrected version is allowed.
    assert cheque_row["accepted"]
    committed = commit(again, django_capture_on_commit_callbacks)
    assert committed.created_count == 1
    assert not Donation.objects.filter(offline__batch=committed, channel="bank_transfer").exists()


def test_the_committed_file_keeps_no_reference_of_the_donor(imported):
    _file, batch, _waiting = imported
    call_erase()
    batch.refresh_from_db()
    assert [r["values"]["reference"] for r in batch.rows] == ["", ""]
    assert [r["values"]["amount"] for r in batch.rows] == ["15", "15"]


def test_a_waiting_preview_naming_the_donor_goes_out_of_date(
    imported, django_capture_on_commit_callbacks
):
    _file, _batch, waiting = imported
    call_erase()
    waiting.refresh_from_db()
    assert waiting.status == OfflineBatch.Status.STALE
    assert "asked to be erased" in waiting.stale_reason
    assert waiting.rows[0]["values"]["donor_email"] == ""
    with pytest.raises(offline.StaleImport):
        commit(waiting, django_capture_on_commit_callbacks)
    assert not Donation.objects.filter(offline__batch=waiting).exists()


def test_previews_of_other_donors_are_left_alone(imported):
    other = offline.preview_import("may.csv", csv_bytes(row(reference="OTHER")), actor=None)
    call_erase()
    other.refresh_from_db()
    assert other.status == OfflineBatch.Status.PREVIEW
    assert other.rows[0]["values"]["donor_email"] == "malee@example.org"


def call_erase():
    from wagtail_sixdegrees.transparency.data_rights import erase_donor, find_donor

    mail.outbox.clear()
    erase_donor(find_donor(EMAIL))


# --- The fingerprint ---------------------------------------------------------------------


def plain_digest(gift: OfflineGift) -> str:
    donation = gift.donation
    content = [
        donation.channel,
        gift.received_on.isoformat(),
        donation.currency,
        donation.amount,
        " ".join(gift.payment_reference.split()).casefold(),
    ]
    return hashlib.sha256(json.dumps(content).encode()).hexdigest()


def test_the_fingerprint_is_keyed_so_guessing_the_reference_does_not_find_it(imported):
    gift = OfflineGift.objects.get(payment_reference=REFERENCE)
    assert gift.fingerprint != plain_digest(gift)
    request = offline.read_gift(row(reference=REFERENCE, channel="bank_transfer"))
    assert gift.fingerprint == request.fingerprint()


def test_a_key_rotation_still_finds_gifts_recorded_before_it(imported, settings):
    file, _batch, _waiting = imported
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-fictional-secret-key-for-the-rotation-test-0123456789"
    again = offline.preview_import("march-again.csv", file, actor=None)
    assert again.rows[0]["code"] == "already_recorded"
    request = offline.read_gift(row(reference=REFERENCE, channel="bank_transfer"))
    with pytest.raises(offline.OfflineGiftError) as refused:
        offline.record_gift(request, actor=None)
    assert refused.value.code == "already_recorded"


def test_the_migration_rekeys_plain_fingerprints(imported):
    migration = importlib.import_module(
        "wagtail_sixdegrees.migrations.0022_offline_fingerprint_keys"
    )
    gift = OfflineGift.objects.get(payment_reference=REFERENCE)
    keyed = gift.fingerprint
    OfflineGift.objects.filter(pk=gift.pk).update(fingerprint=plain_digest(gift))
    migration.keyed(apps, None)
    gift.refresh_from_db()
    assert gift.fingerprint == keyed
    migration.plain(apps, None)
    gift.refresh_from_db()
    assert gift.fingerprint == plain_digest(gift)


def test_the_export_says_how_each_offline_gift_was_received(imported):
    from wagtail_sixdegrees.transparency.data_rights import export_donor, find_donor

    data = export_donor(find_donor(EMAIL))
    received = sorted(d["offline"]["payment_reference"] for d in data["donations"])
    assert received == sorted([REFERENCE, VOID_REFERENCE])
    voided = next(d["offline"] for d in data["donations"] if d["offline"]["voided_at"])
    assert voided["void_reason"] == VOID_REASON
    assert "recorded_by_label" not in voided and "voided_by_label" not in voided
