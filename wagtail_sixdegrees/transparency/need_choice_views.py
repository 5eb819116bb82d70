"""A donor chooses where their money goes when a need closed (docs/concepts.md#need-closes).

The emailed link (and the prompt in *My giving*) opens this page: GET shows the options and
changes nothing (mail scanners open links), POST decides once. Unknown and tampered links
answer the same 404 page as *My giving*'s. Here, not in ``giving/``, because deciding moves
money through the ledger, which sits above giving in the package's import order.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_http_methods

from .. import money
from ..allocation import need_choices
from ..giving.models import NeedChoice
from ..giving.views.my_giving import TEMPLATES, link_not_found
from ..layout import PublicTemplateResponse
from ..needs.models import Need


def _page(
    request: HttpRequest,
    choice: NeedChoice,
    language: str,
    *,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    alternatives = [] if choice.is_decided else need_choices.open_alternatives(choice)
    context = {
        **need_choices.names_in(choice, alternatives, language),
        "choice": choice,
        "amount": money.format_money(choice.amount, choice.currency),
        "moved": money.format_money(choice.moved, choice.currency),
        "error": error,
        "default_option": need_choices.DEFAULT_OPTION,
    }
    response = PublicTemplateResponse(
        request, TEMPLATES + "need_choice.html", context, status=status
    )
    response.render()  # now, in the donor's language
    response["Content-Language"] = language
    return response


@require_http_methods(["GET", "POST"])
def need_choice(request: HttpRequest, token: str) -> HttpResponse:
    choice = need_choices.choice_for_token(token)
    if choice is None:
        return link_not_found(request)
    # The page speaks the donor's language, as the email that brought them here did.
    language = need_choices.choice_language(choice) or translation.get_language()
    with translation.override(language):
        if request.method == "GET":
            return _page(request, choice, language)
        value = str(request.POST.get("choice") or "")
        option, _sep, need_pk = value.partition(":")
        need = Need.objects.filter(pk=int(need_pk)).first() if need_pk.isdigit() else None
        try:
            choice = need_choices.decide(choice, option, need)
        except need_choices.ChoiceRefused as refused:
            choice.refresh_from_db()
            status = 409 if choice.is_decided else 400
            return _page(request, choice, language, error=refused.message, status=status)
        return _page(request, choice, language)
