"""A donor's choice page, email and *My giving* prompt speak the donor's language: each need's
live translation in it (else its source), with the page itself in that language."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from tests.allocation.test_need_choices import World, link, sign_in
from tests.factories import translate
from wagtail_sixdegrees.allocation import need_choices
from wagtail_sixdegrees.models import Donor, Need

pytestmark = pytest.mark.django_db

CLOSING_TH = "ที่พักพิงฉุกเฉิน (ทดสอบ)"
ALTERNATIVE_TH = "ค่าเล่าเรียน (ทดสอบ)"
CAUSE_TH = "การศึกษา (ทดสอบ)"
REGION_TH = "ภาคเหนือ (ทดสอบ)"


@pytest.fixture
def thai(clock):
    """The World of the need-choice tests, with Ada reading Thai and the closed need, the open
    alternative, the cause and the region translated into Thai."""
    world = World(clock)
    Donor.objects.filter(pk=world.ada.pk).update(locale="th")
    translate(world.closing, "th", title=CLOSING_TH)
    world.alternative_th = translate(world.alternative, "th", title=ALTERNATIVE_TH)
    translate(world.cause, "th", name=CAUSE_TH)
    translate(world.region, "th", name=REGION_TH)
    world.close()
    need_choices.run()
    return world


def email_to(address: str):
    return next(message for message in mail.outbox if message.to == [address])


def test_the_choice_page_shows_thai_titles_in_a_thai_page(client, thai):
    response = client.get(link(email_to("ada@example.org")))

    assert response.status_code == 200
    assert response["Content-Language"] == "th"
    html = response.content.decode()
    assert '<html lang="th">' in html
    for text in (CLOSING_TH, ALTERNATIVE_TH, CAUSE_TH, REGION_TH):
        assert text in html
    assert thai.closing.title not in html and thai.alternative.title not in html
    with translation.override("th"):
        assert translation.gettext("Where should your gift go?") in html
    # The choice is made with the source need, where the money sits.
    assert f'value="need:{thai.alternative.pk}"' in html


def test_a_donor_reading_english_sees_the_source_titles(client, thai):
    html = client.get(link(email_to("ben@example.org"))).content.decode()
    assert thai.closing.title in html and thai.alternative.title in html
    assert CLOSING_TH not in html and ALTERNATIVE_TH not in html


def test_a_translation_that_is_not_live_falls_back_to_the_source(client, thai):
    Need.objects.filter(pk=thai.alternative_th.pk).update(live=False)
    html = client.get(link(email_to("ada@example.org"))).content.decode()
    assert thai.alternative.title in html
    assert ALTERNATIVE_TH not in html
    assert CLOSING_TH in html


def test_the_page_follows_the_donor_not_the_browser(client, thai):
    response = client.get(link(email_to("ada@example.org")), HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "th"
    assert CLOSING_TH in response.content.decode()


def test_without_a_recorded_language_the_page_follows_the_latest_gift(client, thai):
    Donor.objects.filter(pk=thai.ada.pk).update(locale="")
    type(thai.ada_gift).objects.filter(pk=thai.ada_gift.pk).update(locale="th")
    response = client.get(link(email_to("ada@example.org")), HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "th"
    Donor.objects.filter(pk=thai.ada.pk).update(locale="")
    type(thai.ada_gift).objects.filter(pk=thai.ada_gift.pk).update(locale="")
    response = client.get(link(email_to("ada@example.org")), HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "en"


def test_choosing_in_thai_moves_to_the_source_need_and_thanks_in_thai(client, thai):
    response = client.post(
        link(email_to("ada@example.org")), {"choice": f"need:{thai.alternative.pk}"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-sd-choice="need"' in html
    assert ALTERNATIVE_TH in html
    assert thai.choice(thai.ada).chosen_need == thai.alternative


def test_a_refusal_is_in_the_donors_language(client, thai):
    response = client.post(link(email_to("ada@example.org")), {"choice": "nonsense"})
    assert response.status_code == 400
    with translation.override("th"):
        assert translation.gettext("Choose one of the options.") in response.content.decode()


def test_the_email_names_the_need_in_thai(thai):
    message = email_to("ada@example.org")
    assert CLOSING_TH in message.subject and CLOSING_TH in message.body
    assert thai.closing.title not in message.body
    assert thai.closing.title in email_to("ben@example.org").body


def test_my_giving_names_the_need_in_the_readers_language(client, thai):
    sign_in(client, "ada@example.org")
    html = client.get(reverse("wagtail_sixdegrees:my_giving"), HTTP_ACCEPT_LANGUAGE="th")
    assert CLOSING_TH in html.content.decode()
