"""The phone-first donate form (issue 20) and its deep links (issue 15, item 6), as HTML.

The block opens on one clear default: the page's need chosen, only the selected currency's
amounts, each saying what it buys when the need carries a unit (rounded down, never more than
the gift pays for). Links such as ``?amount=25&currency=USD&frequency=monthly&target=need:12``
prepare a gift; a value that does not fit is ignored and the default shown, never an error.
The browser side (first screen, taps, touch sizes, axe, weight) is tests/browser/test_phone_form.py.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ValidationError
from wagtail.models import Site

from tests.factories import make_need, need_edit_data
from wagtail_sixdegrees import money
from wagtail_sixdegrees.giving.impact import impact_line
from wagtail_sixdegrees.giving.models import GivingSettings
from wagtail_sixdegrees.models import DonatePage

pytestmark = pytest.mark.django_db


def night_need(**fields):
    fields = {
        "title": "Fictional shelter nights",
        "unit_name": "shelter night",
        "unit_name_plural": "shelter nights",
        "unit_cost": 500,
        **fields,
    }
    need = make_need(**fields)
    need.save_revision().publish()
    return need


def suggest(**amounts: str) -> None:
    settings = GivingSettings.for_site(Site.objects.get(is_default_site=True))
    settings.currency_options = [
        ("currency", {"currency": code, "amounts": text, "fixed_fee": "", "impact_lines": ""})
        for code, text in amounts.items()
    ]
    settings.save()


def donate_page(**block):
    block = {"mode": "choose", "frequencies": ["once", "monthly"], **block}
    root = Site.objects.get(is_default_site=True).root_page
    page = DonatePage(title="Give to fictional needs", slug="give", body=[("donate", block)])
    root.add_child(instance=page)
    return page


def shown(html: str) -> str:
    """The form as a browser shows it without JavaScript: <template> content is inert."""
    return re.sub(r"<template\b.*?</template>", "", html, flags=re.S)


def checked_values(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([^"]*)" checked', shown(html))


# --- Impact in words --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "unit_cost", "expected"),
    [
        (2500, 500, 5),
        (2999, 500, 5),
        (499, 500, 0),
        (0, 500, 0),
        (-100, 500, 0),
        (10**12, 7, 10**12 // 7),
    ],
)
def test_whole_units_round_down_so_a_gift_never_promises_more(amount, unit_cost, expected):
    assert money.whole_units(amount, unit_cost) == expected
    assert money.whole_units(amount, unit_cost) * unit_cost <= max(amount, 0)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (2500, "USD", "pays for 5 shelter nights"),
        (500, "USD", "pays for 1 shelter night"),
        (2600, "USD", "pays for 5 shelter nights"),  # 1.00 left over: still five, not six
        (400, "USD", ""),  # less than one night
        (900, "USD", ""),  # one night and 4.00 left over: "one night" would mislead
        (2500, "THB", ""),  # another currency: we never convert
    ],
)
def test_a_preset_says_what_it_buys_only_when_the_unit_divides_sensibly(amount, currency, expected):
    assert impact_line(amount, currency, night_need()) == expected


def test_a_need_without_a_unit_gets_no_line():
    assert impact_line(2500, "USD", make_need()) == ""


def test_presets_show_what_they_buy_for_the_pages_need(client):
    need = night_need()
    suggest(USD="10 25 50")
    body = client.get(donate_page(needs=[need]).url).content.decode()
    assert '$25</span> <span class="sd-preset__impact">pays for 5 shelter nights' in body
    assert "pays for 10 shelter nights" in body


def test_editors_override_or_remove_a_presets_line(client):
    need = night_need()
    block = {
        "needs": [need],
        "suggested_amounts": [
            {"currency": "USD", "amounts": "10 25 50", "impact_lines": "a week of meals\n\n-"}
        ],
    }
    body = shown(client.get(donate_page(**block).url).content.decode())
    assert "a week of meals" in body
    assert "pays for 5 shelter nights" in body  # the empty line keeps the computed one
    assert "pays for 10 shelter nights" not in body  # "-" shows none


def test_a_unit_cost_needs_a_unit_name_and_must_be_positive():
    need = make_need()
    need.unit_cost = 500
    with pytest.raises(ValidationError, match="Name the unit"):
        need.full_clean()
    need.unit_name, need.unit_cost = "night", 0
    with pytest.raises(ValidationError, match="more than zero"):
        need.full_clean()


# --- One clear default ------------------------------------------------------------------


def test_the_form_opens_on_the_pages_need_and_its_currency(client):
    need = night_need(currency="THB", unit_cost=15_000)
    suggest(USD="10 25 50", THB="300 500 1000")
    body = client.get(donate_page(needs=[need]).url).content.decode()
    assert checked_values(body, "target") == [f"need:{need.pk}"]
    assert re.search(r'<option value="THB" selected>', body)
    visible = re.findall(r'name="suggested" value="([A-Z]{3}):', shown(body))
    assert visible == ["THB", "THB", "THB"]
    # The other currencies' amounts wait, inert, for the script to show them.
    assert '<template data-sd-presets-for="USD">' in body


def test_a_split_form_starts_with_the_pages_need_as_its_only_choice(client):
    need, other = night_need(), make_need(title="Fictional legal fees")
    body = client.get(donate_page(mode="split", needs=[need, other]).url).content.decode()
    assert re.search(rf'<option value="need:{need.pk}" selected>', body)
    assert body.count(" selected>") == 2  # the currency and the first choice only
    assert '<p class="sd-chosen">Fictional shelter nights</p>' in body


def test_without_a_need_on_the_page_the_form_opens_on_where_most_needed(client):
    make_need()
    body = client.get(donate_page().url).content.decode()
    assert checked_values(body, "target") == ["general"]


def test_options_wait_behind_disclosures_that_errors_open(client, give, stripe_api):
    page = donate_page(heading="Fictional heading")
    html = client.get(page.url).content.decode()
    assert '<details class="sd-details" open>' not in html
    form_key = html.split('name="form" value="')[1].split('"')[0]

    response = give(dedication="x" * 201, page=str(page.pk), form=form_key)

    body = response.content.decode()
    opened = re.findall(r'<details class="sd-details" open>\s*<summary>([^<]*)<', body)
    assert opened == ["More options"]  # the dedication's error (and the name given)
    more = body.split("<summary>More options</summary>")[1].split("</details>")[0]
    legends = re.findall(r"<legend>([^<]*)</legend>", more)
    assert legends == [
        "Your name, anonymity and updates",
        "Dedication (optional)",
        "Cover the payment fee",
    ]


# --- Trust near the button --------------------------------------------------------------


def test_the_button_is_followed_by_progress_reach_and_the_local_methods(client, settings):
    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "PAYMENT_METHODS": {"THB": ["card", "promptpay"]},
    }
    need = night_need(currency="THB", unit_cost=15_000)
    body = client.get(donate_page(needs=[need]).url).content.decode()
    trust = " ".join(body.split('class="sd-trust"')[1].split())
    assert "THB0.00 raised of THB1,000.00" in trust
    assert "About 97.1% of your gift reaches the cause after the payment fee" in trust
    thb = re.search(r'<p class="sd-hint" data-sd-methods="THB">(.*?)</p>', trust, re.S).group(1)
    assert "with card or PromptPay" in thb
    assert "Monthly gifts are paid by card only." in thb
    usd = re.search(r'data-sd-methods="USD" hidden>(.*?)</p>', trust, re.S).group(1)
    assert "by card or a local method where available" in usd
    assert "card only" not in usd


def test_without_javascript_another_currencys_amounts_are_one_link_away(client):
    suggest(USD="10 25 50", THB="300 500 1000")
    page = donate_page()
    body = client.get(page.url).content.decode()
    noscript = body.split("<noscript>")[1].split("</noscript>")[0]
    link = re.search(r'href="(\?currency=THB[^"]*)"', noscript).group(1)
    thai = client.get(page.url + link.split("#")[0]).content.decode()
    assert re.findall(r'name="suggested" value="([A-Z]{3}):', shown(thai)) == ["THB"] * 3


# --- Deep links -------------------------------------------------------------------------


def test_a_deep_link_prepares_amount_currency_frequency_and_need(client):
    need, other = night_need(), make_need(title="Fictional legal fees")
    suggest(USD="10 25 50", THB="300 500 1000")
    page = donate_page(needs=[need, other])
    query = urlencode(
        {"amount": "25", "currency": "USD", "frequency": "monthly", "target": f"need:{other.pk}"}
    )
    body = client.get(f"{page.url}?{query}").content.decode()
    assert checked_values(body, "suggested") == ["USD:25.00"]
    assert checked_values(body, "frequency") == ["monthly"]
    assert checked_values(body, "target") == [f"need:{other.pk}"]


def test_a_deep_link_amount_that_is_not_a_preset_fills_the_amount_field(client):
    suggest(USD="10 25 50")
    page = donate_page()
    body = client.get(f"{page.url}?amount=30&currency=USD").content.decode()
    assert 'name="amount" value="30.00"' in body
    assert checked_values(body, "suggested") == []


def test_a_deep_link_works_on_the_plain_donate_page_and_the_split_form(client):
    need = night_need(currency="THB", unit_cost=15_000)
    body = client.get(f"/giving/donate/?target=need:{need.pk}&amount=750").content.decode()
    assert checked_values(body, "target") == [f"need:{need.pk}"]
    assert re.search(r'<option value="THB" selected>', body)
    assert 'name="amount" value="750.00"' in body
    split = donate_page(mode="split")
    body = client.get(f"{split.url}?target=need:{need.pk}").content.decode()
    assert re.search(rf'<option value="need:{need.pk}" selected>', body)


def test_a_deep_link_whose_currency_contradicts_its_need_keeps_the_currency_only(client):
    need = night_need(currency="THB", unit_cost=15_000)
    page = donate_page(needs=[need])
    body = client.get(f"{page.url}?currency=USD&target=need:{need.pk}").content.decode()
    assert re.search(r'<option value="USD" selected>', body)
    assert checked_values(body, "target") == ["general"]


HOSTILE = [
    {"amount": "abc"},
    {"amount": "-25"},
    {"amount": "0.001"},
    {"amount": "1e9"},
    {"amount": "99999999999999999999"},
    {"amount": "<script>alert(1)</script>"},
    {"amount": "25" * 200},
    {"currency": "XXX"},
    {"currency": "usd'--"},
    {"currency": "\x00USD"},
    {"frequency": "weekly"},
    {"frequency": "<b>monthly</b>"},
    {"target": "need:999999999"},
    {"target": "need:1 OR 1=1"},
    {"target": "need:99999999999999999999999"},
    {"target": "general\x00"},
    {"target": "cause:abc:region:1"},
    {"target": "need:%s"},
]


@pytest.mark.parametrize("query", HOSTILE, ids=lambda q: repr(q)[:40])
def test_a_deep_link_value_that_does_not_fit_is_ignored_and_the_default_shown(client, query):
    need = night_need()
    suggest(USD="10 25 50")
    page = donate_page(needs=[need])
    default = client.get(page.url).content.decode()

    response = client.get(f"{page.url}?{urlencode(query)}")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' not in body
    for name in ("target", "frequency", "suggested"):
        assert checked_values(body, name) == checked_values(default, name)
    assert 'name="amount" value=""' in body
    assert "<script>alert" not in body and "<b>monthly" not in body


def test_repeated_deep_link_values_never_fail(client):
    page = donate_page()
    response = client.get(f"{page.url}?amount=25&amount=x&currency=USD&currency=THB&target=a")
    assert response.status_code == 200


def test_editors_type_a_units_cost_in_major_units(admin_client):
    from django.urls import reverse

    from wagtail_sixdegrees.models import Need

    need = make_need(currency="USD")
    data = need_edit_data(
        need,
        currency="USD",
        unit_name="shelter night",
        unit_name_plural="shelter nights",
        unit_cost="5.50",
    )
    edit = reverse(Need.snippet_viewset.get_url_name("edit"), args=[need.pk])
    assert admin_client.post(edit, data).status_code == 302
    need.refresh_from_db()
    assert (need.unit_name, need.unit_cost) == ("shelter night", 550)

    response = admin_client.post(edit, {**data, "unit_cost": "5.505"})
    assert response.status_code == 200  # the form again, with the error
    need.refresh_from_db()
    assert need.unit_cost == 550


def test_the_stylesheet_uses_logical_properties_so_right_to_left_pages_mirror():
    from pathlib import Path

    import wagtail_sixdegrees

    css = (
        Path(wagtail_sixdegrees.__file__).parent / "static/wagtail_sixdegrees/css/sixdegrees.css"
    ).read_text()
    rules = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    physical = re.findall(
        r"(?:margin|padding|border)-(?:left|right)\b|(?:text-align|float|clear)\s*:\s*(?:left|right)"
        r"|[{;\s](?:left|right)\s*:",
        rules,
    )
    assert physical == []
