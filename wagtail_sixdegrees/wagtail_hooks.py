"""Registrations with Wagtail, and nothing else."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet

from .giving.fulfilment import MISMATCH_RESOLVED_LOG_ACTION
from .giving.refunds import LOG_ACTION as REFUND_LOG_ACTION
from .panel import dashboard, permissions, poster_buttons
from .panel.viewsets import GivingViewSetGroup
from .stories import cards, reidentification_check
from .stories.bulk_actions import refuse_bulk_publishing_of_unpublishable_stories
from .stories.dashboard import ExpiringConsentPanel, consent_buttons
from .stories.panels import warn_of_findings_on_submit

try:
    from wagtail.permissions import register_permission_policy
except ImportError:  # Wagtail 7.4: no policy registry; the panel's viewsets carry their policies.
    pass
else:
    # Before any viewset asks Wagtail for a policy (which would create a fallback one).
    for model, policy in permissions.policies().items():
        register_permission_policy(model, policy)

register_snippet(GivingViewSetGroup)

hooks.register("construct_homepage_panels", dashboard.add_home_panel)
hooks.register("after_create_page", warn_of_findings_on_submit)
hooks.register("after_edit_page", warn_of_findings_on_submit)
hooks.register("before_bulk_action", refuse_bulk_publishing_of_unpublishable_stories)


@hooks.register("register_log_actions")
def register_giving_log_actions(actions):
    actions.register_action(REFUND_LOG_ACTION, _("Refund requested"), _("Refund requested"))
    actions.register_action(
        MISMATCH_RESOLVED_LOG_ACTION,
        _("Payment that did not match resolved"),
        _("Payment that did not match resolved"),
    )
    actions.register_action(
        cards.LOG_ISSUED, _("Withdrawal card issued"), _("Withdrawal card issued")
    )
    actions.register_action(
        cards.LOG_REVOKED, _("Withdrawal card revoked"), _("Withdrawal card revoked")
    )
    actions.register_action(
        reidentification_check.LOG_ACKNOWLEDGED,
        _("Re-identification finding acknowledged"),
        _("Re-identification finding acknowledged"),
    )
    actions.register_action(
        reidentification_check.LOG_TERMS_CHANGED,
        _("Never-publish terms changed"),
        _("Never-publish terms changed"),
    )
    actions.register_action(
        cards.LOG_USED,
        _("Consent withdrawn with the survivor's card"),
        _("Consent withdrawn with the survivor's card"),
    )


@hooks.register("construct_homepage_panels")
def add_expiring_consent_panel(request, panels):
    panels.append(ExpiringConsentPanel(request))


@hooks.register("register_page_header_buttons")
def add_story_consent_header_buttons(page, user, view_name, next_url=None):
    yield from consent_buttons(page, user, next_url)


@hooks.register("register_page_listing_more_buttons")
def add_story_consent_listing_buttons(page, user, next_url=None):
    yield from consent_buttons(page, user, next_url)


@hooks.register("register_page_header_buttons")
def add_poster_header_button(page, user, view_name, next_url=None):
    yield from poster_buttons.for_page(page, user)


@hooks.register("register_page_listing_more_buttons")
def add_poster_listing_button(page, user, next_url=None):
    yield from poster_buttons.for_page(page, user)


@hooks.register("register_snippet_listing_buttons")
def add_need_poster_button(snippet, user, next_url=None):
    yield from poster_buttons.for_need(snippet, user)
