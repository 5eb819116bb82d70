"""The donate form: bad input never stores anything or calls Stripe; the block renders plain,
accessible HTML in any StreamField; the rate limit holds."""

from __future__ import annotations

import datetime

import pytest
from django.test import RequestFactory, override_settings
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wagtail.models import Site

from tests.factories import make_cause, make_need, make_region
from tests.helpers import donate_data
from wagtail_sixdegrees.giving import ratelimit
from wagtail_sixdegrees.models import DonatePage, Donation, Donor, RecurringGift

pytestmark = pytest.mark.django_db

CONFIG = {
    "STRIPE_SECRET_KEY": "sk_test_sixdegrees_tests",
    "STRIPE_WEBHOOK_SECRET": "whsec_sixdegrees_tests",
    "CURRENCIES": ["USD", "THB", "VND", "JPY", "KWD"],
    "MINIMUM_AMOUNTS": {"KWD": 150},
}


def nothing_stored():
    return not (
        Donor.objects.exists() or Donation.objects.exists() or RecurringGift.objects.exists()
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount": "abc"}, "Enter an amount as a number"),
        ({"amount": "0.10"}, "The smallest gift"),
        ({"amount": ""}, "Choose or enter an amount"),
        ({"currency": "EUR"}, "Choose one of the currencies offered"),
        ({"email": "not-an-email"}, "Enter an email address"),
        ({"target": ["general", "general"], "share": ["50", "50"]}, "Choose each place only once"),
        ({"target": "need:999999"}, "no longer open"),
        ({"target": "planet:1"}, "not a choice this form offers"),
        ({"dedication": "x" * 201}, "at most 200 characters"),
        ({"suggested": "THB:500", "amount": ""}, "is in THB, but the currency is USD"),
        ({"website": "http://spam.example"}, "We could not accept this form"),
    ],
)
def test_bad_input_re_renders_with_errors_and_stores_nothing(give, stripe_api, overrides, message):
    response = give(**overrides)

    body = response.content.decode()
    assert response.status_code == 400
    assert message in body
    assert 'role="alert"' in body
    assert nothing_stored()
    assert stripe_api.requests == []


def test_shares_must_add_up_to_100(give, stripe_api):
    cause, region = make_cause(), make_region()
    response = give(target=[f"cause:{cause.pk}", f"region:{region.pk}"], share=["60", "30"])

    assert response.status_code == 400
    assert "add up to 90%" in response.content.decode()
    assert nothing_stored()


def test_closed_need_cannot_be_chosen(give, stripe_api):
    need = make_need(closes_on=datetime.date(2020, 1, 2), opens_on=datetime.date(2020, 1, 1))
    assert give(target=f"need:{need.pk}").status_code == 400
    assert nothing_stored()


def test_split_percents_become_exact_basis_points_in_the_donors_order(give, stripe_api):
    need, cause, region = make_need(), make_cause(), make_region()
    give(
        target=[f"need:{need.pk}", f"cause:{cause.pk}:region:{region.pk}", "general"],
        share=["33", "33", "34"],
    )

    donation = Donation.objects.get()
    assert [(p.position, p.kind, p.share_bps) for p in donation.preferences.all()] == [
        (0, "need", 3300),
        (1, "cause_region", 3300),
        (2, "general", 3400),
    ]


def test_a_form_without_targets_gives_where_most_needed(give, stripe_api):
    give(target=None)
    (preference,) = Donation.objects.get().preferences.all()
    assert (preference.kind, preference.share_bps) == ("general", 10_000)


def test_errors_keep_the_donors_values(give, stripe_api):
    response = give(amount="abc", email="kept@example.org", name="Kept Name", dedication="Grandma")
    body = response.content.decode()
    assert 'value="kept@example.org"' in body
    assert 'value="Kept Name"' in body
    assert 'value="Grandma"' in body
    assert 'value="abc"' in body
    assert 'aria-invalid="true"' in body


def donate_page(**block):
    block = {"mode": "split", "frequencies": ["once", "monthly"], **block}
    root = Site.objects.get(is_default_site=True).root_page
    page = DonatePage(title="Give to fictional needs", slug="give", body=[("donate", block)])
    root.add_child(instance=page)
    return page


def test_errors_show_in_the_same_block_on_the_same_page(give, stripe_api, client):
    page = donate_page(heading="Fictional heading")
    html = client.get(page.url).content.decode()
    form_key = html.split('name="form" value="')[1].split('"')[0]

    response = give(amount="abc", page=str(page.pk), form=form_key)

    body = response.content.decode()
    assert response.status_code == 400
    assert "<h1>Give to fictional needs</h1>" in body
    assert "Fictional heading" in body
    assert "Enter an amount as a number" in body


