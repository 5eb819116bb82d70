"""My giving: signing in by emailed link, every gift, and monthly gifts changed through Stripe
and confirmed by its webhook. Stripe is the package's stand-in at its HTTP boundary."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import make_donor, make_need
from tests.helpers import donate_data
from tests.stripe_fake import StripeFailure
from wagtail_sixdegrees import money
from wagtail_sixdegrees.giving.monthly import card_token
from wagtail_sixdegrees.models import (
    Donation,
    DonorSignInLink,
    GiftChange,
    RecurringGift,
)

pytestmark = pytest.mark.django_db

EMAIL = "donor@example.org"
MY = reverse("wagtail_sixdegrees:my_giving")


def link_in(message) -> str:
    return re.search(r"https?://\S+/giving/my/link/\S+/", message.body)[0]


def ask_for_link(client, email=EMAIL, **meta):
    return client.post(MY, {"email": email}, **meta)


def sign_in(client, email=EMAIL) -> None:
    mail.outbox.clear()
    ask_for_link(client, email)
    (message,) = mail.outbox
    response = client.post(link_in(message))
    assert response.status_code == 303
    mail.outbox.clear()


@pytest.fixture
def monthly_gift(give, stripe_api, deliver) -> RecurringGift:
    give(frequency="monthly", amount="25")
    deliver(*stripe_api.pay(Donation.objects.get().stripe_checkout_session_id))
    mail.outbox.clear()
    return RecurringGift.objects.get()


@pytest.fixture
def signed_in(client, monthly_gift) -> RecurringGift:
    sign_in(client)
    return monthly_gift


def writes_to_stripe(stripe_api) -> list[dict]:
    return [r for r in stripe_api.requests if r["method"] in ("POST", "DELETE")]


def action(name: str, gift: RecurringGift) -> str:
    return reverse(f"wagtail_sixdegrees:my_giving_{name}", args=[gift.reference])


def new_events(stripe_api, before: int) -> list[dict]:
    return stripe_api.events[before:]


# --- signing in ---------------------------------------------------------------------------


def test_asking_for_a_link_answers_the_same_page_for_known_and_unknown_addresses(
    client, monthly_gift
):
    known = ask_for_link(client, EMAIL)
    unknown = ask_for_link(client, "nobody@example.org")

    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    assert [message.to for message in mail.outbox] == [[EMAIL]]


@pytest.fixture
def queued_tasks(settings):
    """Tasks wait in django_tasks' DummyBackend instead of running at once (the tests'
    ImmediateBackend runs them inside the request): the tasks enqueued so far."""
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    return default_task_backend.results


def run(tasks) -> None:
    for queued in tasks:
        queued.task.call(*queued.args, **queued.kwargs)


def test_the_sign_in_request_leaves_the_email_to_the_task_queue_for_every_address(
    client, monthly_gift, queued_tasks
):
    known = ask_for_link(client, EMAIL)
    unknown = ask_for_link(client, "nobody@example.org")

    assert known.content == unknown.content
    assert mail.outbox == []
    assert not DonorSignInLink.objects.exists()  # no lookup, no row: the same work for both
    assert [task.args[0] for task in queued_tasks] == [EMAIL, "nobody@example.org"]

    run(queued_tasks)

    (message,) = mail.outbox
    assert message.to == [EMAIL]
    assert client.post(link_in(message)).status_code == 303


def test_an_address_that_only_filled_in_the_form_gets_no_link(client, give):
    give(email="typed.by.someone@example.org")  # never paid

    ask_for_link(client, "typed.by.someone@example.org")

    assert mail.outbox == []


def test_link_requests_are_limited_per_address_whoever_asks(client, monthly_gift, settings):
    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "DONOR_LINK_RATE_LIMIT_ATTEMPTS": 2,
    }
    statuses = [
        ask_for_link(client, EMAIL, REMOTE_ADDR=f"192.0.2.{n}").status_code for n in range(4)
    ]

    assert statuses == [200, 200, 429, 429]
    assert len(mail.outbox) == 2


def test_link_requests_are_limited_per_client_whatever_the_address(client, settings):
    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "DONOR_LINK_RATE_LIMIT_ATTEMPTS": 2,
    }
    statuses = [ask_for_link(client, f"guess{n}@example.org").status_code for n in range(3)]

    assert statuses == [200, 200, 429]


def test_opening_the_link_signs_nobody_in_until_the_button_is_pressed(client, monthly_gift):
    ask_for_link(client)
    url = link_in(mail.outbox[0])

    for _scan in range(3):  # a mail scanner, a preview, the person
        assert client.get(url).status_code == 200
    assert client.get(MY).templates[0].name.endswith("sign_in.html")

    assert client.post(url).status_code == 303
    assert client.get(MY).templates[0].name.endswith("home.html")


def test_used_expired_and_unknown_links_answer_the_same_404_page(client, monthly_gift, clock):
    ask_for_link(client)
    ask_for_link(client)
    used, expired = (link_in(message) for message in mail.outbox)
    client.post(used)
    client.post(reverse("wagtail_sixdegrees:my_giving_sign_out"))
    clock.advance(minutes=31)
    unknown = reverse("wagtail_sixdegrees:my_giving_link", args=["x" * 43])

    answers = [client.get(url) for url in (used, expired, unknown)]
    answers += [client.post(url) for url in (used, expired, unknown)]

    assert {answer.status_code for answer in answers} == {404}
    assert len({answer.content for answer in answers}) == 1
    assert client.get(MY).templates[0].name.endswith("sign_in.html")


def test_only_a_digest_of_the_link_is_stored(client, monthly_gift):
    ask_for_link(client)
    token = link_in(mail.outbox[0]).rstrip("/").rsplit("/", 1)[1]

    assert not DonorSignInLink.objects.filter(digest__contains=token).exists()
    assert DonorSignInLink.objects.get().digest != token


def test_the_session_ends_after_its_minutes(client, signed_in, clock):
    clock.advance(minutes=31)

    response = client.post(action("pause", signed_in), {"months": "1"})

    assert response.status_code == 303
    assert response["Location"] == MY
    assert not signed_in.changes.exists()


# --- every gift ---------------------------------------------------------------------------


def test_my_giving_lists_every_paid_gift_with_status_purpose_and_impact_link(
    client, give, stripe_api, deliver
):
    need = make_need(title="Fictional shelter beds")
    give(target=f"need:{need.pk}", anonymous="on", dedication="Fictional Grandmother")
    deliver(*stripe_api.pay(Donation.objects.latest("pk").stripe_checkout_session_id))
    make_donor("someone.else@example.org")
    sign_in(client)

    page = client.get(MY).content.decode()

    assert "Fictional shelter beds" in page
    assert "Anonymous gift" in page
    assert "Fictional Grandmother" in page
    assert "Paid" in page
    assert "/giving/gift/" in page


def test_another_donors_gift_is_unknown_here(client, signed_in, give, stripe_api, deliver):
    give(frequency="monthly", email="other@example.org")
    deliver(*stripe_api.pay(Donation.objects.latest("pk").stripe_checkout_session_id))
    theirs = RecurringGift.objects.get(donor__email="other@example.org")
    before = len(stripe_api.requests)

    assert client.post(action("pause", theirs), {"months": "1"}).status_code == 404
    assert client.get(action("cancel", theirs)).status_code == 404
    assert len(stripe_api.requests) == before


def test_a_receipt_can_be_sent_again(client, signed_in):
    donation = Donation.objects.get()

    client.post(action("receipt", donation))

    assert [message.to for message in mail.outbox] == [[EMAIL]]


def test_the_donor_can_download_their_data_with_their_gifts_history(client, signed_in):
    client.post(action("pause", signed_in), {"months": "3"})

    response = client.get(reverse("wagtail_sixdegrees:my_giving_data"))

    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["donor"]["email"] == EMAIL
    (gift,) = data["recurring_gifts"]
    assert [change["kind"] for change in gift["changes"]] == ["pause"]


def test_erasure_cancels_the_monthly_gift_signs_out_and_forgets_the_links(
    client, signed_in, stripe_api
):
    response = client.post(reverse("wagtail_sixdegrees:my_giving_erase"))

    assert response.status_code == 200
    assert not DonorSignInLink.objects.exists()
    assert RecurringGift.objects.get().status == "cancelled"
    assert client.get(MY).templates[0].name.endswith("sign_in.html")


# --- monthly gifts ------------------------------------------------------------------------


def test_changing_the_amount_goes_through_stripe_and_waits_for_the_webhook(
    client, signed_in, stripe_api, deliver
):
    before = len(stripe_api.events)

    response = client.post(action("amount", signed_in), {"amount": "30"})

    assert response.status_code == 303
    (update,) = writes_to_stripe(stripe_api)[-1:]
    assert update["path"] == f"/v1/subscriptions/{signed_in.stripe_subscription_id}"
    assert update["params"]["items"][0]["price_data"]["unit_amount"] == "3000"
    assert update["params"]["proration_behavior"] == "none"
    change = GiftChange.objects.get()
    assert update["headers"]["idempotency-key"].endswith(str(change.reference))
    signed_in.refresh_from_db()
    assert (signed_in.amount, change.state) == (2500, "requested")
    assert "Waiting for our payment provider" in client.get(MY).content.decode()

    deliver(*new_events(stripe_api, before))

    signed_in.refresh_from_db()
    change.refresh_from_db()
    assert (signed_in.amount, change.state) == (3000, "confirmed")
    deliver(*stripe_api.renew(signed_in.stripe_subscription_id))
    assert Donation.objects.latest("pk").amount == 3000


@pytest.mark.parametrize("amount", ["0.10", "1000000", "abc", ""])
def test_amounts_the_donate_form_refuses_are_refused_with_its_message_and_nothing_reaches_stripe(
    client, signed_in, stripe_api, amount
):
    writes = len(writes_to_stripe(stripe_api))
    form_answer = client.post(
        reverse("wagtail_sixdegrees:donate"), donate_data(amount=amount, frequency="monthly")
    )

    response = client.post(action("amount", signed_in), {"amount": amount})

    assert response.status_code == 400
    (form_error,) = form_answer.context["form"].errors["amount"]
    assert form_error in response.content.decode().replace("&#x27;", "'")
    assert len(writes_to_stripe(stripe_api)) == writes
    assert not GiftChange.objects.exists()


def test_a_new_amount_below_stripes_minimum_is_refused_by_the_domain_too(signed_in, stripe_api):
    from wagtail_sixdegrees.giving import monthly

    requests = len(stripe_api.requests)
    with pytest.raises(money.AmountError):
        monthly.change_amount(signed_in, 10)
    assert len(stripe_api.requests) == requests
    assert not GiftChange.objects.exists()


def test_pause_for_two_months_then_resume_both_confirmed_by_the_webhook(
    client, signed_in, stripe_api, deliver, clock
):
    before = len(stripe_api.events)
    client.post(action("pause", signed_in), {"months": "2"})
    pause = writes_to_stripe(stripe_api)[-1]
    resumes_at = int(pause["params"]["pause_collection"]["resumes_at"])
    assert pause["params"]["pause_collection"]["behavior"] == "void"
    expected = clock.now() + datetime.timedelta(days=59)
    assert expected.timestamp() <= resumes_at <= (expected + datetime.timedelta(days=3)).timestamp()
    deliver(*new_events(stripe_api, before))
    signed_in.refresh_from_db()
    assert signed_in.status == "paused"
    assert int(signed_in.paused_until.timestamp()) == resumes_at

    before = len(stripe_api.events)
    client.post(action("resume", signed_in))
    assert writes_to_stripe(stripe_api)[-1]["params"]["pause_collection"] == ""
    deliver(*new_events(stripe_api, before))

    signed_in.refresh_from_db()
    assert (signed_in.status, signed_in.paused_until) == ("active", None)
    assert list(signed_in.changes.values_list("kind", "state")) == [
        ("pause", "confirmed"),
        ("resume", "confirmed"),
    ]


def waiting_on(client) -> list[str]:
    """The kinds of change My giving shows as waiting for Stripe, in page order (signing in
    again: the clock may have moved past the session)."""
    sign_in(client)
    return re.findall(r'data-sd-pending="(\w+)"', client.get(MY).content.decode())


def test_a_second_amount_change_before_the_first_is_confirmed_closes_the_first(
    client, signed_in, stripe_api, deliver
):
    before = len(stripe_api.events)
    client.post(action("amount", signed_in), {"amount": "30"})
    client.post(action("amount", signed_in), {"amount": "40"})

    deliver(*new_events(stripe_api, before))

    signed_in.refresh_from_db()
    assert signed_in.amount == 4000
    assert list(signed_in.changes.values_list("kind", "state")) == [
        ("amount", "superseded"),
        ("amount", "confirmed"),
    ]
    assert waiting_on(client) == []


def test_a_second_pause_before_the_first_is_confirmed_closes_the_first(
    client, signed_in, stripe_api, deliver
):
    before = len(stripe_api.events)
    client.post(action("pause", signed_in), {"months": "1"})
    client.post(action("pause", signed_in), {"months": "3"})
    resumes_at = int(writes_to_stripe(stripe_api)[-1]["params"]["pause_collection"]["resumes_at"])

    deliver(*new_events(stripe_api, before))

    signed_in.refresh_from_db()
    assert int(signed_in.paused_until.timestamp()) == resumes_at
    assert list(signed_in.changes.values_list("kind", "state")) == [
        ("pause", "superseded"),
        ("pause", "confirmed"),
    ]
    assert waiting_on(client) == []


def test_my_giving_shows_only_the_newest_waiting_change_of_each_kind(client, signed_in):
    client.post(action("amount", signed_in), {"amount": "30"})
    client.post(action("pause", signed_in), {"months": "1"})
    client.post(action("amount", signed_in), {"amount": "40"})

    assert waiting_on(client) == ["pause", "amount"]


def test_a_card_page_left_unfinished_stops_waiting_after_card_update_wait_hours(
    client, signed_in, clock
):
    client.post(action("card", signed_in))
    clock.advance(hours=23)
    assert waiting_on(client) == ["card"]

    clock.advance(hours=1, seconds=1)

    assert waiting_on(client) == []
    assert list(signed_in.changes.values_list("kind", "state")) == [("card", "expired")]


def test_a_card_saved_late_confirms_the_newest_card_update_and_closes_the_older(
    client, signed_in, stripe_api, deliver, clock
):
    client.post(action("card", signed_in))
    portal = client.post(action("card", signed_in))["Location"].rsplit("/", 1)[1]
    clock.advance(hours=25)
    assert waiting_on(client) == []  # both marked expired

    deliver(*stripe_api.save_card(portal))

    assert list(signed_in.changes.values_list("kind", "state")) == [
        ("card", "expired"),
        ("card", "confirmed"),
    ]


def test_two_card_pages_and_one_card_saved_leave_nothing_waiting(
    client, signed_in, stripe_api, deliver
):
    client.post(action("card", signed_in))
    portal = client.post(action("card", signed_in))["Location"].rsplit("/", 1)[1]

    deliver(*stripe_api.save_card(portal))

    assert list(signed_in.changes.values_list("kind", "state")) == [
        ("card", "superseded"),
        ("card", "confirmed"),
    ]
    assert waiting_on(client) == []


@pytest.mark.parametrize("months", ["0", "4", "x"])
def test_a_pause_outside_one_to_three_months_is_refused(client, signed_in, stripe_api, months):
    writes = len(writes_to_stripe(stripe_api))

    client.post(action("pause", signed_in), {"months": months})

    assert len(writes_to_stripe(stripe_api)) == writes


def test_changing_what_it_supports_applies_to_the_next_gift_only(
    client, signed_in, stripe_api, deliver
):
    need = make_need(title="Fictional school fees")
    first = Donation.objects.get()

    client.post(action("supports", signed_in), {"target": f"need:{need.pk}"})
    deliver(*stripe_api.renew(signed_in.stripe_subscription_id))

    assert [p.target for p in first.preferences.all()] == ["general"]
    renewal = Donation.objects.latest("pk")
    assert [p.target for p in renewal.preferences.all()] == [f"need:{need.pk}"]
    assert GiftChange.objects.get().kind == "preferences"


def test_an_unknown_target_is_refused_and_nothing_changes(client, signed_in):
    response = client.post(action("supports", signed_in), {"target": "need:999999"})

    assert response.status_code == 400
    assert [p.target for p in signed_in.template_preferences.all()] == ["general"]


def test_cancelling_asks_first_then_cancels_at_stripe_confirmed_by_the_webhook(
    client, signed_in, stripe_api, deliver
):
    assert client.get(action("cancel", signed_in)).status_code == 200
    assert not writes_to_stripe(stripe_api)[1:]  # only the checkout session so far
    before = len(stripe_api.events)

    client.post(action("cancel", signed_in))
    assert writes_to_stripe(stripe_api)[-1]["method"] == "DELETE"
    deliver(*new_events(stripe_api, before))

    signed_in.refresh_from_db()
    assert signed_in.status == "cancelled"
    assert GiftChange.objects.get().state == "confirmed"


def test_updating_the_card_opens_stripes_billing_portal_and_the_new_card_confirms_it(
    client, signed_in, stripe_api, deliver
):
    response = client.post(action("card", signed_in))

    assert response.status_code == 303
    portal = writes_to_stripe(stripe_api)[-1]
    assert portal["path"] == "/v1/billing_portal/sessions"
    assert portal["params"]["flow_data"]["type"] == "payment_method_update"
    assert portal["params"]["customer"] == signed_in.stripe_customer_id
    assert portal["headers"]["idempotency-key"]
    assert response["Location"].startswith("http://stripe.invalid/billing_portal/")

    session_id = response["Location"].rsplit("/", 1)[1]
    deliver(*stripe_api.save_card(session_id))

    change = GiftChange.objects.get()
    assert (change.kind, change.state) == ("card", "confirmed")


def test_when_stripe_cannot_be_reached_nothing_changes_and_the_donor_is_told(
    client, signed_in, stripe_api
):
    stripe_api.failures.append(StripeFailure(400, "Refused"))

    response = client.post(action("pause", signed_in), {"months": "1"}, follow=True)

    assert "nothing has changed" in response.content.decode()
    assert GiftChange.objects.get().state == "failed"
    signed_in.refresh_from_db()
    assert signed_in.status == "active"


# --- failed payments ------------------------------------------------------------------------


def test_a_failed_payment_emails_one_card_link_and_shows_a_payment_problem(
    client, monthly_gift, stripe_api, deliver
):
    failed, updated = stripe_api.fail_invoice(monthly_gift.stripe_subscription_id)
    deliver(failed, updated, failed)

    monthly_gift.refresh_from_db()
    assert monthly_gift.status == "past_due"
    (message,) = mail.outbox
    assert message.to == [EMAIL]
    card_url = re.search(r"https?://\S+/giving/monthly/\S+/card/", message.body)[0]
    sign_in(client)
    assert "Payment problem" in client.get(MY).content.decode()

    assert client.get(card_url).status_code == 200  # a scanner changes nothing
    assert not writes_to_stripe(stripe_api)[1:]
    response = client.post(card_url)
    assert response["Location"].startswith("http://stripe.invalid/billing_portal/")


def test_the_card_link_expires(client, monthly_gift, clock):
    url = reverse("wagtail_sixdegrees:update_card", args=[card_token(monthly_gift)])
    clock.advance(days=31)

    assert client.get(url).status_code == 404


def test_when_stripe_gives_up_the_gift_lapses_and_the_donor_is_told_once(
    monthly_gift, stripe_api, deliver
):
    deliver(*stripe_api.fail_invoice(monthly_gift.stripe_subscription_id))
    mail.outbox.clear()

    (deleted,) = stripe_api.give_up(monthly_gift.stripe_subscription_id)
    deliver(deleted, deleted)

    monthly_gift.refresh_from_db()
    assert monthly_gift.status == "lapsed"
    (message,) = mail.outbox
    assert "stopped" in message.subject
    assert list(monthly_gift.changes.values_list("kind", flat=True)) == [
        "payment_failed",
        "lapsed",
    ]


# --- the Giving panel ---------------------------------------------------------------------


def test_managers_see_the_monthly_gifts_history_and_viewers_no_personal_data(
    client, signed_in, stripe_api, deliver
):
    from tests.factories import panel_user

    before = len(stripe_api.events)
    client.post(action("amount", signed_in), {"amount": "40"})
    deliver(*new_events(stripe_api, before))
    inspect = reverse("sixdegrees_donations:inspect", args=[Donation.objects.get().pk])

    pages = {}
    for role in ("manager", "viewer"):
        client.force_login(panel_user(role))
        pages[role] = client.get(inspect).content.decode()

    for page in pages.values():
        assert "history of changes" in page
        assert 'data-sd-change="amount"' in page
    assert EMAIL not in pages["viewer"]


@pytest.mark.parametrize(("language", "expected"), [("th", "th"), ("vi", "vi"), ("km", "auto")])
def test_the_card_page_speaks_the_donors_language_where_stripe_can(language, expected):
    from wagtail_sixdegrees.giving.monthly import portal_locale

    assert portal_locale(language) == expected


def test_a_new_card_and_a_successful_retry_end_the_payment_problem(
    client, monthly_gift, stripe_api, deliver
):
    deliver(*stripe_api.fail_invoice(monthly_gift.stripe_subscription_id))
    card_url = re.search(r"https?://\S+/giving/monthly/\S+/card/", mail.outbox[0].body)[0]
    portal = client.post(card_url)["Location"].rsplit("/", 1)[1]
    deliver(*stripe_api.save_card(portal))

    deliver(*stripe_api.renew(monthly_gift.stripe_subscription_id))

    monthly_gift.refresh_from_db()
    assert monthly_gift.status == "active"
    assert Donation.objects.filter(recurring_gift=monthly_gift, paid_at__isnull=False).count() == 2
    assert list(monthly_gift.changes.values_list("kind", "state")) == [
        ("payment_failed", "confirmed"),
        ("card", "confirmed"),
    ]


def test_changes_call_stripe_outside_the_transaction_of_an_atomic_requests_site(
    client, signed_in, stripe_api, atomic_requests
):
    for name, data in [("amount", {"amount": "35"}), ("pause", {"months": "1"}), ("card", {})]:
        client.post(action(name, signed_in), data)

    assert GiftChange.objects.filter(state="requested").count() == 3
    # The stripe_api fixture fails the test if any of these calls ran inside a transaction.
