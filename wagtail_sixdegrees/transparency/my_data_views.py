"""A donor's data rights from *My giving*: download everything we hold, or be forgotten.

Here, not in ``giving/views/my_giving.py``, because the data rights belong to transparency,
which sits above giving in the package's import order.
"""

from __future__ import annotations

import json

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ..giving.donor_session import donor_required, sign_out
from ..giving.views.my_giving import TEMPLATES, stripe_down
from ..layout import PublicTemplateResponse
from .data_rights import DonorNotFound, ErasureRefused, erase_donor, export_donor, find_donor
from .models import DonorErasure


@require_GET
@donor_required
def download_data(request: HttpRequest, email: str) -> HttpResponse:
    """Everything we hold about the donor, as the JSON the giving team's export gives."""
    try:
        data = export_donor(find_donor(email))
    except DonorNotFound as error:
        raise Http404 from error
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="my-giving.json"'
    return response


@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
@donor_required
def erase_data(request: HttpRequest, email: str) -> HttpResponse:
    """Forget the donor (their running monthly gifts are cancelled first), then sign out."""
    if request.method == "GET":
        return PublicTemplateResponse(request, TEMPLATES + "erase.html", {})
    try:
        erase_donor(find_donor(email), via=DonorErasure.Via.DONOR, label=_("the donor"))
    except DonorNotFound as error:
        raise Http404 from error
    except ErasureRefused:
        return stripe_down(request)
    sign_out(request)
    return PublicTemplateResponse(request, TEMPLATES + "erased.html", {})
