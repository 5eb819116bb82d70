"""Need updates: where they show, and the one localised email per update and donor."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import (
    make_donor,
    make_image,
    make_live_story,
    make_need,
    make_need_update,
    make_paid_donation,
    need_pref,
    translate,
)
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.models import Donation, NeedUpdateNotice, StoryNeed
from wagtail_sixdegrees.transparency import notifications
from wagtail_sixdegrees.transparency.data_rights import erase_donor

pytestmark = pytest.mark.django_db


def gift_to(need, *, wants_updates=True, donor=None, **fields):
    donation = make_paid_donation(
        preferences=[need_pref(need)], wants_updates=wants_updates, donor=donor, **fields
    )
    ledger.allocate([donation.pk])
    return donation


@pytest.fixture
def publish(django_capture_on_commit_callbacks):
    """Publish an update as the admin does, running what waits for the commit."""

    def publish(need, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return make_need_update(need, **fields)

    return publish


# --- Emails ---------------------------------------------------------------------------------


def test_publishing_emails_each_donor_who_asked_and_whose_gift_is_in_the_need(publish):
    need = make_need(title="Fictional shelter beds")
    asked = gift_to(need)
    gift_to(need, wants_updates=False)
    gift_to(make_need(), wants_updates=True)  # gave to another need

    publish(need, title="Twelve beds are ready")

    (message,) = mail.outbox
    assert message.to == [asked.donor.email]
    assert message.subject == "News from “Fictional shelter beds”: Twelve beds are ready"
    assert "Twelve beds are ready" in message.body
    assert NeedUpdateNotice.objects.get().donor == asked.donor


def test_a_donor_with_several_gifts_to_the_need_gets_one_email(publish):
    need = make_need()
    donor = make_donor()
    gift_to(need, donor=donor)
    gift_to(need, donor=donor)

    publish(need)

    assert len(mail.outbox) == 1


def test_republishing_or_retrying_never_sends_a_second_email(
    publish, django_capture_on_commit_callbacks
):
    need = make_need()
    gift_to(need)
    update = publish(need)
    update.title = "Corrected title"
    with django_capture_on_commit_callbacks(execute=True):
        update.save_revision().publish()
    notifications.notify(update.pk)

    assert len(mail.outbox) == 1


def test_a_donor_who_gives_later_hears_about_the_update_once_on_republication(
    publish, django_capture_on_commit_callbacks
):
    need = make_need()
    gift_to(need)
    update = publish(need)
    later = gift_to(need)
    with django_capture_on_commit_callbacks(execute=True):
        update.save_revision().publish()

    assert [message.to for message in mail.outbox][1:] == [[later.donor.email]]


def test_drafts_and_scheduled_updates_send_nothing_until_live(publish):
    need = make_need()
    gift_to(need)
    publish(need, publish=False)
    assert mail.outbox == []


def test_erased_donors_and_gifts_no_longer_in_the_need_are_not_emailed(publish):
    need = make_need()
    erased = gift_to(need)
    erase_donor(erased.donor)
    refunded = gift_to(need)
    Donation.objects.filter(pk=refunded.pk).update(
        amount_refunded=refunded.amount, status="refunded"
    )
    refunded.refresh_from_db()
    ledger.sync_reversals(refunded)

    publish(need)

    assert mail.outbox == []


def test_email_is_in_the_donors_language_with_its_translation_and_fresh_links(
    publish, client, django_capture_on_commit_callbacks
):
    need = make_need(title="Fictional shelter beds")
    translate(need, "th", title="เตียงในที่พักพิง (fictional)")
    donation = gift_to(need, locale="th")
    update = make_need_update(need, title="Beds are ready", publish=False)
    translate(update, "th", title="เตียงพร้อมแล้ว (fictional)", text="ข้อความ (fictional)")
    with django_capture_on_commit_callbacks(execute=True):
        update.save_revision().publish()

    (message,) = mail.outbox
    assert "เตียงพร้อมแล้ว (fictional)" in message.subject
    assert "เตียงในที่พักพิง (fictional)" in message.subject
    assert "Beds are ready" not in message.body
    impact = re.search(r"http://testserver(/giving/gift/\S+/)", message.body)
    assert impact, message.body
    assert client.get(impact.group(1)).status_code == 200
    assert donation.reference.hex not in message.body  # the link is signed, not a bare id


def test_stop_link_asks_on_get_stops_on_post_and_is_announced_for_one_click(publish, client):
    need = make_need()
    donation = gift_to(need)
    publish(need)
    (message,) = mail.outbox
    stop_url = re.search(
        r"<http://testserver(/\S+/stop/)>", message.extra_headers["List-Unsubscribe"]
    ).group(1)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    assert client.get(stop_url).status_code == 200
    assert Donation.objects.get(pk=donation.pk).wants_updates is True

    response = client.post(stop_url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 303
    assert Donation.objects.get(pk=donation.pk).wants_updates is False
    assert 'data-sd-status="stopped"' in client.get(response["Location"]).content.decode()

    mail.outbox.clear()
    publish(need)
    assert mail.outbox == []


def test_stop_link_with_a_forged_token_changes_nothing(client):
    need = make_need()
    donation = gift_to(need)
    response = client.post(
        reverse("wagtail_sixdegrees:stop_updates", args=[f"{donation.donor_id}:forged"])
    )
    assert response.status_code == 404
    assert Donation.objects.get(pk=donation.pk).wants_updates is True


def test_a_failed_send_is_retried_and_then_sent_once(publish, monkeypatch):
    need = make_need()
    gift_to(need)
    calls = []

    def fail_once(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("mail server down")
        return original(self, *args, **kwargs)

    from django.core.mail import EmailMultiAlternatives

    original = EmailMultiAlternatives.send
    monkeypatch.setattr(EmailMultiAlternatives, "send", fail_once)
    update = publish(need)  # the task fails: nothing recorded, nothing sent
    assert NeedUpdateNotice.objects.count() == 0

    assert notifications.notify(update.pk) == 1
    assert notifications.notify(update.pk) == 0
    assert len(mail.outbox) == 1


# --- Where updates show ---------------------------------------------------------------------


def test_need_page_shows_published_updates_newest_first_with_their_image(client, publish):
    need = make_need(title="Fictional shelter beds")
    publish(need, title="First fictional news")
    publish(need, title="Second fictional news", image=make_image(), image_alt_text="Empty beds")
    publish(need, title="Unpublished news", publish=False)

    html = client.get(reverse("wagtail_sixdegrees:need", args=[need.pk])).content.decode()
    assert html.index("Second fictional news") < html.index("First fictional news")
    assert 'alt="Empty beds"' in html
    assert "Unpublished news" not in html


def test_need_page_offers_a_gift_form_fixed_to_the_need_while_open(client):
    need = make_need(title="Fictional shelter beds")
    html = client.get(reverse("wagtail_sixdegrees:need", args=[need.pk])).content.decode()
    assert f'name="target" value="need:{need.pk}"' in html
    assert "csrfmiddlewaretoken" in html


def test_draft_needs_have_no_public_page(client):
    need = make_need(live=False)
    assert client.get(reverse("wagtail_sixdegrees:need", args=[need.pk])).status_code == 404


def test_story_pages_show_updates_on_the_needs_they_support(client, publish):
    need = make_need(title="Fictional shelter beds")
    story = make_live_story()
    StoryNeed.objects.create(page=story, need=need)
    publish(need, title="Fictional beds are ready")
    publish(make_need(), title="Unrelated fictional news")

    html = client.get(story.url).content.decode()
    assert "Fictional beds are ready" in html
    assert "Unrelated fictional news" not in html


def test_story_pages_show_each_update_once_in_the_readers_language(client, publish):
    need = make_need()
    story = make_live_story()
    StoryNeed.objects.create(page=story, need=need)
    update = publish(need, title="Fictional beds are ready")
    translate(update, "th", title="เตียงพร้อมแล้ว (fictional)")

    english = client.get(story.url).content.decode()
    thai = client.get(story.url, HTTP_ACCEPT_LANGUAGE="th").content.decode()
    assert "Fictional beds are ready" in english and "เตียงพร้อมแล้ว" not in english
    assert "เตียงพร้อมแล้ว (fictional)" in thai and "Fictional beds are ready" not in thai


def test_update_images_go_through_the_privacy_pipeline():
    from tests.factories import make_image as upload
    from wagtail_sixdegrees.stories.images import has_metadata, has_random_name

    image = upload()
    need = make_need()
    make_need_update(need, image=image, image_alt_text="Fictional beds")
    with image.open_file() as handle:
        assert not has_metadata(handle.read())
    assert has_random_name(image.file.name)
