"""``donate``: the form contract's endpoint (DESIGN section 7).

GET shows the plain form. POST counts an attempt against the rate limit, validates, and either
re-renders with errors (400, nothing stored, no Stripe call) or creates the pending donation
and answers 303 to Stripe Checkout.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ...transparency.embed import accepts_embed_token
from .. import ratelimit
from ..checkout import CheckoutUnavailable, create_pending_donation, start_checkout
from ..forms import DonateForm
from ..presentation import BOUND_FORM_ATTRIBUTE, donate_form_context, site_settings_for
from ..streamfields import find_donate_block

logger = logging.getLogger(__name__)

STANDALONE_TEMPLATE = "wagtail_sixdegrees/giving/donate_form_page.html"


class _SeeOther(HttpResponseRedirect):
    status_code = 303


def _standalone(
    request: HttpRequest,
    form: DonateForm | None,
    *,
    value: Any = None,
    page: Any = None,
    form_key: str = "",
    status: int = 200,
) -> TemplateResponse:
    context = donate_form_context(value, request=request, page=page, form_key=form_key, form=form)
    return TemplateResponse(request, STANDALONE_TEMPLATE, context, status=status)


def _render_errors(request: HttpRequest, form: DonateForm, status: int) -> HttpResponse:
    """Show the errors where the donor was: in the same block on the same page when we can,
    otherwise on a plain page holding the same form."""
    page = form.cleaned_data.get("page") if hasattr(form, "cleaned_data") else None
    form_key = (form.data.get("form") or "")[:32]
    found = find_donate_block(page, form_key) if page is not None and form_key else None
    if found is not None and not page.get_view_restrictions().exists():
        specific = page.specific
        setattr(request, BOUND_FORM_ATTRIBUTE, (form_key, form))
        request.is_preview = False
        return TemplateResponse(
            request,
            specific.get_template(request),
            specific.get_context(request),
            status=status,
        )
    return _standalone(
        request,
        form,
        value=found,
        page=page if found is not None else None,
        form_key=form_key,
        status=status,
    )


def _too_many(
    request: HttpRequest, form: DonateForm, decision: ratelimit.Decision, message: str
) -> HttpResponse:
    form.add_error(None, message % {"minutes": max(1, decision.retry_after // 60)})
    response = _render_errors(request, form, status=429)
    response["Retry-After"] = str(decision.retry_after)
    return response


@accepts_embed_token  # CSRF as usual, or the embedded widget's signed form token
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
