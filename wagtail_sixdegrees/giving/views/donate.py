"""``donate``: the form contract's endpoint (docs/integrators/donate-form-contract.md).

GET shows the plain form. POST counts an attempt against the rate limit, validates, and either
re-renders with errors (400, nothing stored, no Stripe call) or creates the pending donation
and answers 303 to Stripe Checkout.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ...layout import PublicTemplateResponse
from .. import ratelimit
from ..checkout import CheckoutUnavailable, create_pending_donation, start_checkout
from ..form_tokens import accepts_form_token
from ..forms import DonateForm
from ..presentation import donate_form_context, site_settings_for
from ..serving import serve_with_form_errors
from ..streamfields import find_donate_block

logger = logging.getLogger(__name__)

STANDALONE_TEMPLATE = "wagtail_sixdegrees/giving/donate_form_page.html"


class _SeeOther(HttpResponseRedirect):
    status_code = 303


def _standalone(
    request: HttpRequest, form: DonateForm | None, *, form_key: str = "", status: int = 200
) -> TemplateResponse:
    """The plain form page: the site's default form, nothing of any other page."""
    context = donate_form_context(None, request=request, form_key=form_key, form=form)
    return PublicTemplateResponse(request, STANDALONE_TEMPLATE, context, status=status)


def _render_errors(request: HttpRequest, form: DonateForm, status: int) -> HttpResponse:
    """Show the errors where the donor was: in the same block on the same page when a GET of
    that page would show it (see giving/serving.py), otherwise on a plain page holding the
    same form and nothing of the page."""
    page = form.cleaned_data.get("page") if hasattr(form, "cleaned_data") else None
    form_key = (form.data.get("form") or "")[:32]
    if page is not None and form_key and find_donate_block(page, form_key) is not None:
        response = serve_with_form_errors(request, page.specific, form_key, form, status)
        if response is not None:
            return response
    return _standalone(request, form, form_key=form_key, status=status)


def _send_again(request: HttpRequest) -> HttpResponse:
    """A form whose signed token expired: its values back, to send again; nothing stored."""
    form = DonateForm(request.POST, fee_estimate=site_settings_for(request).fee_estimate())
    form.is_valid()
    form.add_error(
        None,
        _(
            "This form was open too long to be sent safely. Please check your gift below and send it again."
        ),
    )
    return _render_errors(request, form, status=400)


def _too_many(
    request: HttpRequest, form: DonateForm, decision: ratelimit.Decision, message: str
) -> HttpResponse:
    form.add_error(None, message % {"minutes": max(1, decision.retry_after // 60)})
    response = _render_errors(request, form, status=429)
    response["Retry-After"] = str(decision.retry_after)
    return response


# CSRF as usual, or the signed token of a form rendered without a request (giving.form_tokens)
@accepts_form_token(stale=_send_again)
@transaction.non_atomic_requests  # the pending donation must be committed before Stripe is asked
@require_http_methods(["GET", "POST"])
def donate(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _standalone(request, None)

    site_settings = site_settings_for(request)
    form = DonateForm(request.POST, fee_estimate=site_settings.fee_estimate())
    decision = ratelimit.attempt(request)
    if not decision.allowed:
        form.is_valid()  # so the donor's values are shown back
        return _too_many(
            request,
            form,
            decision,
            _(
                "Too many attempts from your connection. Please wait %(minutes)d minutes and try again."
            ),
        )
    if not form.is_valid() or form.gift is None:
        return _render_errors(request, form, status=400)
    # Only attempts about to reach Stripe count site-wide: refused and invalid posts from one
    # address must not close the form to everyone else.
    decision = ratelimit.checkout_attempt()
    if not decision.allowed:
        return _too_many(
            request,
            form,
            decision,
            _(
                "We are receiving more gifts than usual right now. Please wait %(minutes)d minutes and try again."
            ),
        )

    gift = form.gift
    donation = create_pending_donation(gift, site_settings.site if site_settings.site_id else None)
    cancel_url = (
        gift.page.get_full_url(request) if gift.page is not None else None
    ) or request.build_absolute_uri("/")
    try:
        url = start_checkout(
            donation, request, cancel_url=cancel_url, organisation=site_settings.organisation
        )
    except CheckoutUnavailable:
        form.add_error(
            None,
            _(
                "We could not reach our payment provider, and nothing was charged. Please try again in a few minutes."
            ),
        )
        return _render_errors(request, form, status=502)
    return _SeeOther(url)
