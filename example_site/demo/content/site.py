"""The example site's home page, Wagtail site record and the demo admin login."""

from __future__ import annotations

import os
import secrets
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.auth import get_user_model
from home.models import HomePage
from wagtail.models import Locale, Page, Site

DEMO_USERNAME = "demo-admin"

HOME_INTRO = (
    "<p>This is a demonstration of <b>wagtail-sixdegrees</b>: survivors' stories told safely, "
    "gifts given with preferences, and every gift allocated exactly as its donor asked.</p>"
    "<p><b>Everything on this site is fictional.</b> No story, name, partner or need here "
    "describes a real person or organisation.</p>"
)


def ensure_home_page() -> HomePage:
    """One HomePage at the site root, replacing Wagtail's default welcome page."""
    home = HomePage.objects.filter(locale=Locale.get_default()).first()
    root = Page.get_first_root_node()
    if home is None:
        home = HomePage(title="Six Degrees example", slug="home-demo", intro=HOME_INTRO)
        root.add_child(instance=home)
        home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site(hostname="localhost", port=80, is_default_site=True)
    # Links in emails (receipts, impact pages, updates) are built from the site's address:
    # make it the one the demo is served on.
    served = urlparse(settings.WAGTAILADMIN_BASE_URL)
    site.hostname = served.hostname or site.hostname
    site.port = served.port or (443 if served.scheme == "https" else 80)
    site.root_page = home
    site.site_name = "Six Degrees example site"
    site.save()
    # Wagtail's "Welcome to your new Wagtail site!" page is not ours: remove it once unused.
    for page in root.get_children().exclude(pk=home.pk).filter(content_type__model="page"):
        page.delete()
    return home


def ensure_admin_login() -> tuple[str, str]:
    """A superuser for the demo; a fresh password each run unless SIXDEGREES_DEMO_PASSWORD is set."""
    password = os.environ.get("SIXDEGREES_DEMO_PASSWORD") or secrets.token_urlsafe(12)
    user, _created = get_user_model().objects.get_or_create(
        username=DEMO_USERNAME,
        defaults={"email": "demo-admin@example.org", "is_staff": True, "is_superuser": True},
    )
    user.is_staff = user.is_superuser = True
    user.set_password(password)
    user.save()
    return DEMO_USERNAME, password
