"""A donor chooses where their money goes when a need closed (docs/concepts.md#need-closes).

The emailed link (and the prompt in *My giving*) opens this page: GET shows the options and
changes nothing (mail scanners open links), POST decides once. Unknown and tampered links
answer the same 404 page as *My giving*'s. Here, not in ``giving/``, because deciding moves
money through the ledger, which sits above giving in the package's import order.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from .. import money
from ..allocation import need_choices
from ..giving.models import NeedChoice
from ..giving.views.my_giving import TEMPLATES, link_not_found
from ..layout import PublicTemplateResponse
from ..needs.models import Need


def _page(
    request: HttpRequest, choice: NeedChoice, *, error: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "choice": choice,
        "amount": money.format_money(choice.amount, choice.currency),
        "moved": money.format_money(choice.moved, choice.currency),
        "needs": [] if choice.is_decided else need_choices.open_alternatives(choice),
        "error": error,
        "default_option": need_choices.DEFAULT_OPTION,
    }
    return PublicTemplateResponse(request, TEMPLATES + "need_choice.html", context, status=status)


@require_http_methods(["GET", "POST"])
def need_choice(request: HttpRequest, token: str) -> HttpResponse:
    choice = need_choices.choice_for_token(token)
    if choice is None:
        return link_not_found(request)
    if request.method == "GET":
        return _page(request, choice)
    value = str(request.POST.get("choice") or "")
    option, _sep, need_pk = value.partition(":")
    need = Need.objects.filter(pk=int(need_pk)).first() if need_pk.isdigit() else None
    try:
        choice = need_choices.decide(choice, option, need)
    except need_choices.ChoiceRefused as refused:
        choice.refresh_from_db()
        status = 409 if choice.is_decided else 400
        return _page(request, choice, error=refused.message, status=status)
    return _page(request, choice)
