"""Transparency's admin screens under the Giving menu."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import make_need, make_paid_donation, need_pref
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.models import NeedUpdate

pytestmark = pytest.mark.django_db


def test_an_editor_publishes_an_update_from_the_admin_and_its_donors_hear_once(
    admin_client, django_capture_on_commit_callbacks
):
    need = make_need(title="Fictional shelter beds")
    make_paid_donation(preferences=[need_pref(need)], wants_updates=True)
    ledger.allocate()
    add_url = reverse(NeedUpdate.snippet_viewset.get_url_name("add")) + "?locale=en"
    assert admin_client.get(add_url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            add_url,
            {
                "need": need.pk,
                "title": "Twelve fictional beds are ready",
                "text": "The shelter opened this week.",
                "image_alt_text": "",
                "action-publish": "publish",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    update = NeedUpdate.objects.get()
    assert update.live and update.first_published_at is not None
    assert [message.subject for message in mail.outbox] == [
        "News from “Fictional shelter beds”: Twelve fictional beds are ready"
    ]

    edit_url = reverse(NeedUpdate.snippet_viewset.get_url_name("edit"), args=[update.pk])
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            edit_url,
            {
                "need": need.pk,
                "title": "Twelve fictional beds are ready (corrected)",
                "text": "The shelter opened this week.",
                "image_alt_text": "",
                "action-publish": "publish",
            },
        )
    assert len(mail.outbox) == 1


def test_saving_a_draft_emails_nobody(admin_client, django_capture_on_commit_callbacks):
    need = make_need()
    make_paid_donation(preferences=[need_pref(need)], wants_updates=True)
    ledger.allocate()
    add_url = reverse(NeedUpdate.snippet_viewset.get_url_name("add")) + "?locale=en"
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(add_url, {"need": need.pk, "title": "Draft", "text": "Not yet."})
    assert NeedUpdate.objects.get().live is False
    assert mail.outbox == []


def test_giving_menu_offers_need_updates_and_donor_data(admin_client):
    html = admin_client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse(NeedUpdate.snippet_viewset.get_url_name("list")) in html
    assert reverse("wagtail_sixdegrees_donor_data:index") in html


def test_data_rights_permissions_can_be_granted_to_groups(admin_client):
    html = admin_client.get(reverse("wagtailusers_groups:add")).content.decode()
    assert "Can export everything held about a donor" in html
    assert "Can erase a donor&#x27;s personal data" in html
