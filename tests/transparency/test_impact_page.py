"""The donor's impact page: a private signed link, and exactly what the gift's ledger says."""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
from django.core import mail, signing
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from tests.factories import (
    cause_pref,
    general_pref,
    impact_path,
    make_cause,
    make_live_story,
    make_need,
    make_need_update,
    make_paid_donation,
    make_region,
    make_story,
    need_pref,
    translate,
)
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.models import Donation, LedgerEntry, StoryNeed
from wagtail_sixdegrees.stories.takedown import withdraw_consent
from wagtail_sixdegrees.transparency import tokens

pytestmark = pytest.mark.django_db


def html_of(response) -> str:
    return response.content.decode()


def allocated(donation, **need_fields):
    ledger.allocate([donation.pk])
    donation.refresh_from_db()
    return donation


# --- The link -----------------------------------------------------------------------------


def test_receipt_link_opens_the_impact_page_which_follows_allocation_and_disbursement(
    give, stripe_api, deliver, client, settings
):
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "AUTO_ALLOCATE": False}
    need = make_need(title="Fictional shelter beds", target_amount=100_000)
    give(amount="50", target=f"need:{need.pk}")
    deliver(*stripe_api.pay(Donation.objects.get().stripe_checkout_session_id))
    (receipt,) = mail.outbox
    link = re.search(r"http://localhost(/giving/gift/[^/\s]+/)", receipt.body)
    assert link and link.group(0) in receipt.alternatives[0][0]

    before = html_of(client.get(link.group(1)))
    assert 'data-sd-status="received"' in before
    assert "Fictional shelter beds" not in before.split("What you asked for")[1].split("</ul>")[1]

    ledger.allocate()
    after_allocation = html_of(client.get(link.group(1)))
    assert 'data-sd-status="received"' not in after_allocation
    assert "Where your gift is now" in after_allocation
    assert "Paid out from this need" not in after_allocation

    ledger.record_disbursement(
        need, 1_000, paid_on=timezone.localdate(), actor=None, reference="FICTIONAL-1"
    )
    after_payout = html_of(client.get(link.group(1)))
    assert "Paid out from this need" in after_payout
    assert "$10.00" in after_payout


def test_tampered_expired_and_unknown_links_all_answer_the_same_404(client, settings):
    donation = make_paid_donation()
    good = tokens.impact_token(donation)
    tampered = good[:-2] + ("A" if good[-2] != "A" else "B") + good[-1]
    unknown = signing.dumps(uuid.uuid4().hex, salt=tokens.IMPACT_SALT)
    other_salt = signing.dumps(donation.reference.hex, salt=tokens.STOP_UPDATES_SALT)
    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "IMPACT_LINK_MAX_AGE_DAYS": 30,
    }
    with pytest.MonkeyPatch.context() as patch:
        old = timezone.now() - datetime.timedelta(days=31)
        patch.setattr(signing.time, "time", lambda: old.timestamp())
        expired = tokens.impact_token(donation)

    responses = [
        client.get(reverse("wagtail_sixdegrees:gift", args=[token]))
        for token in (tampered, expired, unknown, other_salt, "not-a-token")
    ]
    assert {response.status_code for response in responses} == {404}
    assert len({response.content for response in responses}) == 1
    assert str(donation.reference) not in html_of(responses[0])
    assert client.get(impact_path(donation)).status_code == 200


def test_links_can_be_issued_again_and_all_work(client):
    donation = make_paid_donation()
    first = tokens.impact_token(donation)
    with pytest.MonkeyPatch.context() as patch:
        later = timezone.now() + datetime.timedelta(seconds=5)
        patch.setattr(signing.time, "time", lambda: later.timestamp())
        second = tokens.impact_token(donation)
    assert first != second
    for token in (first, second):
        assert client.get(reverse("wagtail_sixdegrees:gift", args=[token])).status_code == 200


def test_links_never_expire_when_configured_so(client, settings):
    settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "IMPACT_LINK_MAX_AGE_DAYS": None}
    donation = make_paid_donation()
    with pytest.MonkeyPatch.context() as patch:
        old = timezone.now() - datetime.timedelta(days=3650)
        patch.setattr(signing.time, "time", lambda: old.timestamp())
        ancient = tokens.impact_token(donation)
    assert client.get(reverse("wagtail_sixdegrees:gift", args=[ancient])).status_code == 200


