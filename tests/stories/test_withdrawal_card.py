"""The survivor's withdrawal card: they take their story down themselves, with a link or a typed code.

The card's secrets are printed once and kept only as digests; GET never withdraws; a POST with
the button's confirmation does, at once, everywhere (the paths themselves are checked for a
card withdrawal in tests/transparency/test_lapsed_consent_everywhere.py).
"""

from __future__ import annotations

import hashlib
import importlib
import re

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry, Page

from tests.factories import make_live_story, make_reviewer, make_story, make_superuser, translate
from tests.helpers import login
from tests.testapp import frontend_cache
from wagtail_sixdegrees.keyed_digest import keyed_digest
from wagtail_sixdegrees.models import StoryConsent, WithdrawalCard
from wagtail_sixdegrees.stories import cards
from wagtail_sixdegrees.stories.card_views import qr_svg
from wagtail_sixdegrees.stories.workflow import REVIEWERS_GROUP_NAME

pytestmark = pytest.mark.django_db

CONTACT = "Fictional Shelter office, phone 000 000 000"


def consent_of(story) -> StoryConsent:
    return StoryConsent.objects.get(translation_key=story.translation_key)


def link_of(issued: cards.IssuedCard) -> str:
    return reverse("wagtail_sixdegrees:withdraw_consent", args=[issued.token])


def code_address_of(issued: cards.IssuedCard) -> str:
    return reverse("wagtail_sixdegrees:withdraw_consent_code", args=[issued.printed_code])


@pytest.fixture
def story():
    return make_live_story(title="Cardtitle story", pseudonym="Cardname")


@pytest.fixture
def issued(story) -> cards.IssuedCard:
    return cards.issue_card(consent_of(story), language="en", contact=CONTACT)


def press_the_button(client: Client, address: str, **extra):
    return client.post(address, {"confirm": "withdraw", **extra})


# --- GET never withdraws -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "head"])
@pytest.mark.parametrize("address", [link_of, code_address_of], ids=["link", "code"])
def test_opening_the_card_never_withdraws(client, story, issued, method, address):
    response = getattr(client, method)(address(issued))

    assert response.status_code == 200
    assert consent_of(story).withdrawn_on is None
    assert Page.objects.get(pk=story.pk).live
    if method == "get":
        body = response.content.decode()
        assert "Cardname" in body
        assert "Cardtitle" not in body  # the pseudonym only
        assert body.count("<button") == 1


def test_a_post_without_the_confirmation_changes_nothing(client, story, issued):
    response = client.post(link_of(issued), {})

    assert response.status_code == 200
    assert consent_of(story).withdrawn_on is None
    assert Page.objects.get(pk=story.pk).live


# --- POST withdraws at once ---------------------------------------------------------------------


def test_pressing_the_button_withdraws_consent_and_unpublishes_every_language(
    client, story, issued, django_capture_on_commit_callbacks
):
    translated = translate(story, "th")

    with django_capture_on_commit_callbacks(execute=True):
        response = press_the_button(client, link_of(issued))

    assert response.status_code == 200
    assert consent_of(story).withdrawn_on is not None
    assert not Page.objects.filter(pk__in=[story.pk, translated.pk], live=True).exists()
    body = response.content.decode()
    assert CONTACT in body
    assert "<button" not in body
    assert "Cardname" not in body and "Cardtitle" not in body
    assert client.get(story.url).status_code == 410


def test_the_typed_code_works_in_any_case_with_or_without_dashes(client, story, issued):
    typed = issued.printed_code.lower().replace("-", " ").replace("0", "o")
    address = reverse("wagtail_sixdegrees:withdraw_consent_code", args=[typed])
    assert client.get(address + "/").status_code == 200  # with or without the slash

    response = press_the_button(client, address)

    assert response.status_code == 200
    assert consent_of(story).withdrawn_on is not None


def test_opening_a_used_card_again_says_it_is_done(client, story, issued):
    press_the_button(client, link_of(issued))

    response = client.get(link_of(issued))

    assert response.status_code == 200
    assert CONTACT in response.content.decode()
    assert "<form" not in response.content.decode()


