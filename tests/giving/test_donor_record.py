"""Only a paid gift joins a donor's record: anyone can type someone else's email address into
the public form, so an unpaid form changes nothing about that person."""

from __future__ import annotations

import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from tests.factories import make_donor
from wagtail_sixdegrees.models import Donor
from wagtail_sixdegrees.transparency.data_rights import export_donor

pytestmark = pytest.mark.django_db

VICTIM = "real.donor@example.org"


def exported_text(donor: Donor) -> str:
    return json.dumps(export_donor(donor), cls=DjangoJSONEncoder, ensure_ascii=False)


def test_a_form_with_someone_elses_email_does_not_change_their_language(give, stripe_api):
    donor = make_donor(VICTIM, name="Real Name", locale="th")

    assert give(email=VICTIM, name="Impostor", locale="vi").status_code == 303

    donor.refresh_from_db()
    assert (donor.name, donor.locale) == ("Real Name", "th")


def test_a_form_with_someone_elses_email_does_not_name_them(give, stripe_api):
    donor = make_donor(VICTIM, name="", locale="th")

    assert give(email=VICTIM, name="Impostor", locale="vi").status_code == 303

    donor.refresh_from_db()
    assert (donor.name, donor.locale) == ("", "th")


def test_a_new_address_gets_no_name_or_language_until_its_gift_is_paid(give, stripe_api):
    assert give(email=VICTIM, name="Impostor", locale="vi").status_code == 303

    donor = Donor.objects.get()
    assert (donor.name, donor.locale) == ("", "")


def test_an_unpaid_gift_and_its_dedication_stay_out_of_the_donors_data_export(
    give, stripe_api, pay
):
    paid = pay(email=VICTIM, name="Real Name", dedication="For my mother")
    assert give(email=VICTIM, name="Impostor", dedication="Impostor's words").status_code == 303
    assert (
        give(email=VICTIM, frequency="monthly", dedication="Impostor's monthly words").status_code
        == 303
    )

    data = export_donor(paid.donor)

    assert [d["reference"] for d in data["donations"]] == [str(paid.reference)]
    assert data["recurring_gifts"] == []
    text = exported_text(paid.donor)
    assert "For my mother" in text
    assert "Impostor" not in text


def test_a_paid_gift_joins_the_donors_record_with_its_name_and_language(pay):
    donation = pay(email=VICTIM, name="Real Name", locale="th", dedication="For my mother")

    donor = Donor.objects.get()
    assert (donor.name, donor.locale) == ("Real Name", "th")
    assert [d["reference"] for d in export_donor(donor)["donations"]] == [str(donation.reference)]


def test_a_later_paid_gift_updates_the_language_but_keeps_the_name(pay):
    pay(email=VICTIM, name="Real Name", locale="th")
    pay(email=VICTIM, name="Another Name", locale="vi")

    donor = Donor.objects.get()
    assert (donor.name, donor.locale) == ("Real Name", "vi")


def test_a_paid_monthly_gift_joins_the_export(pay):
    pay(email=VICTIM, frequency="monthly", dedication="Every month for my mother")

    data = export_donor(Donor.objects.get())

    assert len(data["recurring_gifts"]) == 1
    assert "Every month for my mother" in exported_text(Donor.objects.get())