def test_impact_page_is_private_uncached_unindexed_and_sends_no_referrer(client):
    donation = make_paid_donation()
    for response in (
        client.get(impact_path(donation)),
        client.get(reverse("wagtail_sixdegrees:gift", args=["nope"])),
    ):
        assert response["Referrer-Policy"] == "no-referrer"
        assert "noindex" in response["X-Robots-Tag"]
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= cache_control
        assert '<meta name="referrer" content="no-referrer">' in html_of(response)


def test_impact_page_needs_no_login_and_shows_nothing_that_identifies_the_donor(client):
    donation = make_paid_donation(
        donor=None, dedication="Grandmother Fictional", dedication_kind="memory"
    )
    donation.donor.name = "Fictional Donor Name"
    donation.donor.save()
    html = html_of(client.get(impact_path(donation)))
    for private in (donation.donor.email, "Fictional Donor Name", "Grandmother Fictional"):
        assert private not in html


# --- What it shows --------------------------------------------------------------------------


def test_impact_page_shows_exactly_the_donations_ledger(client):
    cause = make_cause("Fictional legal aid")
    region = make_region("Fictional province")
    full = make_need(title="Already funded need", cause=cause, region=region, target_amount=1_000)
    make_paid_donation(amount=1_000, preferences=[need_pref(full)])
    ledger.allocate()
    open_need = make_need(title="Open legal need", cause=cause, region=region, target_amount=50_000)
    donation = allocated(
        make_paid_donation(
            amount=10_000,
            fee=320,
            preferences=[need_pref(full, 5_000), cause_pref(cause, 3_000), general_pref(2_000)],
        )
    )
    other = allocated(make_paid_donation(amount=7_777, preferences=[need_pref(open_need)]))

    html = html_of(client.get(impact_path(donation)))
    entries = list(LedgerEntry.objects.filter(donation=donation))
    assert html.count("data-sd-movement") == len(entries)
    assert sum(entry.amount for entry in entries) == donation.allocatable_amount == 9_680
    for entry in entries:
        assert entry.amount_display in html
    assert "$77.77" not in html  # another donor's gift to the same need
    assert other.pk != donation.pk
    # The full need overflowed to the open one (rule 3), the cause share matched it (rule 4).
    assert "Open legal need" in html
    assert "already fully funded, so this part went to another open need" in html
    assert "this part went to a matching open need" in html
    assert "Where most needed" in html and "giving managers allocate" in html
    assert "$96.80" in html and "$3.20" in html  # what was shared out, after the fee


def test_money_waiting_in_a_restricted_pool_is_explained_in_plain_words(client):
    cause = make_cause("Fictional safe return")
    region = make_region("Fictional coast")
    donation = allocated(
        make_paid_donation(
            amount=5_000,
            preferences=[
                {"kind": "cause_region", "cause": cause, "region": region, "share_bps": 10_000}
            ],
        )
    )
    html = html_of(client.get(impact_path(donation)))
    assert "Set aside for Fictional safe return in Fictional coast" in html
    assert "No matching need had room" in html
    assert "never leaves Fictional safe return in Fictional coast without a recorded reason" in html


def test_refunded_gift_shows_the_reversal_and_nothing_left(client):
    need = make_need(title="Fictional school fees")
    donation = allocated(make_paid_donation(amount=4_000, preferences=[need_pref(need)]))
    Donation.objects.filter(pk=donation.pk).update(amount_refunded=4_000, status="refunded")
    donation.refresh_from_db()
    ledger.sync_reversals(donation)

    html = html_of(client.get(impact_path(donation)))
    assert 'data-sd-status="refunded"' in html
    assert "Where your gift is now" not in html
    assert "Taken back (refund or dispute)" in html and "-$40.00" in html.replace("−", "-")


def test_pending_gift_says_it_waits_for_the_payment(client):
    from tests.factories import make_donation

    html = html_of(client.get(impact_path(make_donation())))
    assert 'data-sd-status="pending"' in html


def test_updates_and_disbursements_of_the_needs_the_gift_is_in_are_shown(client):
    need = make_need(title="Fictional shelter beds")
    elsewhere = make_need(title="Fictional other need")
    donation = allocated(make_paid_donation(amount=10_000, preferences=[need_pref(need)]))
    allocated(make_paid_donation(amount=10_000, preferences=[need_pref(elsewhere)]))
    make_need_update(need, title="Twelve beds are ready", text="The fictional shelter opened.")
    make_need_update(need, title="Draft news", publish=False)
    make_need_update(elsewhere, title="News from elsewhere")
    ledger.record_disbursement(
        need, 2_500, paid_on=timezone.localdate(), actor=None, reference="INTERNAL-REF-77"
    )

    html = html_of(client.get(impact_path(donation)))
    assert "Twelve beds are ready" in html and "The fictional shelter opened." in html
    assert "Draft news" not in html
    assert "News from elsewhere" not in html
    assert "$25.00" in html
    assert "INTERNAL-REF-77" not in html  # bank references stay internal


