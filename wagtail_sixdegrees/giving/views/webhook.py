"""``stripe_webhook``: verify, store, process; 2xx only once the event is applied."""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..gateway import SignatureVerificationError, verify_event
from ..webhooks import MalformedEvent, process_event, store_event

logger = logging.getLogger(__name__)


@transaction.non_atomic_requests  # our own transactions decide what is committed when
@csrf_exempt  # Stripe signs its requests instead
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        payload = verify_event(request.body, request.headers.get("Stripe-Signature"))
        event = store_event(payload)
    except (SignatureVerificationError, MalformedEvent) as error:
        logger.warning("Refused a Stripe webhook: %s", error)
        return JsonResponse({"error": "invalid signature or payload"}, status=400)
    try:
        event = process_event(event.stripe_id, payload=payload, stored=event)
    except Exception:
        # Kept on the event (last_error); Stripe retries for three days.
        logger.exception("Processing Stripe event %s (%s) failed", event.stripe_id, event.type)
        return JsonResponse({"error": "processing failed, please retry"}, status=500)
    return JsonResponse({"received": event.stripe_id, "outcome": event.outcome})
