"""Donors choose where their money goes when a need closes (docs/concepts.md#need-closes):
one email each, a choice that moves exactly their waiting money through the ledger, once, and
the default when they do not answer in time. Time moves only through the test clock."""

from __future__ import annotations

import datetime
import re
import time

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from tests.factories import (
    impact_path,
    make_cause,
    make_donor,
    make_need,
    make_paid_donation,
    make_region,
    need_pref,
)
from wagtail_sixdegrees.allocation import ledger, need_choices
from wagtail_sixdegrees.allocation.audit import run_audit
from wagtail_sixdegrees.allocation.balances import need_balances
from wagtail_sixdegrees.allocation.engine import Account, Rule
from wagtail_sixdegrees.giving.donor_session import SESSION_KEY
from wagtail_sixdegrees.models import LedgerEntry, NeedChoice

pytestmark = pytest.mark.django_db


def held(need) -> int:
    return need_balances([need.pk]).get(need.pk, 0)


class World:
    """A need closing in five days, short of its target, with money of three donors in it
    (one erased); an open need of the same cause and region, and one in another region."""

    def __init__(self, clock) -> None:
        clock.move_to(datetime.datetime(2031, 3, 10, 12, tzinfo=datetime.UTC))
        self.clock = clock
        today = clock.today()
        self.cause, self.region = make_cause(), make_region()
        self.closing = make_need(
            cause=self.cause,
            region=self.region,
            target_amount=100_000,
            opens_on=today - datetime.timedelta(days=30),
            closes_on=today + datetime.timedelta(days=5),
        )
        self.alternative = make_need(
            cause=self.cause, region=self.region, target_amount=100_000, opens_on=today
        )
        self.elsewhere = make_need(cause=self.cause, target_amount=100_000, opens_on=today)
        self.ada = make_donor("ada@example.org", name="Ada", locale="en")
        self.ben = make_donor("ben@example.org", locale="en")
        self.gone = make_donor("gone@example.org")
        earlier = clock.now() - datetime.timedelta(days=2)
        self.ada_gift = make_paid_donation(
            3_000, donor=self.ada, paid_at=earlier, preferences=[need_pref(self.closing)]
        )
        self.ben_gift = make_paid_donation(
            2_001, donor=self.ben, preferences=[need_pref(self.closing)]
        )
        self.gone_gift = make_paid_donation(
            1_000, donor=self.gone, preferences=[need_pref(self.closing)]
        )
        ledger.allocate()
        # Paid out of the oldest money first: 1,000 of Ada's 3,000.
        ledger.record_disbursement(self.closing, 1_000, paid_on=today, actor=None)
        type(self.gone).objects.filter(pk=self.gone.pk).update(
            email="", name="", erased_at=clock.now()
        )
        mail.outbox.clear()

    def close(self) -> None:
        self.clock.advance(days=6)

    def choice(self, donor) -> NeedChoice:
        return NeedChoice.objects.get(donor=donor, need=self.closing)


@pytest.fixture
def world(clock) -> World:
    return World(clock)


def link(message) -> str:
    return re.search(r"https?://\S+/giving/my/choose/\S+/", message.body)[0]


def test_nothing_is_asked_while_the_need_is_open(world):
    assert need_choices.run().found == 0
    assert mail.outbox == []


def test_each_donor_with_an_address_gets_one_email(world):
    world.close()
    outcome = need_choices.run()
    again = need_choices.run()

    assert (outcome.found, outcome.emailed) == (3, 2)
    assert (again.found, again.emailed, again.defaults) == (0, 0, 0)
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@example.org", "ben@example.org"]
    ada = next(m for m in mail.outbox if m.to == ["ada@example.org"])
    assert world.closing.title in ada.subject
    assert "$20.00 of your giving to it has not been spent yet" in ada.body
    assert world.choice(world.gone).notified_at is None


def test_the_command_is_the_same_run(world, capsys):
    world.close()
    call_command("sixdegrees_need_choices")
    call_command("sixdegrees_need_choices")

    assert len(mail.outbox) == 2
    assert "0 new choice(s), 0 email(s) sent, 0 default(s) applied." in capsys.readouterr().out