def test_the_withdrawal_is_in_the_consent_history_and_the_card_is_marked_used(
    client, story, issued
):
    press_the_button(client, link_of(issued))

    actions = list(
        ModelLogEntry.objects.filter(object_id=str(consent_of(story).pk)).values_list(
            "action", flat=True
        )
    )
    assert cards.LOG_ISSUED in actions
    assert cards.LOG_USED in actions
    assert WithdrawalCard.objects.get(pk=issued.card.pk).used_at is not None
    login(client, make_superuser())
    history = client.get(
        reverse("wagtail_sixdegrees_story_consent:history", args=[consent_of(story).pk])
    )
    assert "Consent withdrawn with the survivor" in history.content.decode()
    assert "Withdrawal card issued" in history.content.decode()


def test_caseworker_and_safety_reviewers_are_told_without_donor_data(
    client, story, django_capture_on_commit_callbacks
):
    caseworker = make_superuser("caseworker")
    caseworker.email = "caseworker@example.org"
    caseworker.save()
    consent = consent_of(story)
    StoryConsent.objects.filter(pk=consent.pk).update(recorded_by=caseworker)
    make_reviewer("safety")
    issued = cards.issue_card(consent_of(story), language="en", contact=CONTACT)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        press_the_button(client, link_of(issued))

    (message,) = mail.outbox
    reviewers = Group.objects.get(name=REVIEWERS_GROUP_NAME).user_set.values_list(
        "email", flat=True
    )
    assert message.to[0] == "caseworker@example.org"
    assert sorted(message.to[1:]) == sorted(reviewers)
    assert "safety@example.org" in message.to
    assert "Cardtitle story" in message.subject
    assert issued.token not in message.body and issued.code not in message.body
    assert "@" not in message.body  # no addresses of anyone, donors included


def test_withdrawal_by_card_purges_the_frontend_cache(
    client, settings, story, issued, django_capture_on_commit_callbacks
):
    settings.WAGTAILFRONTENDCACHE = {
        "recording": {"BACKEND": "tests.testapp.frontend_cache.RecordingBackend"}
    }
    frontend_cache.PURGED.clear()

    with django_capture_on_commit_callbacks(execute=True):
        press_the_button(client, link_of(issued))

    assert any(url.endswith(story.url) for url in frontend_cache.PURGED)


# --- Re-issue, revoke, unknown, malformed ------------------------------------------------------


def test_reissuing_voids_the_old_card(client, story, issued):
    new = cards.issue_card(consent_of(story), language="th", contact=CONTACT)

    assert client.get(link_of(issued)).status_code == 404
    assert client.get(code_address_of(issued)).status_code == 404
    assert press_the_button(client, link_of(issued)).status_code == 404
    assert consent_of(story).withdrawn_on is None
    assert client.get(link_of(new)).status_code == 200


def unknown_address_response(client):
    return client.get("/giving/withdraw/" + "x" * 43 + "/")


def shape(response) -> tuple[int, str]:
    """Status and body with the requested address taken out."""
    body = response.content.decode()
    path = response.wsgi_request.path
    return response.status_code, body.replace(path, "<path>")


@pytest.mark.parametrize("case", ["revoked", "unknown", "malformed", "short code unknown"])
def test_bad_cards_answer_exactly_like_any_unknown_address(client, story, issued, case):
    if case == "revoked":
        cards.revoke_cards(consent_of(story))
        address = link_of(issued)
    elif case == "unknown":
        address = reverse("wagtail_sixdegrees:withdraw_consent", args=["A" * 43])
    elif case == "malformed":
        address = reverse("wagtail_sixdegrees:withdraw_consent", args=["not a token <b>"])
    else:
        address = reverse("wagtail_sixdegrees:withdraw_consent_code", args=["ZZZZ-ZZZZ-ZZZZ"])

    response = client.get(address)
    posted = press_the_button(client, address)

    assert shape(response) == shape(client.get("/no-such-page/"))
    assert shape(posted)[0] == 404
    assert consent_of(story).withdrawn_on is None


def test_too_many_attempts_from_one_client_are_refused(client, settings, story, issued):
    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "WITHDRAWAL_RATE_LIMIT_ATTEMPTS": 3,
    }
    for attempt in range(3):
        client.get(
            reverse("wagtail_sixdegrees:withdraw_consent_code", args=[f"AAAA-AAAA-AAA{attempt}"])
        )

    response = press_the_button(client, link_of(issued))

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert consent_of(story).withdrawn_on is None
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert other.get(link_of(issued)).status_code == 200