def test_updates_appear_in_the_readers_language(client):
    need = make_need(title="Fictional shelter beds")
    donation = allocated(make_paid_donation(preferences=[need_pref(need)]))
    update = make_need_update(need, title="Beds are ready")
    translate(update, "th", title="เตียงพร้อมแล้ว (fictional)")

    english = html_of(client.get(impact_path(donation)))
    thai = html_of(client.get(impact_path(donation), HTTP_ACCEPT_LANGUAGE="th"))
    assert "Beds are ready" in english and "เตียงพร้อมแล้ว" not in english
    assert "เตียงพร้อมแล้ว (fictional)" in thai and "Beds are ready" not in thai


def test_stories_appear_by_pseudonym_only_while_live_with_current_consent(client):
    need = make_need(title="Fictional shelter beds")
    donation = allocated(make_paid_donation(preferences=[need_pref(need)]))
    story = make_live_story(pseudonym="Fictional Mai", title="Mai's fictional story")
    StoryNeed.objects.create(page=story, need=need)

    html = html_of(client.get(impact_path(donation)))
    assert "Mai&#x27;s fictional story" in html and "told by Fictional Mai" in html
    assert "CF-FICTIONAL-0001" not in html  # the consent form reference never leaves the admin

    withdraw_consent(story.consent, user=None)
    assert "Fictional Mai" not in html_of(client.get(impact_path(donation)))


NO_LONGER_SHOWN = "One or more stories linked to this need are no longer shown."


def test_a_story_taken_down_while_its_consent_holds_leaves_no_line(client):
    """The line is about consent: an editor's unpublishing, or a draft, is not news to donors."""
    need = make_need(title="Fictional shelter beds")
    donation = allocated(make_paid_donation(preferences=[need_pref(need)]))
    unpublished = make_live_story(pseudonym="Fictional Mai")
    unpublished.unpublish()
    draft = make_story(pseudonym="Fictional Lan")
    withdraw_consent(draft.consent, user=None)  # never published, so never shown to donors
    for story in (unpublished, draft):
        StoryNeed.objects.create(page=story, need=need)

    html = html_of(client.get(impact_path(donation)))

    assert "Fictional shelter beds" in html
    assert "Fictional Mai" not in html and "Fictional Lan" not in html
    assert NO_LONGER_SHOWN not in html


def test_a_story_whose_consent_lapsed_is_said_to_be_gone_once_per_need(client):
    need = make_need(title="Fictional shelter beds")
    donation = allocated(make_paid_donation(preferences=[need_pref(need)]))
    stories = [make_live_story(pseudonym=f"Fictional teller {i}") for i in range(3)]
    for story in stories:
        StoryNeed.objects.create(page=story, need=need)
    for story in stories[:2]:
        withdraw_consent(story.consent, user=None)

    html = html_of(client.get(impact_path(donation)))

    assert html.count(NO_LONGER_SHOWN) == 1  # never how many
    assert "told by Fictional teller 2" in html
    assert "Fictional teller 0" not in html and "Fictional teller 1" not in html


def test_impact_page_query_count_does_not_grow_with_the_ledger(
    client, django_assert_max_num_queries
):
    needs = [make_need(target_amount=1_000_000) for _ in range(3)]
    donation = allocated(
        make_paid_donation(
            amount=30_000,
            preferences=[
                need_pref(need, 3_334 if i == 0 else 3_333) for i, need in enumerate(needs)
            ],
        )
    )
    for need in needs:
        make_need_update(need)
        for _ in range(3):
            ledger.record_disbursement(need, 100, paid_on=timezone.localdate(), actor=None)
    with django_assert_max_num_queries(20):
        response = client.get(impact_path(donation))
    assert response.status_code == 200


# --- What it costs ----------------------------------------------------------------------------


