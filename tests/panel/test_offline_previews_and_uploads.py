"""Offline gift imports: a preview nobody commits expires (it holds donors' names and
addresses), and an upload too large is refused from its declared length, unread."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from wagtail_sixdegrees.giving import offline
from wagtail_sixdegrees.models import Donation, OfflineBatch

from .test_offline_gifts import csv_bytes, row, upload

pytestmark = pytest.mark.django_db


def preview(reference: str = "RB-7") -> OfflineBatch:
    return offline.preview_import("gifts.csv", csv_bytes(row(reference=reference)), actor=None)


def purge() -> str:
    output = io.StringIO()
    call_command("sixdegrees_purge_previews", stdout=output)
    return output.getvalue()


# --- Expiry ---------------------------------------------------------------------------------


def test_a_preview_is_kept_until_its_lifetime_has_passed(clock):
    batch = preview()
    clock.advance(hours=71)
    assert purge() == "0 expired import preview(s) deleted.\n"
    assert OfflineBatch.objects.filter(pk=batch.pk).exists()


def test_a_preview_older_than_its_lifetime_is_deleted_with_its_names(clock):
    batch = preview()
    assert batch.rows[0]["values"]["donor_email"] == "malee@example.org"
    clock.advance(hours=73)
    assert purge() == "1 expired import preview(s) deleted.\n"
    assert not OfflineBatch.objects.filter(pk=batch.pk).exists()
    # Running it again finds nothing more to do.
    assert purge() == "0 expired import preview(s) deleted.\n"


@override_settings(WAGTAIL_SIXDEGREES={"OFFLINE_IMPORT_PREVIEW_HOURS": 2})
def test_the_lifetime_is_a_setting(clock):
    batch = preview()
    clock.advance(hours=3)
    purge()
    assert not OfflineBatch.objects.filter(pk=batch.pk).exists()


def test_committed_imports_and_out_of_date_previews(clock, django_capture_on_commit_callbacks):
    committed = preview("A")
    with django_capture_on_commit_callbacks(execute=True):
        offline.commit_import(committed, actor=None)
    stale = preview("B")
    OfflineBatch.objects.filter(pk=stale.pk).update(status=OfflineBatch.Status.STALE)
    clock.advance(hours=100)
    purge()
    # A committed import stays (its gifts point to it, and it holds no names); an out-of-date
    # preview was never committed, so it holds the names as typed and goes.
    assert list(OfflineBatch.objects.values_list("pk", flat=True)) == [committed.pk]


def test_an_expired_preview_cannot_be_committed(clock, django_capture_on_commit_callbacks):
    batch = preview()
    clock.advance(hours=73)
    with (
        pytest.raises(offline.ExpiredImport) as refused,
        django_capture_on_commit_callbacks(execute=True),
    ):
        offline.commit_import(batch, actor=None)
    assert refused.value.code == "expired"
    assert "older than 72 hours" in refused.value.message
    assert not Donation.objects.exists()
    batch.refresh_from_db()
    assert batch.status == OfflineBatch.Status.PREVIEW


def test_the_panel_refuses_an_expired_preview_with_a_message(client, login_as, clock):
    login_as("manager")
    response = upload(client, csv_bytes(row()))
    url = response["Location"]
    clock.advance(hours=73)
    page = client.get(url).content.decode()
    assert "can no longer be recorded" in page
    assert "Record the accepted gifts" not in page
    refused = client.post(url, {}, follow=True)
    assert "older than 72 hours" in refused.content.decode()
    assert not Donation.objects.exists()


# --- Upload size ----------------------------------------------------------------------------


class UnreadableBody(io.BytesIO):
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def post_declaring(client: Client, length: int):
    return client.post(
        reverse("sixdegrees_offline:upload"),
        content_type="multipart/form-data; boundary=BoUnDaRy",
        data=b"",
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": UnreadableBody()},
    )


def test_a_declared_length_over_the_limit_is_refused_before_reading(client, login_as):
    login_as("manager")
    response = post_declaring(client, offline.max_file_bytes() + 64 * 1024)
    assert response.status_code == 413
    page = response.content.decode()
    assert "This file is larger than 2.0\xa0MB: split it into smaller files." in page
    assert not OfflineBatch.objects.exists()


def test_a_declared_length_within_the_limit_is_read_as_usual(client, login_as):
    login_as("manager")
    response = upload(client, csv_bytes(row()))
    assert response.status_code == 302
    assert OfflineBatch.objects.count() == 1


@override_settings(WAGTAIL_SIXDEGREES={"OFFLINE_IMPORT_MAX_BYTES": 1024})
def test_the_limit_is_a_setting_and_the_form_says_it(client, login_as):
    login_as("manager")
    assert "at most 1.0\xa0KB" in client.get(reverse("sixdegrees_offline:upload")).content.decode()
    big = csv_bytes(*(row(reference=f"R{number}") for number in range(400)))
    assert len(big) > 1024 + offline.UPLOAD_OVERHEAD_BYTES
    response = upload(client, big)
    assert response.status_code == 413
    assert "larger than 1.0\xa0KB" in response.content.decode()
    assert not OfflineBatch.objects.exists()


@override_settings(WAGTAIL_SIXDEGREES={"OFFLINE_IMPORT_MAX_BYTES": 1024})
def test_a_file_over_the_limit_within_the_overhead_is_still_refused(client, login_as):
    login_as("manager")
    content = csv_bytes(*(row(reference=f"R{number}") for number in range(20)))
    assert 1024 < len(content) < 1024 + offline.UPLOAD_OVERHEAD_BYTES
    response = upload(client, content)
    assert response.status_code == 200
    assert "larger than 1.0\xa0KB" in response.content.decode()
    assert not OfflineBatch.objects.exists()


def test_a_viewer_is_refused_before_the_size_is_considered(client, login_as):
    login_as("viewer")
    response = post_declaring(client, offline.max_file_bytes() * 10)
    # As for any screen a viewer may not open: back to the admin's home, told nothing more.
    assert (response.status_code, response["Location"]) == (302, reverse("wagtailadmin_home"))
    assert not OfflineBatch.objects.exists()


def test_the_csrf_check_still_applies_to_uploads(login_as):
    from tests.factories import panel_user

    client = Client(enforce_csrf_checks=True)
    client.force_login(panel_user("manager"))
    response = client.post(
        reverse("sixdegrees_offline:upload"),
        {"file": SimpleUploadedFile("gifts.csv", csv_bytes(row()), "text/csv")},
    )
    assert response.status_code == 403
    assert not OfflineBatch.objects.exists()


def test_the_csrf_check_does_not_read_a_body_too_large_first():
    """With CSRF enforced (as in production), the middleware would parse the whole multipart
    body to find the token: the upload view is refused before it does."""
    from tests.factories import panel_user

    client = Client(enforce_csrf_checks=True)
    client.force_login(panel_user("manager"))
    response = post_declaring(client, offline.max_file_bytes() + 64 * 1024)
    assert response.status_code == 413
    assert "split it into smaller files" in response.content.decode()
    assert not OfflineBatch.objects.exists()