def test_a_flood_of_bad_codes_from_many_addresses_never_locks_out_a_real_card(
    settings, story, issued
):
    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "WITHDRAWAL_RATE_LIMIT_ATTEMPTS": 3,
        "WITHDRAWAL_RATE_LIMIT_GLOBAL_ATTEMPTS": 5,
    }
    bad = reverse("wagtail_sixdegrees:withdraw_consent_code", args=["ZZZZ-ZZZZ-ZZZZ"])
    # Each address stays within its own budget; together they use up the site-wide one.
    answers = [Client(REMOTE_ADDR=f"198.51.100.{n}").get(bad).status_code for n in range(1, 9)]
    assert answers == [404] * 5 + [429] * 3
    refused = Client(REMOTE_ADDR="198.51.100.20").get(bad)

    survivor = Client(REMOTE_ADDR="203.0.113.9")
    opened = survivor.get(code_address_of(issued))
    response = press_the_button(survivor, link_of(issued))

    assert opened.status_code == 200 and "Cardname" in opened.content.decode()
    assert response.status_code == 200
    assert consent_of(story).withdrawn_on is not None
    assert not Page.objects.get(pk=story.pk).live
    # Wrong codes stay refused, all on the same plain page, whoever sends them.
    late = Client(REMOTE_ADDR="198.51.100.21").post(bad, {"confirm": "withdraw"})
    assert shape(refused)[0] == shape(late)[0] == 429
    assert shape(refused)[1] == shape(late)[1]
    assert int(late["Retry-After"]) > 0


# --- The secrets ----------------------------------------------------------------------------


def test_the_card_secrets_are_stored_only_as_digests(story, issued):
    # Every column of every card row, and the consent's history.
    stored = repr(list(WithdrawalCard.objects.values())) + repr(
        list(ModelLogEntry.objects.values())
    )

    assert issued.token not in stored
    assert issued.code not in stored and issued.printed_code not in stored
    card = WithdrawalCard.objects.get()
    assert card.token_hash == cards.digest(issued.token)
    assert len(issued.token) >= 43 and len(issued.code) == 12


def test_the_short_code_is_stored_keyed_so_hashing_guesses_does_not_find_it(story, issued):
    # 60 bits of plain SHA-256 could be searched from a database copy; keyed, not without the key.
    card = WithdrawalCard.objects.get()
    plain = hashlib.sha256(issued.code.encode()).hexdigest()

    assert card.code_hash not in (plain, hashlib.sha256(plain.encode()).hexdigest())
    assert card.code_hash == keyed_digest(cards.DIGEST_PURPOSE, plain)


def test_a_card_issued_under_a_rotated_key_works_only_while_it_is_a_fallback(
    client, story, issued, settings
):
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-fictional-secret-key-for-the-card-test-0123456789"

    assert cards.find_card(code=issued.code) is None
    assert client.get(link_of(issued)).status_code == 404
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert cards.find_card(token=issued.token) == WithdrawalCard.objects.get()
    press_the_button(client, code_address_of(issued))
    assert consent_of(story).withdrawn_on is not None


@pytest.mark.parametrize("address", [link_of, code_address_of], ids=["link", "code"])
def test_a_card_stored_before_the_keyed_digests_still_withdraws_after_the_migration(
    client, story, issued, address
):
    migration = importlib.import_module(
        "wagtail_sixdegrees.migrations.0023_keyed_card_and_term_digests"
    )
    WithdrawalCard.objects.update(
        token_hash=hashlib.sha256(issued.token.encode()).hexdigest(),
        code_hash=hashlib.sha256(issued.code.encode()).hexdigest(),
    )

    migration.keyed(apps, None)

    response = press_the_button(client, address(issued))
    assert response.status_code == 200
    assert consent_of(story).withdrawn_on is not None
    assert not Page.objects.get(pk=story.pk).live


def test_codes_use_only_unambiguous_characters():
    codes = {cards.new_code() for _n in range(200)}

    assert len(codes) == 200
    assert not set("".join(codes)) & set("ILOU")


# --- The page itself ---------------------------------------------------------------------------


