"""Offline gifts in the Giving panel: recorded, imported and voided by a manager; seen by a
viewer without the donor's personal data; listed in the audit when voided."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from wagtail_sixdegrees.allocation.audit import run_audit
from wagtail_sixdegrees.giving import offline
from wagtail_sixdegrees.models import Donation, LedgerEntry, OfflineBatch

pytestmark = pytest.mark.django_db


def row(**values: str) -> dict[str, str]:
    base = {
        "received_on": timezone.localdate().isoformat(),
        "channel": "cash",
        "amount": "15",
        "currency": "USD",
        "reference": "RB-7",
        "donor_name": "Malee Private",
        "donor_email": "malee@example.org",
    }
    base.update(values)
    return base


def upload(client, content: bytes, name: str = "gifts.csv"):
    return client.post(
        reverse("sixdegrees_offline:upload"),
        {"file": SimpleUploadedFile(name, content, "text/csv")},
    )


def csv_bytes(*rows: dict[str, str]) -> bytes:
    output = io.StringIO()
    writer = csv.DictWriter(output, fieldnames=offline.COLUMNS)
    writer.writeheader()
    for values in rows:
        writer.writerow(values)
    return output.getvalue().encode()


@pytest.fixture
def recorded(client, login_as, django_capture_on_commit_callbacks):
    """A manager records a cash gift through the form; returns the donation."""
    login_as("manager")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("sixdegrees_offline:add"),
            {
                "channel": "cash",
                "received_on": timezone.localdate().isoformat(),
                "amount": "15",
                "currency": "USD",
                "reference": "RB-7",
                "donor_name": "Malee Private",
                "donor_email": "malee@example.org",
                "target_1": "general",
            },
        )
    donation = Donation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sixdegrees_donations:inspect", args=[donation.pk])
    return donation


def test_a_manager_records_a_gift_and_it_is_allocated(recorded):
    assert (recorded.amount, recorded.channel, recorded.status) == (1500, "cash", "paid")
    assert sum(LedgerEntry.objects.filter(donation=recorded).values_list("amount", flat=True)) == (
        1500
    )


def test_the_form_shows_the_domains_refusal_and_records_nothing(client, login_as):
    login_as("manager")
    response = client.post(
        reverse("sixdegrees_offline:add"),
        {
            "channel": "cash",
            "received_on": timezone.localdate().isoformat(),
            "amount": "15.001",
            "currency": "USD",
            "reference": "RB-8",
        },
    )
    assert response.status_code == 200
    assert "at most 2 decimal places" in response.content.decode()
    assert not Donation.objects.exists()


def test_a_viewer_sees_the_gift_but_no_personal_data(client, login_as, recorded):
    login_as("viewer")
    page = client.get(reverse("sixdegrees_donations:inspect", args=[recorded.pk])).content.decode()
    assert "Cash" in page and "Offline gift" in page
    for private in ("Malee", "malee@example.org", "RB-7"):
        assert private not in page
    listing = client.get(reverse("sixdegrees_donations:index")).content.decode()
    assert "Cash" in listing and "malee" not in listing.lower()
    export = client.get(reverse("sixdegrees_donations:index") + "?export=csv")
    text = b"".join(export.streaming_content).decode() if export.streaming else export.text
    assert "cash" in text and "malee" not in text.lower() and "RB-7" not in text
    assert "Void" not in page


def test_a_viewer_cannot_open_the_imports(client, login_as, recorded):
    login_as("viewer")
    response = client.get(reverse("sixdegrees_offline:index"))
    assert response.status_code == 302


def test_upload_preview_commit(client, login_as, django_capture_on_commit_callbacks):
    login_as("manager")
    content = csv_bytes(row(reference="A"), row(reference="B", amount="abc"), row(reference="A"))
    response = upload(client, content)
    batch = OfflineBatch.objects.get()
    assert response["Location"] == reverse("sixdegrees_offline:preview", args=[batch.pk])
    preview = client.get(response["Location"]).content.decode()
    assert "Accepted" in preview and "Refused" in preview
    assert "The same payment as row 2 of this file." in preview
    assert not Donation.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        committed = client.post(response["Location"], {})
    assert committed.status_code == 302
    assert Donation.objects.filter(channel="cash").count() == 1
    # Committing again (a double click, a reload) records nothing more.
    client.post(response["Location"], {})
    assert Donation.objects.count() == 1


def test_a_file_that_is_not_utf8_is_refused_with_a_clear_error(client, login_as):
    login_as("manager")
    response = upload(client, "received_on;amount\r\nété".encode("latin-1"))
    assert response.status_code == 200
    assert "not UTF-8" in response.content.decode()
    assert not OfflineBatch.objects.exists()


def test_the_template_downloads_as_csv(client, login_as):
    login_as("manager")
    response = client.get(reverse("sixdegrees_offline:template"))
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[0] == ",".join(offline.COLUMNS)


def test_formula_looking_names_reach_the_export_as_text(
    client, login_as, django_capture_on_commit_callbacks
):
    login_as("manager")
    upload(client, csv_bytes(row(donor_name="@SUM(1+1)", donor_email="f@example.org")))
    batch = OfflineBatch.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("sixdegrees_offline:preview", args=[batch.pk]), {})
    export = client.get(reverse("sixdegrees_donations:index") + "?export=csv")
    text = b"".join(export.streaming_content).decode() if export.streaming else export.text
    assert "'@SUM(1+1)" in text


def test_a_manager_voids_a_gift_and_the_audit_lists_it(client, login_as, recorded):
    response = client.post(
        reverse("sixdegrees_donations:void", args=[recorded.pk]), {"reason": "Counted twice."}
    )
    assert response.status_code == 302
    recorded.refresh_from_db()
    assert recorded.status == Donation.Status.VOIDED
    page = client.get(reverse("sixdegrees_donations:inspect", args=[recorded.pk])).content.decode()
    assert "Counted twice." in page and "Voided" in page
    report = run_audit()
    assert report.ok, report.text()
    assert any("Counted twice." in note.message for note in report.notes)
    again = client.post(
        reverse("sixdegrees_donations:void", args=[recorded.pk]), {"reason": "Once more."}
    )
    assert again.status_code == 200
    assert "already been voided" in again.content.decode()