def test_donate_block_renders_an_accessible_form_in_a_page(client):
    need = make_need(title="Fictional school fees")
    page = donate_page(needs=[need], mode="choose")

    response = client.get(page.url)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'action="/giving/donate/"' in body
    assert "<legend>Where your gift goes</legend>" in body
    assert "Fictional school fees" in body
    assert f'value="need:{need.pk}"' in body
    assert 'autocomplete="email"' in body
    assert 'name="website" tabindex="-1"' in body  # the honeypot, hidden from people
    assert 'name="csrfmiddlewaretoken"' in body


def test_fixed_mode_shares_the_gift_equally_between_the_editors_needs(client, give, stripe_api):
    needs = [make_need(), make_need(), make_need()]
    page = donate_page(mode="fixed", needs=needs)
    body = client.get(page.url).content.decode()
    targets = [part.split('"')[0] for part in body.split('name="target" value="')[1:]]
    shares = [part.split('"')[0] for part in body.split('name="share" value="')[1:]]

    give(target=targets, share=shares)

    assert shares == ["34", "33", "33"]
    assert [p.share_bps for p in Donation.objects.get().preferences.all()] == [3400, 3300, 3300]


def test_the_plain_donate_page_answers_get(client):
    response = client.get(reverse("wagtail_sixdegrees:donate"))
    assert response.status_code == 200
    assert "Where most needed" in response.content.decode()


def test_donate_block_validates_fixed_mode_needs():
    from wagtail.blocks.struct_block import StructBlockValidationError

    from wagtail_sixdegrees.giving.blocks import DonateBlock

    block = DonateBlock()
    with pytest.raises(StructBlockValidationError):
        block.clean(block.to_python({"mode": "fixed", "needs": [], "frequencies": ["once"]}))


# --- a need takes gifts only in its own currency --------------------------------------------


def test_a_gift_in_another_currency_than_its_need_is_refused_naming_the_needs_currency(
    give, stripe_api
):
    need = make_need(title="Fictional USD beds", currency="USD")

    response = give(currency="THB", amount="500", target=f"need:{need.pk}")

    body = response.content.decode()
    assert response.status_code == 400
    assert "Fictional USD beds takes gifts in USD" in body
    assert nothing_stored()
    assert stripe_api.requests == []


def test_a_split_gift_is_refused_when_any_need_uses_another_currency(give, stripe_api):
    usd, thb = make_need(currency="USD"), make_need(title="Fictional THB school", currency="THB")

    response = give(currency="USD", target=[f"need:{usd.pk}", f"need:{thb.pk}"], share=["50", "50"])

    assert response.status_code == 400
    assert "Fictional THB school takes gifts in THB" in response.content.decode()
    assert nothing_stored()


def test_a_gift_in_its_needs_currency_is_taken(give, stripe_api):
    need = make_need(currency="THB")
    assert give(currency="THB", amount="500", target=f"need:{need.pk}").status_code == 303


def test_fixed_mode_offers_only_its_needs_currency(client):
    page = donate_page(mode="fixed", needs=[make_need(currency="THB")])

    body = client.get(page.url).content.decode()

    assert 'name="currency" value="THB"' in body  # the only currency: a hidden field
    assert '<option value="USD"' not in body


def test_donate_block_refuses_fixed_needs_in_different_currencies():
    from wagtail.blocks.struct_block import StructBlockValidationError

    from wagtail_sixdegrees.giving.blocks import DonateBlock

    block = DonateBlock()
    needs = [make_need(currency="USD"), make_need(currency="THB")]
    value = block.to_python(
        {"mode": "fixed", "needs": [n.pk for n in needs], "frequencies": ["once"]}
    )
    with pytest.raises(StructBlockValidationError) as error:
        block.clean(value)
    assert "needs" in error.value.block_errors


# --- rate limiting ----------------------------------------------------------------------


def test_one_address_gets_at_most_the_configured_attempts_through_to_stripe(give, stripe_api):
    responses = [give(email=f"card{n}@example.org") for n in range(100)]

    sessions = [r for r in stripe_api.requests if r["path"] == "/v1/checkout/sessions"]
    assert len(sessions) == 5
    assert Donation.objects.count() == 5
    assert {r.status_code for r in responses[5:]} == {429}
    assert int(responses[-1]["Retry-After"]) > 0


def test_the_global_ceiling_stops_many_addresses(give, stripe_api):
    with override_settings(WAGTAIL_SIXDEGREES={**CONFIG, "RATE_LIMIT_GLOBAL_ATTEMPTS": 3}):
        statuses = [give(REMOTE_ADDR=f"10.0.0.{n}").status_code for n in range(6)]
    assert statuses == [303, 303, 303, 429, 429, 429]


def test_a_flood_from_one_address_does_not_close_the_form_to_everyone(client, give, stripe_api):
    url = reverse("wagtail_sixdegrees:donate")
    flood = {client.post(url, {}, REMOTE_ADDR="198.51.100.7").status_code for _ in range(200)}

    assert flood == {400, 429}
    assert give(REMOTE_ADDR="203.0.113.9").status_code == 303