def test_opening_the_link_changes_nothing(client, world):
    world.close()
    need_choices.run()
    message = next(m for m in mail.outbox if m.to == ["ada@example.org"])

    response = client.get(link(message))

    assert response.status_code == 200
    html = response.content.decode()
    assert world.alternative.title in html
    assert world.elsewhere.title not in html  # the gift named a need, so its region
    assert world.choice(world.ada).decided_at is None


def test_a_tampered_link_is_not_found(client, world):
    response = client.get(reverse("wagtail_sixdegrees:need_choice", args=["nonsense"]))
    assert response.status_code == 404


def test_choosing_another_need_moves_exactly_the_donors_waiting_money(client, world):
    world.close()
    need_choices.run()
    message = next(m for m in mail.outbox if m.to == ["ada@example.org"])
    before_closing, before_alternative = held(world.closing), held(world.alternative)

    response = client.post(link(message), {"choice": f"need:{world.alternative.pk}"})

    assert response.status_code == 200
    assert 'data-sd-choice="need"' in response.content.decode()
    # Ada gave 3,000; 1,000 of it was paid out before the need closed: 2,000 waited.
    assert held(world.closing) == before_closing - 2_000
    assert held(world.alternative) == before_alternative + 2_000
    moved = LedgerEntry.objects.filter(rule=Rule.DONOR_CHOICE)
    assert {(e.donation_id, e.need_id, e.amount) for e in moved} == {
        (world.ada_gift.pk, world.closing.pk, -2_000),
        (world.ada_gift.pk, world.alternative.pk, 2_000),
    }
    assert all(e.kind == LedgerEntry.Kind.REALLOCATE for e in moved)
    assert all("the donor chose" in e.reason for e in moved)
    choice = world.choice(world.ada)
    assert (choice.option, choice.chosen_need, choice.moved) == ("need", world.alternative, 2_000)
    assert run_audit().ok, run_audit().text()


def test_a_second_choice_is_refused_and_moves_nothing(client, world):
    world.close()
    need_choices.run()
    message = next(m for m in mail.outbox if m.to == ["ben@example.org"])
    client.post(link(message), {"choice": "general"})
    entries = LedgerEntry.objects.count()

    response = client.post(link(message), {"choice": f"need:{world.alternative.pk}"})

    assert response.status_code == 409
    assert "You have already chosen" in response.content.decode()
    assert LedgerEntry.objects.count() == entries
    assert world.choice(world.ben).option == "general"


def test_choosing_where_most_needed_moves_it_to_the_general_pool(client, world):
    world.close()
    need_choices.run()
    message = next(m for m in mail.outbox if m.to == ["ben@example.org"])

    client.post(link(message), {"choice": "general"})

    general = LedgerEntry.objects.for_account(Account.general("USD")).filter(
        donation=world.ben_gift
    )
    assert general.balance() == 2_001


def test_a_need_not_offered_is_refused(client, world):
    world.close()
    need_choices.run()
    message = next(m for m in mail.outbox if m.to == ["ada@example.org"])

    response = client.post(link(message), {"choice": f"need:{world.elsewhere.pk}"})

    assert response.status_code == 400
    assert world.choice(world.ada).decided_at is None
    assert not LedgerEntry.objects.filter(rule=Rule.DONOR_CHOICE).exists()


def test_a_need_with_less_room_takes_its_gap_and_the_rest_waits_for_the_cause(world):
    world.close()
    need_choices.run()
    filler = make_paid_donation(99_000, preferences=[need_pref(world.alternative)])
    ledger.allocate([filler.pk])

    need_choices.decide(world.choice(world.ada), "need", world.alternative)

    assert held(world.alternative) == 100_000
    pool = Account.restricted("USD", world.cause.pk, world.region.pk)
    assert LedgerEntry.objects.for_account(pool).filter(donation=world.ada_gift).balance() == 1_000
    assert run_audit().ok


