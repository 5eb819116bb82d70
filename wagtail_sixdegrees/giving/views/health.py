"""``health``: 200 when the database, cache, task queue and Stripe keys are usable, else 503."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .. import health as checks


@never_cache
@transaction.non_atomic_requests
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    healthy, answers = checks.report()
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": answers},
        status=200 if healthy else 503,
    )