def test_only_attempts_that_reach_stripe_count_toward_the_site_wide_ceiling(give, stripe_api):
    with override_settings(WAGTAIL_SIXDEGREES={**CONFIG, "RATE_LIMIT_GLOBAL_ATTEMPTS": 3}):
        refused = {give(amount="", REMOTE_ADDR=f"10.0.1.{n}").status_code for n in range(10)}
        statuses = [give(REMOTE_ADDR=f"10.0.2.{n}").status_code for n in range(4)]

    assert refused == {400}
    assert statuses == [303, 303, 303, 429]


def test_ipv6_addresses_in_one_slash_64_share_a_budget(give, stripe_api):
    same_network = [give(REMOTE_ADDR=f"2001:db8:1:2::{n:x}").status_code for n in range(1, 7)]
    other_network = give(REMOTE_ADDR="2001:db8:1:3::1").status_code

    assert same_network == [303] * 5 + [429]
    assert other_network == 303


def test_client_key_groups_ipv6_by_slash_64_and_keeps_ipv4_whole():
    def key(address):
        return ratelimit.client_key(RequestFactory().post("/", REMOTE_ADDR=address))

    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff:ffff:ffff:ffff")
    assert key("2001:db8:1:2::1") != key("2001:db8:1:3::1")
    assert key("::ffff:203.0.113.5") == key("203.0.113.5")
    assert key("203.0.113.5") != key("203.0.113.6")


@pytest.mark.parametrize(
    ("header", "proxies", "meta", "expected"),
    [
        ("REMOTE_ADDR", 1, {"REMOTE_ADDR": "203.0.113.5"}, "203.0.113.5"),
        (
            "HTTP_X_FORWARDED_FOR",
            1,
            {"HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.5", "REMOTE_ADDR": "10.0.0.1"},
            "203.0.113.5",
        ),
        (
            "HTTP_X_FORWARDED_FOR",
            2,
            {"HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.5, 10.0.0.2", "REMOTE_ADDR": "10.0.0.1"},
            "203.0.113.5",
        ),
        (
            "HTTP_X_FORWARDED_FOR",
            1,
            {"HTTP_X_FORWARDED_FOR": "junk", "REMOTE_ADDR": "10.0.0.1"},
            "10.0.0.1",
        ),
    ],
)
def test_client_ip_comes_from_the_configured_source(header, proxies, meta, expected):
    request = RequestFactory().post("/", **meta)
    with override_settings(
        WAGTAIL_SIXDEGREES={**CONFIG, "CLIENT_IP_HEADER": header, "TRUSTED_PROXY_COUNT": proxies}
    ):
        assert ratelimit.client_ip(request) == expected


# --- anything a client may post --------------------------------------------------------

junk = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="0123456789.,-\u0e51\u0e52 ", max_size=12),
    st.text(min_size=300, max_size=400),
)
target = st.one_of(
    st.sampled_from(
        [
            "general",
            "need:1",
            "cause:1",
            "region:1",
            "cause:1:region:1",
            "need:999999999999999999999",
        ]
    ),
    junk,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    amount=st.one_of(junk, st.sampled_from(["25", "0", "-5", "1e3", "NaN", "99999999999999999"])),
    currency=st.one_of(st.sampled_from(["USD", "VND", "KWD", "usd", "XXX", ""]), junk),
    frequency=st.one_of(st.sampled_from(["once", "monthly", "weekly"]), junk),
    email=st.one_of(st.just("donor@example.org"), junk),
    targets=st.lists(target, max_size=5),
    shares=st.lists(st.one_of(st.sampled_from(["50", "100", "0", "101", "33"]), junk), max_size=5),
    extra=st.dictionaries(
        st.sampled_from(
            [
                "name",
                "dedication",
                "dedication_kind",
                "locale",
                "page",
                "form",
                "suggested",
                "cover_fees",
            ]
        ),
        junk,
    ),
)
def test_any_post_answers_without_error_and_only_valid_ones_reach_stripe(
    client, stripe_api, amount, currency, frequency, email, targets, shares, extra
):
    Donation.objects.all().delete()
    RecurringGift.objects.all().delete()
    Donor.objects.all().delete()
    stripe_api.requests.clear()
    data = {**extra, "amount": amount, "currency": currency, "frequency": frequency, "email": email}
    data = {
        key: value.replace("\x00", "") if key in ("email",) else value
        for key, value in data.items()
    }
    data["target"], data["share"] = targets, shares
    with override_settings(
        WAGTAIL_SIXDEGREES={
            **CONFIG,
            "RATE_LIMIT_ATTEMPTS": 10_000,
            "RATE_LIMIT_GLOBAL_ATTEMPTS": 10_000,
        }
    ):
        response = client.post(reverse("wagtail_sixdegrees:donate"), data)

    assert response.status_code in (303, 400)
    if response.status_code == 400:
        assert nothing_stored()
        assert stripe_api.requests == []
    else:
        assert Donation.objects.count() == 1
        assert len(stripe_api.requests) == 1


def test_donate_data_helper_posts_a_valid_gift(give, stripe_api):
    assert give(**donate_data()).status_code == 303