@override_settings(WAGTAIL_SIXDEGREES={"NEED_CHOICE_DAYS": 30})
def test_without_an_answer_the_default_applies_once(world):
    world.close()
    need_choices.run()
    world.clock.advance(days=29)
    assert need_choices.run().defaults == 0

    world.clock.advance(days=2)
    outcome = need_choices.run()
    again = need_choices.run()

    assert (outcome.defaults, again.defaults) == (3, 0)
    pool = Account.restricted("USD", world.cause.pk, world.region.pk)
    assert LedgerEntry.objects.for_account(pool).balance() == 2_000 + 2_001 + 1_000
    assert held(world.closing) == 1_000  # what was paid out stays paid out
    ben = world.choice(world.ben)
    assert (ben.option, ben.by_default, ben.moved) == ("pool", True, 2_001)
    assert all(
        "did not choose within 30 days" in e.reason
        for e in LedgerEntry.objects.filter(rule=Rule.DONOR_CHOICE)
    )
    assert len(mail.outbox) == 2  # no second email
    report = run_audit()
    assert report.ok, report.text()
    assert "$50.01 moved out of closed needs by donors' choices or defaults" in report.text()


def test_a_need_that_reached_its_target_keeps_its_money(world):
    filler = make_paid_donation(100_000 - 6_001, preferences=[need_pref(world.closing)])
    ledger.allocate([filler.pk])
    world.close()

    assert need_choices.run().found == 0


def sign_in(client, email: str) -> None:
    session = client.session
    session[SESSION_KEY] = {"email": email, "expires": time.time() + 600}
    session.save()


def test_my_giving_prompts_for_a_waiting_choice(client, world):
    world.close()
    need_choices.run()
    sign_in(client, "ada@example.org")

    html = client.get(reverse("wagtail_sixdegrees:my_giving")).content.decode()

    assert "Choices waiting for you" in html
    assert f'data-sd-need-choice="{world.choice(world.ada).reference}"' in html
    assert f"{world.closing.title} has closed" in html


def test_the_impact_page_explains_the_donors_choice(client, world):
    world.close()
    need_choices.run()
    need_choices.decide(world.choice(world.ada), "need", world.alternative)

    html = client.get(impact_path(world.ada_gift)).content.decode()

    assert "closed before reaching its goal; it moved here as you chose" in html


def test_payouts_count_against_the_oldest_money_first():
    from wagtail_sixdegrees.allocation.engine import Holding, waiting_after_disbursements

    day = datetime.datetime(2031, 1, 1, tzinfo=datetime.UTC)
    holdings = [
        Holding(3, 500, day + datetime.timedelta(days=2), "c"),
        Holding(1, 300, day, "a"),
        Holding(2, 400, day + datetime.timedelta(days=1), "b"),
    ]

    assert waiting_after_disbursements(holdings, 0) == {1: 300, 2: 400, 3: 500}
    assert waiting_after_disbursements(holdings, 450) == {2: 250, 3: 500}
    assert waiting_after_disbursements(holdings, 1_200) == {}


def test_a_failed_email_is_sent_on_the_next_run(world, monkeypatch):
    from django.core.mail import EmailMessage

    world.close()
    real_send = EmailMessage.send
    monkeypatch.setattr(EmailMessage, "send", lambda self, *a, **k: 1 / 0)
    with pytest.raises(RuntimeError):
        need_choices.run()
    assert NeedChoice.objects.filter(notified_at__isnull=False).count() == 0

    monkeypatch.setattr(EmailMessage, "send", real_send)
    assert need_choices.run().emailed == 2
    assert len(mail.outbox) == 2


def test_a_need_opened_again_withdraws_the_questions_not_yet_answered(client, world):
    world.close()
    need_choices.run()
    message = next(m for m in mail.outbox if m.to == ["ada@example.org"])
    type(world.closing).objects.filter(pk=world.closing.pk).update(
        closes_on=world.clock.today() + datetime.timedelta(days=90)
    )

    outcome = need_choices.run()
    world.clock.advance(days=31)  # past the old deadline: no default moves the money
    later = need_choices.run()

    assert (outcome.found, outcome.defaults, later.found, later.defaults) == (0, 0, 0, 0)
    assert not NeedChoice.objects.exists()
    assert client.get(link(message)).status_code == 404
    assert not LedgerEntry.objects.filter(rule=Rule.DONOR_CHOICE).exists()
