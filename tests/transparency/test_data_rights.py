"""Donors' data rights: export everything, erase the person, keep the books."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from tests.factories import make_need, make_need_update
from wagtail_sixdegrees.allocation.audit import run_audit
from wagtail_sixdegrees.models import (
    Donation,
    Donor,
    DonorErasure,
    LedgerEntry,
    RecurringGift,
    StripeEvent,
)
from wagtail_sixdegrees.transparency import data_rights

pytestmark = pytest.mark.django_db

EMAIL = "Erase.Me@Example.org"
NAME = "Fictional Erasable Person"
DEDICATION = "Fictional grandmother Somchai"
TEXT_TYPES = ("CharField", "TextField", "JSONField", "EmailField", "SlugField", "URLField")


def tables_and_text_columns():
    """Every text-like column of every table in the database, found by introspection."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                try:
                    kind = connection.introspection.get_field_type(column.type_code, column)
                except KeyError:
                    continue
                if kind in TEXT_TYPES:
                    yield table, column.name


def rows_containing(text: str) -> list[tuple[str, str]]:
    """(table, column) pairs where some row contains ``text``, case-insensitively."""
    found = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, column in tables_and_text_columns():
            cursor.execute(
                f"SELECT COUNT(*) FROM {quote(table)} "  # noqa: S608 (names from introspection)
                f"WHERE LOWER(CAST({quote(column)} AS TEXT)) LIKE %s",
                [f"%{text.lower()}%"],
            )
            if cursor.fetchone()[0]:
                found.append((table, column))
    return found


@pytest.fixture
def donor_with_everything(give, stripe_api, deliver, django_capture_on_commit_callbacks):
    """A donor who gave once and monthly with a dedication, through checkout and webhooks, got
    a receipt and an update email, and whose gift was allocated."""
    need = make_need(title="Fictional shelter beds", target_amount=1_000_000)
    give(
        amount="40",
        email=EMAIL,
        name=NAME,
        dedication=DEDICATION,
        target=f"need:{need.pk}",
        wants_updates="1",
    )
    deliver(*stripe_api.pay(Donation.objects.get().stripe_checkout_session_id))
    give(amount="15", email=EMAIL.lower(), name=NAME, frequency="monthly", dedication=DEDICATION)
    monthly = Donation.objects.get(frequency="monthly")
    deliver(*stripe_api.pay(monthly.stripe_checkout_session_id))
    with django_capture_on_commit_callbacks(execute=True):
        make_need_update(need, title="Fictional beds are ready")
    donor = Donor.objects.get()
    assert donor.update_notices.count() == 1
    assert rows_containing(EMAIL), "the fixture should have stored the address somewhere"
    return donor


# --- Export -----------------------------------------------------------------------------------


def test_export_holds_everything_about_the_donor(donor_with_everything):
    data = data_rights.export_donor(donor_with_everything)
    assert set(data) == {
        "format",
        "version",
        "exported_at",
        "donor",
        "donations",
        "recurring_gifts",
        "update_emails",
        "stripe_events",
        "need_choices",
        "erasures",
    }
    assert data["donor"]["email"] == EMAIL
    assert data["donor"]["name"] == NAME
    assert len(data["donations"]) == Donation.objects.count() == 2
    once = next(d for d in data["donations"] if d["frequency"] == "once")
    assert once["dedication"] == DEDICATION
    assert {"preferences", "ledger"} <= set(once)
    assert [line["amount"] for line in once["ledger"]] == list(
        LedgerEntry.objects.filter(donation_id=once["id"]).values_list("amount", flat=True)
    )
    assert all("actor_label" not in line for line in once["ledger"])  # staff names stay out
    assert len(data["recurring_gifts"]) == 1
    assert data["update_emails"][0]["title"] == "Fictional beds are ready"
    assert {e["stripe_id"] for e in data["stripe_events"]} == set(
        StripeEvent.objects.values_list("stripe_id", flat=True)
    )


def test_export_command_writes_json_to_stdout_or_a_file(donor_with_everything, tmp_path):
    out = io.StringIO()
    call_command("sixdegrees_donor_export", EMAIL.upper(), stdout=out)
    assert json.loads(out.getvalue())["donor"]["id"] == donor_with_everything.pk

    target = tmp_path / "donor.json"
    call_command("sixdegrees_donor_export", EMAIL, "--output", str(target), stderr=io.StringIO())
    assert json.loads(target.read_text())["donor"]["email"] == EMAIL


def test_export_command_fails_clearly_for_an_unknown_address():
    with pytest.raises(CommandError, match="No donor"):
        call_command("sixdegrees_donor_export", "nobody@example.org")


# --- Erasure ----------------------------------------------------------------------------------


def test_erasure_leaves_the_address_in_no_text_column_of_any_table(donor_with_everything):
    call_command("sixdegrees_donor_erase", EMAIL, "--no-input", "--by", "dpo", stdout=io.StringIO())

    assert rows_containing(EMAIL) == []
    assert rows_containing(NAME) == []
    assert rows_containing(DEDICATION) == []


