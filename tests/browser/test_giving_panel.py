"""A giving manager's month in a real browser: the dashboard, a previewed and committed run
that fills a need, and a reallocation from the general pool.

The screenshots in docs/managers/guide.md come from this test. They are written to
docs/managers/img/ when SIXDEGREES_SCREENSHOTS is set (``make screenshots``), and to a temporary
folder otherwise, so a test run leaves the checkout unchanged.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect

from tests.factories import (
    cause_pref,
    general_pref,
    make_cause,
    make_need,
    make_paid_donation,
    make_partner,
    make_region,
    need_pref,
    panel_user,
)
from wagtail_sixdegrees.allocation import ledger

pytestmark = pytest.mark.django_db(transaction=True)

DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "managers" / "img"
VIEWPORT = {"width": 1200, "height": 760}


@pytest.fixture
def signed_in_user():
    """The person signed in by ``logged_in_page``: a giving manager, not a superuser."""
    return panel_user("manager", username="manager")


@pytest.fixture
def shots(tmp_path):
    folder = DOCS_IMAGES if os.environ.get("SIXDEGREES_SCREENSHOTS") else tmp_path

    def shoot(page: Page, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path))
        # 128 colours are plenty for the admin's flat design, at a fraction of the size.
        Image.open(path).convert("RGB").quantize(colors=128).save(path, optimize=True)
        return path

    return shoot


@pytest.fixture
def month_of_giving():
    """Fictional gifts over the last year, a restricted pool waiting for a need that has just
    opened, and money in the general pool."""
    now = timezone.now()
    shelter, safe_return = make_cause("Shelter"), make_cause("Safe return")
    province = make_region("Chiang Rai Province")
    partner = make_partner("Harbour House (fictional)")
    beds = make_need(
        title="Six months of safe shelter",
        cause=shelter,
        region=province,
        partner=partner,
        target_amount=600_000,
    )
    for month in range(12):
        paid_at = now - datetime.timedelta(days=30 * month + 3)
        make_paid_donation(
            4_000 + 900 * (month % 5),
            fee=150,
            paid_at=paid_at,
            preferences=[need_pref(beds, 5_000), general_pref(5_000)],
        )
        make_paid_donation(
            150_000 + 20_000 * (month % 3),
            "THB",
            fee=5_000,
            paid_at=paid_at,
            preferences=[general_pref()],
        )
    make_paid_donation(500_000, "VND", fee=17_000, preferences=[general_pref()])
    make_paid_donation(20_000, preferences=[cause_pref(safe_return)], paid_at=now)
    ledger.allocate()
    fares = make_need(
        title="Bus fares home",
        cause=safe_return,
        region=province,
        partner=partner,
        target_amount=50_000,
    )
    return {"beds": beds, "fares": fares}


def open_screen(page: Page, label: str) -> None:
    page.get_by_role("button", name="Giving").click()
    page.get_by_role("list", name="Giving").get_by_role("link", name=label, exact=True).click()


def progress_of(page: Page, title: str):
    return page.get_by_role("row").filter(has_text=title)


def test_manager_previews_and_commits_a_run_then_reallocates(
    logged_in_page, live_server, month_of_giving, shots
):
    page = logged_in_page
    page.set_viewport_size(VIEWPORT)
    page.reload()  # signed in before the gifts were made
    expect(page.get_by_role("heading", name="Giving")).to_be_visible()
    expect(page.get_by_text("Waiting for allocation:")).to_be_visible()
    shots(page, "home-panel")

    open_screen(page, "Dashboard")
    expect(page.get_by_role("heading", name="Waiting for allocation")).to_be_visible()
    expect(page.locator("svg[role=img] title").first).to_contain_text("Given in THB per month")
    shots(page, "dashboard")
    page.get_by_role("heading", name="Giving per month").scroll_into_view_if_needed()
    shots(page, "dashboard-monthly")

    open_screen(page, "Needs progress")
    fares = progress_of(page, "Bus fares home")
    expect(fares).to_contain_text("0%")

    open_screen(page, "Allocation runs")
    page.get_by_role("link", name="Preview allocation").click()
    page.get_by_role("button", name="Make a preview").click()
    expect(page.get_by_role("heading", name="Needs", exact=True)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Bus fares home")).to_contain_text("+$200.00")
    shots(page, "run-preview")
    page.get_by_role("button", name="Commit this run").click()
    expect(page.get_by_text("is committed")).to_be_visible()

    open_screen(page, "Needs progress")
    expect(progress_of(page, "Bus fares home")).to_contain_text("40%")
    shots(page, "needs-progress")

    open_screen(page, "Reallocate")
    page.get_by_label("Move money from").select_option("general:USD")
    page.get_by_label("To the need").select_option(str(month_of_giving["fares"].pk))
    page.get_by_label("Amount").fill("100")
    page.get_by_label("Reason").fill("Fictional: the journeys home are this month's priority.")
    shots(page, "reallocate")
    page.get_by_role("button", name="Move the money").click()
    expect(page.get_by_text("$100.00 moved to Bus fares home.")).to_be_visible()
    expect(progress_of(page, "Bus fares home")).to_contain_text("60%")

    open_screen(page, "Donations")
    page.get_by_role("link", name="Date").first.wait_for()
    shots(page, "donations")
    page.locator("td.title a").first.click()
    expect(page.get_by_role("heading", name="Where the money is now")).to_be_visible()
    shots(page, "donation")

    open_screen(page, "Disbursements")
    page.get_by_role("link", name="Record disbursement").first.click()
    page.get_by_label("Need").select_option(str(month_of_giving["beds"].pk))
    page.get_by_label("Amount").fill("50")
    page.get_by_label("Payment reference").fill("FICTIONAL-TRANSFER-7")
    shots(page, "disbursement")
    page.get_by_role("button", name="Record disbursement").click()
    expect(page.get_by_text("Recorded $50.00 paid to Harbour House (fictional)")).to_be_visible()

    open_screen(page, "Audit")
    expect(page.get_by_text("Every check passed")).to_be_visible()
    shots(page, "audit")


WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}}


@pytest.mark.parametrize(
    ("screen", "region"),
    [
        ("Dashboard", ".sd-dashboard"),
        ("Reallocate", "form.sd-form"),
        ("Needs progress", "#listing-results"),
    ],
)
def test_the_panels_own_content_meets_wcag_aa(
    logged_in_page, live_server, month_of_giving, screen, region
):
    from axe_playwright_python.sync_playwright import Axe

    page = logged_in_page
    open_screen(page, screen)
    page.locator(region).wait_for()
    results = Axe().run(page, context=region, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


def test_restricted_pools_page_by_keyboard_and_meet_wcag_aa(logged_in_page, live_server):
    """Hundreds of restricted pools are shown a page at a time: plain links a keyboard reaches,
    back to the table's heading, the current page announced, and no WCAG AA violation."""
    from axe_playwright_python.sync_playwright import Axe

    for index in range(25):
        make_paid_donation(
            1_000 + index, preferences=[cause_pref(make_cause(f"Fictional cause {index:02d}"))]
        )
    ledger.allocate()
    page = logged_in_page
    page.set_viewport_size(VIEWPORT)
    open_screen(page, "Dashboard")
    pages = page.get_by_role("navigation", name="Pages of restricted pools")
    expect(pages).to_contain_text("Page 1 of 3")
    expect(pages.get_by_role("link", name="1", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    next_link = pages.get_by_role("link", name="Next")
    next_link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/?pools=2#sd-restricted")
    table = page.get_by_role("table", name="Restricted pools, page 2 of 3")
    expect(table).to_contain_text("Fictional cause 10")
    expect(table).not_to_contain_text("Fictional cause 09")
    results = Axe().run(page, context=".sd-dashboard", options=WCAG)
    assert results.violations_count == 0, results.generate_report()
