"""Registrations with Wagtail, and nothing else."""

from wagtail import hooks
from wagtail.snippets.models import register_snippet

from .panel.viewsets import GivingViewSetGroup
from .stories.dashboard import ExpiringConsentPanel, consent_buttons

register_snippet(GivingViewSetGroup)


@hooks.register("construct_homepage_panels")
def add_expiring_consent_panel(request, panels):
    panels.append(ExpiringConsentPanel(request))


@hooks.register("register_page_header_buttons")
def add_story_consent_header_buttons(page, user, view_name, next_url=None):
    yield from consent_buttons(page, user, next_url)


@hooks.register("register_page_listing_more_buttons")
def add_story_consent_listing_buttons(page, user, next_url=None):
    yield from consent_buttons(page, user, next_url)