def test_erasure_keeps_amounts_stripe_ids_and_ledger_and_the_audit_passes(donor_with_everything):
    before_donations = list(
        Donation.objects.order_by("pk").values_list(
            "amount", "net_amount", "stripe_charge_id", "stripe_checkout_session_id", "status"
        )
    )
    before_ledger = list(LedgerEntry.objects.order_by("pk").values_list("amount", "need_id"))
    subscription = RecurringGift.objects.get().stripe_subscription_id

    data_rights.erase_donor(donor_with_everything)

    assert (
        list(
            Donation.objects.order_by("pk").values_list(
                "amount", "net_amount", "stripe_charge_id", "stripe_checkout_session_id", "status"
            )
        )
        == before_donations
    )
    assert (
        list(LedgerEntry.objects.order_by("pk").values_list("amount", "need_id")) == before_ledger
    )
    assert RecurringGift.objects.get().stripe_subscription_id == subscription
    assert all(d.anonymous and not d.dedication for d in Donation.objects.all())
    assert run_audit().ok


def test_erasure_is_recorded_with_who_and_when_but_not_the_address(donor_with_everything):
    call_command("sixdegrees_donor_erase", EMAIL, "--no-input", "--by", "dpo", stdout=io.StringIO())
    erasure = DonorErasure.objects.get()
    assert (erasure.donor_id, erasure.via, erasure.erased_by_label) == (
        donor_with_everything.pk,
        "command",
        "dpo",
    )
    assert erasure.summary["donations"] == 2 and erasure.summary["stripe_events"] >= 2
    assert EMAIL.lower() not in json.dumps(erasure.summary).lower()


def test_an_erased_donor_can_no_longer_be_found_and_may_give_again_as_someone_new(
    donor_with_everything, give, stripe_api
):
    data_rights.erase_donor(donor_with_everything)
    with pytest.raises(CommandError):
        call_command("sixdegrees_donor_erase", EMAIL, "--no-input")
    give(email=EMAIL)
    assert Donor.objects.count() == 2


def test_erase_command_asks_first(donor_with_everything, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Nothing was erased"):
        call_command("sixdegrees_donor_erase", EMAIL, stdout=io.StringIO())
    assert Donor.objects.get().email == EMAIL


# --- Erasure stops the monthly gift -----------------------------------------------------------


def test_erasing_a_donor_cancels_their_running_monthly_gift_at_stripe_first(
    donor_with_everything, stripe_api
):
    gift = RecurringGift.objects.get()
    subscription = gift.stripe_subscription_id

    erasure = data_rights.erase_donor(donor_with_everything)

    gift.refresh_from_db()
    assert stripe_api.objects[subscription]["status"] == "canceled"
    assert (gift.status, gift.cancelled_at is not None) == ("cancelled", True)
    assert erasure.summary["cancelled_gifts"] == 1
    cancel = next(r for r in stripe_api.requests if r["method"] == "DELETE")
    assert cancel["path"] == f"/v1/subscriptions/{subscription}"


@pytest.mark.parametrize("via", ["function", "command", "admin"])
def test_erasure_is_refused_and_changes_nothing_when_stripe_cannot_cancel_the_gift(
    donor_with_everything, stripe_api, client, django_user_model, via
):
    from tests.stripe_fake import StripeFailure

    stripe_api.failures.append(StripeFailure(400, "Stripe is having a bad day."))
    subscription = RecurringGift.objects.get().stripe_subscription_id

    if via == "function":
        with pytest.raises(data_rights.ErasureRefused, match=subscription):
            data_rights.erase_donor(donor_with_everything)
    elif via == "command":
        with pytest.raises(CommandError, match="Nothing was erased"):
            call_command("sixdegrees_donor_erase", EMAIL, "--no-input", stdout=io.StringIO())
    else:
        client.force_login(staff(django_user_model, "erase_donor"))
        answer = client.post(
            reverse(URL),
            {"email": EMAIL, "confirm_email": EMAIL, "action": "erase"},
            follow=True,
        )
        assert "Nothing was erased" in answer.content.decode()

    donor = Donor.objects.get()
    assert (donor.email, donor.erased_at) == (EMAIL, None)
    assert RecurringGift.objects.get().status == "active"
    assert stripe_api.objects[subscription]["status"] == "active"
    assert not DonorErasure.objects.exists()


def test_erasure_from_the_admin_cancels_at_stripe_outside_any_transaction(
    client, django_user_model, donor_with_everything, stripe_api, atomic_requests
):
    client.force_login(staff(django_user_model, "erase_donor"))

    client.post(reverse(URL), {"email": EMAIL, "confirm_email": EMAIL, "action": "erase"})

    assert Donor.objects.get().erased_at is not None
    assert RecurringGift.objects.get().status == "cancelled"
    assert stripe_api.calls_in_transaction == []


def test_events_about_an_erased_donors_gift_are_stored_without_personal_data(
    donor_with_everything, stripe_api, deliver
):
    subscription = RecurringGift.objects.get().stripe_subscription_id
    data_rights.erase_donor(donor_with_everything)
    # An invoice Stripe had already finalised before the cancellation, as Stripe shapes it.
    (renewal,) = stripe_api.renew(subscription)
    invoice = renewal["data"]["object"]
    invoice.update(
        customer_email=EMAIL,
        customer_name=NAME,
        customer_address={"line1": "1 Fictional Road", "country": "TH"},
        customer_phone="+66 2 000 0000",
    )
    stripe_api.objects[invoice["id"]].update(invoice)

    deliver(renewal, *stripe_api.events[-2:-1])  # and the subscription's deletion

    stored = StripeEvent.objects.get(stripe_id=renewal["id"])
    assert stored.outcome == "applied"
    assert stored.payload["data"]["object"]["customer_email"] is None
    assert rows_containing(EMAIL) == []
    assert rows_containing(NAME) == []
    assert rows_containing("Fictional Road") == []
    assert Donor.objects.get().erased_at is not None  # no new donor for the address
    renewed = Donation.objects.get(stripe_invoice_id=invoice["id"])
    assert (renewed.donor_id, renewed.dedication, renewed.anonymous) == (
        donor_with_everything.pk,
        "",
        True,
    )


# --- Admin actions ----------------------------------------------------------------------------


def staff(django_user_model, *codenames):
    user = django_user_model.objects.create_user("officer", "officer@example.org", "pw")
    group = Group.objects.create(name="Fictional data officers")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    for codename in codenames:
        group.permissions.add(Permission.objects.get(codename=codename))
    user.groups.add(group)
    return user


URL = "wagtail_sixdegrees_donor_data:index"


def test_donor_data_screen_needs_a_data_rights_permission(client, django_user_model):
    client.force_login(staff(django_user_model))
    # Wagtail answers a refused permission with a redirect to the dashboard.
    assert client.get(reverse(URL))["Location"] == reverse("wagtailadmin_home")
    response = client.post(reverse(URL), {"email": EMAIL, "action": "export"})
    assert response["Location"] == reverse("wagtailadmin_home")


def test_export_permission_downloads_but_cannot_erase(
    client, django_user_model, donor_with_everything
):
    client.force_login(staff(django_user_model, "export_donor_data"))
    response = client.post(reverse(URL), {"email": EMAIL, "action": "export"})
    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="donor-{donor_with_everything.pk}.json"'
    )
    assert json.loads(response.content)["donor"]["email"] == EMAIL

    response = client.post(
        reverse(URL), {"email": EMAIL, "confirm_email": EMAIL, "action": "erase"}
    )
    assert response.status_code == 302  # Wagtail answers a refused permission with a redirect
    assert response["Location"] == reverse("wagtailadmin_home")
    assert Donor.objects.get().email == EMAIL