def gift_across(count: int, *, updates: int, payouts: int = 2):
    """A gift split over ``count`` needs, each with updates, payouts, a story and a story
    withdrawn."""
    needs = [make_need(title=f"Fictional need {i}", target_amount=1_000_000) for i in range(count)]
    shares = [10_000 // count + (1 if i < 10_000 % count else 0) for i in range(count)]
    donation = allocated(
        make_paid_donation(
            amount=40_000,
            preferences=[need_pref(need, share) for need, share in zip(needs, shares, strict=True)],
        )
    )
    for need in needs:
        for _ in range(updates):
            make_need_update(need)
        for _ in range(payouts):
            ledger.record_disbursement(need, 100, paid_on=timezone.localdate(), actor=None)
        story = make_live_story(pseudonym=f"Fictional teller {need.pk}")
        StoryNeed.objects.create(page=story, need=need)
        gone = make_live_story(pseudonym=f"Fictional former teller {need.pk}")
        StoryNeed.objects.create(page=gone, need=need)
        withdraw_consent(gone.consent, user=None)
    return donation, needs


def queries_for(client, donation) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(impact_path(donation))
    assert response.status_code == 200
    return len(queries), html_of(response)


#: Donation, its ledger lines, its choices, the locale, needs and their kept progress, updates,
#: payouts, linked stories, view restrictions, story pages, consent.
UNCACHED_QUERIES = 12
#: Donation, ledger lines, choices, the display version, consent of the linked stories.
CACHED_QUERIES = 5


@pytest.mark.parametrize("cached", [False, True], ids=["uncached", "needs cached"])
def test_impact_page_queries_do_not_grow_with_needs_updates_payouts_or_stories(
    client, settings, cached, django_assert_max_num_queries
):
    if cached:
        settings.WAGTAIL_SIXDEGREES = {**settings.WAGTAIL_SIXDEGREES, "PAGE_CACHE_SECONDS": 60}
    cache.clear()
    small, _ = gift_across(1, updates=1, payouts=1)
    large, needs = gift_across(4, updates=3, payouts=3)
    Site.get_site_root_paths()  # Wagtail keeps them in the cache for every page's links
    if cached:  # another donor's visit already read these needs
        queries_for(client, small)
        queries_for(client, large)
    counts = []
    for donation in (small, large):
        with django_assert_max_num_queries(CACHED_QUERIES if cached else UNCACHED_QUERIES):
            count, html = queries_for(client, donation)
        counts.append(count)
    assert counts[0] == counts[1]
    for need in needs:  # everything was there to be read
        assert need.title in html and f"told by Fictional teller {need.pk}" in html
        assert f"Fictional former teller {need.pk}" not in html
    assert html.count(NO_LONGER_SHOWN) == len(needs)
    assert html.count("sd-update__title") == 12
    cache.clear()


def test_a_second_donor_reuses_what_the_first_page_read_about_the_need(client, page_cache):
    need = make_need(title="Fictional shelter beds", target_amount=100_000)
    first = allocated(make_paid_donation(amount=1_000, preferences=[need_pref(need)]))
    second = allocated(make_paid_donation(amount=2_000, preferences=[need_pref(need)]))
    make_need_update(need, title="Twelve beds are ready")

    first_count, first_html = queries_for(client, first)
    second_count, second_html = queries_for(client, second)
    assert second_count < first_count
    for html in (first_html, second_html):
        assert "Twelve beds are ready" in html and "$30.00 raised" in html
    assert "$10.00" in first_html and "$20.00" not in first_html.split("Where your gift is now")[1]


def test_a_committed_payout_update_or_gift_shows_on_the_next_request(
    client, page_cache, django_capture_on_commit_callbacks
):
    need = make_need(title="Fictional shelter beds", target_amount=100_000)
    donation = allocated(make_paid_donation(amount=10_000, preferences=[need_pref(need)]))
    before = queries_for(client, donation)[1]
    assert "Paid out from this need" not in before and "$100.00 raised" in before

    with django_capture_on_commit_callbacks(execute=True):
        ledger.record_disbursement(need, 2_500, paid_on=timezone.localdate(), actor=None)
    assert "$25.00" in queries_for(client, donation)[1]

    with django_capture_on_commit_callbacks(execute=True):
        make_need_update(need, title="Twelve beds are ready")
    assert "Twelve beds are ready" in queries_for(client, donation)[1]

    with django_capture_on_commit_callbacks(execute=True):
        allocated(make_paid_donation(amount=5_000, preferences=[need_pref(need)]))
    assert "$150.00 raised" in queries_for(client, donation)[1]


def test_cached_needs_are_kept_per_language(client, page_cache):
    need = make_need(title="Fictional shelter beds")
    translate(need, "th", title="เตียงในที่พักพิง (fictional)")
    donation = allocated(make_paid_donation(preferences=[need_pref(need)]))
    for _ in range(2):
        english = html_of(client.get(impact_path(donation)))
        thai = html_of(client.get(impact_path(donation), HTTP_ACCEPT_LANGUAGE="th"))
        assert "Fictional shelter beds" in english and "เตียงในที่พักพิง" not in english
        assert "เตียงในที่พักพิง (fictional)" in thai
