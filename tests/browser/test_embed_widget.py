"""The donate widget embedded in a plain HTML page of another site (a second loopback port).

The host page is served by Python's http.server on 127.0.0.1, the widget by the live server on
localhost: two different sites, as for a partner or a crowdfunding platform.
"""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.factories import make_need
from tests.postgres import free_port
from wagtail_sixdegrees.models import Donation

pytestmark = pytest.mark.django_db(transaction=True)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def partner_site(tmp_path):
    """A non-Wagtail site on its own loopback port; ``publish(html)`` serves a page there."""
    port = free_port()
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, name="partner-site", daemon=True).start()
    origin = f"http://127.0.0.1:{port}"

    def publish(html: str) -> str:
        (tmp_path / "index.html").write_text(html, encoding="utf-8")
        return f"{origin}/index.html"

    publish.origin = origin
    yield publish
    server.shutdown()
    server.server_close()


def host_page(widget_url: str) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Fictional partner campaign</title></head><body>"
        "<h1>Fictional partner campaign</h1>"
        f"<iframe id='widget' src='{widget_url}' title='Make a gift' "
        "style='width: 100%; height: 1400px; border: 0'></iframe>"
        "</body></html>"
    )


def allow(settings, *origins: str) -> None:
    settings.WAGTAIL_SIXDEGREES = {
        **settings.WAGTAIL_SIXDEGREES,
        "EMBED_ALLOWED_ORIGINS": list(origins),
    }


def test_widget_on_an_allowed_site_takes_the_donor_to_checkout_in_the_top_window(
    page, live_server, checkout_server, partner_site, settings
):
    need = make_need(title="Fictional shelter beds")
    allow(settings, partner_site.origin)
    url = partner_site(host_page(f"{live_server.url}/giving/embed/donate/?target=need:{need.pk}"))

    page.goto(url)
    widget = page.frame_locator("#widget")
    expect(widget.get_by_text("Fictional shelter beds")).to_be_visible()
    widget.get_by_label("Amount", exact=True).fill("30")
    widget.get_by_label("Email").fill("widget-donor@example.org")
    widget.get_by_role("button", name="Continue to secure payment").click()

    page.wait_for_url("**/checkout/**")  # the top window left the partner's page
    expect(page.get_by_text("30.00 USD")).to_be_visible()
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/giving/thanks/**")
    expect(page.get_by_role("heading", name="Thank you for your gift")).to_be_visible()
    donation = Donation.objects.get()
    assert (donation.status, donation.amount) == ("paid", 3000)
    assert [p.need_id for p in donation.preferences.all()] == [need.pk]


def test_widget_refuses_to_appear_on_a_site_that_is_not_allowed(
    page, live_server, partner_site, settings
):
    allow(settings, "https://partner.example")
    widget_url = f"{live_server.url}/giving/embed/donate/"
    url = partner_site(host_page(widget_url))
    refusals: list[str] = []
    page.on("console", lambda message: refusals.append(message.text))

    with page.expect_response(widget_url) as answer:
        page.goto(url)
    assert answer.value.headers["content-security-policy"] == (
        "frame-ancestors 'self' https://partner.example"
    )
    expect(page.get_by_role("heading", name="Fictional partner campaign")).to_be_visible()
    page.wait_for_timeout(500)  # let Chromium settle the blocked frame
    frame = next(f for f in page.frames if f != page.main_frame)
    assert frame.url != widget_url  # Chromium replaced the blocked document with an error page
    assert page.frame_locator("#widget").get_by_label("Email").count() == 0
    assert any("frame-ancestors" in text for text in refusals), refusals


def test_widget_and_impact_page_pass_an_accessibility_audit(page, live_server):
    from axe_playwright_python.sync_playwright import Axe

    from tests.factories import impact_path, make_need_update, make_paid_donation, need_pref
    from wagtail_sixdegrees.allocation import ledger

    need = make_need(title="Fictional shelter beds")
    donation = make_paid_donation(preferences=[need_pref(need)], wants_updates=True)
    ledger.allocate()
    make_need_update(need, title="Fictional beds are ready")
    axe = Axe()
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}}
    for path in (f"/giving/embed/donate/?target=need:{need.pk}", impact_path(donation)):
        page.goto(live_server.url + path)
        results = axe.run(page, options=options)
        assert results.violations_count == 0, results.generate_report()
