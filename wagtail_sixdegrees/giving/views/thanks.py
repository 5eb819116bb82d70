"""``thanks``: where Stripe sends the donor back. If the webhook has not arrived yet, ask Stripe
and record the outcome through the same fulfilment code, so the donor sees the truth."""

from __future__ import annotations

import logging
import uuid

from django.core.cache import caches
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from ... import conf
from ...layout import PublicTemplateResponse
from .. import fulfilment, make_monthly
from ..gateway import StripeError, StripeGateway, describe_failure
from ..models import Donation
from ..presentation import site_settings_for

logger = logging.getLogger(__name__)

#: Ask Stripe at most once per this many seconds per donation, however often the page reloads.
RECHECK_SECONDS = 5


def _reconcile(donation: Donation) -> None:
    cache = caches[conf.get_setting("RATE_LIMIT_CACHE")]
    if not cache.add(f"sixdegrees:thanks:{donation.pk}", 1, RECHECK_SECONDS):
        return
    gateway = StripeGateway()
    try:
        session = gateway.retrieve_checkout_session(donation.stripe_checkout_session_id)
        fulfilment.apply_checkout_session(session, gateway)
    except StripeError as error:
        logger.warning(
            "Could not check donation %s with Stripe (%s)",
            donation.reference,
            describe_failure(error),
        )


@transaction.non_atomic_requests
@require_GET
def thanks(request: HttpRequest) -> HttpResponse:
    try:
        reference = uuid.UUID(request.GET.get("donation", ""))
    except ValueError as error:
        raise Http404 from error
    session_id = request.GET.get("session_id", "")
    # Both the reference and Stripe's session id: a guessed or leaked reference alone shows nothing.
    donation = (
        Donation.objects.select_related("donor")
        .filter(reference=reference, stripe_checkout_session_id=session_id)
        .first()
    )
    if donation is None or not session_id:
        raise Http404
    if donation.status == Donation.Status.PENDING:
        _reconcile(donation)
        donation.refresh_from_db()
    context = {
        "donation": donation,
        "preferences": donation.preferences.select_related("need", "cause", "region"),
        "settings": site_settings_for(request),
        "retry_url": donation.page.url if donation.page_id and donation.page else None,
        "make_monthly": make_monthly.offer(donation),
    }
    return PublicTemplateResponse(request, "wagtail_sixdegrees/giving/thanks.html", context)
