"""``cancel_monthly``: the signed link in monthly receipts. GET asks, POST cancels: link
scanners in mail systems open links, and must never stop a gift."""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ...layout import PublicTemplateResponse
from .. import fulfilment
from ..gateway import StripeError, StripeGateway, describe_failure
from ..receipts import gift_for_token

logger = logging.getLogger(__name__)

TEMPLATE = "wagtail_sixdegrees/giving/cancel_monthly.html"


@transaction.non_atomic_requests  # Stripe is never called inside a transaction (ATOMIC_REQUESTS)
@require_http_methods(["GET", "POST"])
def cancel_monthly(request: HttpRequest, token: str) -> HttpResponse:
    gift = gift_for_token(token)
    if gift is None:
        raise Http404
    context: dict[str, object] = {"gift": gift, "error": None}
    if request.method == "POST" and gift.is_cancellable:
        try:
            subscription = StripeGateway().cancel_subscription(gift.stripe_subscription_id)
        except StripeError as error:
            logger.warning(
                "Could not cancel monthly gift %s (%s)", gift.reference, describe_failure(error)
            )
            context["error"] = _(
                "We could not reach our payment provider, so your gift is not cancelled yet. "
                "Please try again in a few minutes."
            )
            return PublicTemplateResponse(request, TEMPLATE, context, status=502)
        fulfilment.apply_subscription(subscription)
        response = HttpResponseRedirect(request.path)
        response.status_code = 303
        return response
    return PublicTemplateResponse(request, TEMPLATE, context)