def test_the_page_is_private_tiny_and_works_without_javascript(client, issued):
    response = client.get(link_of(issued))

    body = response.content.decode()
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex, nofollow">' in body
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert "<script" not in body and "<img" not in body and "<link" not in body
    assert not response.cookies
    assert len(response.content) < 4096


def test_the_page_speaks_the_cards_language(client, story):
    translate(story, "th")
    issued = cards.issue_card(consent_of(story), language="th", contact="สำนักงาน")

    response = client.get(link_of(issued), HTTP_ACCEPT_LANGUAGE="en")

    assert re.search(r'<html lang="th"', response.content.decode())
    assert response["Content-Language"] == "th"
    done = press_the_button(client, link_of(issued))
    assert '<html lang="th"' in done.content.decode()
    assert "สำนักงาน" in done.content.decode()


# --- The caseworker's side ---------------------------------------------------------------------


def test_caseworker_issues_a_printable_card_whose_code_withdraws(client, story):
    login(client, make_superuser())
    consent = consent_of(story)
    url = reverse("wagtail_sixdegrees_story_consent:card", args=[consent.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, {"language": "vi", "contact": CONTACT})

    body = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in body and "@page" in body
    assert '<section class="sd-card" lang="vi">' in body
    printed = re.search(
        r"/giving/w/<br><span class=\"sd-card__code\">([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})<", body
    ).group(1)
    public = Client()
    # Typed as printed: no trailing slash.
    assert press_the_button(public, f"/giving/w/{printed}").status_code == 200
    assert consent_of(story).withdrawn_on is not None
    assert WithdrawalCard.objects.get().issued_by.username == "admin"


def test_reloading_the_printed_card_does_not_void_it(client, story):
    login(client, make_superuser())
    url = reverse("wagtail_sixdegrees_story_consent:card", args=[consent_of(story).pk])
    form = {"language": "en", "contact": CONTACT, "replaces": "0"}
    client.post(url, form)
    printed = WithdrawalCard.objects.get()

    resubmitted = client.post(url, form)  # the browser's "resubmit the form?" on reload

    assert resubmitted.status_code == 302
    assert list(WithdrawalCard.objects.active()) == [printed]
    again = client.post(url, {**form, "replaces": str(printed.pk)})
    assert again.status_code == 200
    assert WithdrawalCard.objects.active().get() != printed


def test_recording_consent_leads_straight_to_the_card(client):
    story = make_story(consent=False)
    login(client, make_superuser())

    response = client.post(
        reverse("wagtail_sixdegrees_story_consent:add"),
        {"story": story.pk, "covers_web": "on", "given_on": "2026-01-15", "form_reference": "F"},
    )

    consent = consent_of(story)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "wagtail_sixdegrees_story_consent:card", args=[consent.pk]
    )


def test_the_story_editor_links_to_the_card(client, story):
    login(client, make_superuser())

    response = client.get(reverse("wagtailadmin_pages:edit", args=[story.pk]))

    card = reverse("wagtail_sixdegrees_story_consent:card", args=[consent_of(story).pk])
    assert card in response.content.decode()


def test_caseworker_revokes_a_lost_card(client, story, issued):
    login(client, make_superuser())

    client.post(
        reverse("wagtail_sixdegrees_story_consent:revoke_cards", args=[issued.card.consent.pk])
    )

    assert Client().get(link_of(issued)).status_code == 404


def test_issuing_needs_the_consent_change_permission(client, story, django_user_model):
    user = django_user_model.objects.create_user("editor", "e@example.org", "pw")
    client.force_login(user)

    response = client.get(
        reverse("wagtail_sixdegrees_story_consent:card", args=[consent_of(story).pk])
    )

    assert response.status_code in (302, 403)


def test_the_qr_code_uses_high_error_correction_for_crumpled_paper():
    import segno

    url = "https://stories.example.org/giving/withdraw/" + "A" * 43 + "/"
    code = segno.make(url, error="h", micro=False, boost_error=False)

    assert code.error == "H"
    # Printed 38 mm wide with its 4-module quiet zone, each module stays at least 0.5 mm:
    # what phone cameras read from arm's length. (This link is version 9: 53 modules.)
    width, _height = code.symbol_size(scale=1, border=4)
    assert 38 / width >= 0.5
    assert qr_svg(url).startswith("<svg")