def test_erasure_from_the_admin_needs_the_address_twice_and_leaves_no_trace(
    client, django_user_model, donor_with_everything
):
    client.force_login(staff(django_user_model, "erase_donor"))
    confirm = client.post(reverse(URL), {"email": EMAIL, "action": "confirm_erase"})
    assert "Erase donor" in confirm.content.decode()

    mismatch = client.post(
        reverse(URL), {"email": EMAIL, "confirm_email": "other@example.org", "action": "erase"}
    )
    assert mismatch.status_code == 200
    assert Donor.objects.get().erased_at is None

    done = client.post(
        reverse(URL),
        {"email": EMAIL, "confirm_email": EMAIL.lower(), "action": "erase"},
        follow=True,
    )
    assert f"Donor {donor_with_everything.pk} was erased" in done.content.decode()
    erasure = DonorErasure.objects.get()
    assert (erasure.via, erasure.erased_by_label) == ("admin", "officer")
    # Not in any table: sessions and messages included.
    assert rows_containing(EMAIL) == []


def test_unknown_addresses_are_answered_without_echoing_them(client, django_user_model):
    client.force_login(staff(django_user_model, "export_donor_data"))
    response = client.post(reverse(URL), {"email": "nobody@example.org", "action": "find"})
    assert "No donor has this address" in response.content.decode()


def test_no_update_email_reaches_an_erased_donor(
    donor_with_everything, django_capture_on_commit_callbacks
):
    from django.core import mail

    data_rights.erase_donor(donor_with_everything)
    mail.outbox.clear()
    need = Donation.objects.get(frequency="once").preferences.get().need
    with django_capture_on_commit_callbacks(execute=True):
        make_need_update(need, title="More fictional news")
    assert mail.outbox == []


def test_scrub_removes_personal_keys_and_any_text_containing_a_needle():
    payload = {
        "data": {
            "object": {
                "id": "cs_test_1",
                "customer_details": {"email": "a@b.org", "name": "Somebody"},
                "metadata": {"donation": "uuid", "note": "for a@b.org"},
                "amount_total": 4000,
                "items": [{"description": "Gift from Somebody"}],
            }
        }
    }
    scrubbed = data_rights.scrub(payload, ["a@b.org", "somebody"])
    obj = scrubbed["data"]["object"]
    assert obj["customer_details"] is None
    assert obj["metadata"] == {"donation": "uuid", "note": data_rights.ERASED}
    assert obj["items"][0]["description"] == data_rights.ERASED
    assert (obj["id"], obj["amount_total"]) == ("cs_test_1", 4000)
