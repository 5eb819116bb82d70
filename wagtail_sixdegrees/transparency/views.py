"""Public transparency views: the donor's impact page, a need's page, the embeddable donate
widget and the link that stops update emails. Thin: parse, ask the domain, render."""

from __future__ import annotations

import re
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from ..giving.blocks import PreferenceMode
from ..giving.models import Donation
from ..giving.presentation import donate_form_context
from ..giving.receipts import cancel_token
from ..giving.targets import Target, TargetError, resolve
from ..layout import PublicTemplateResponse
from ..stories import page_cache
from . import embed
from .impact import gift_impact
from .public import live_need, stories_by_need, updates_by_need
from .tokens import (
    donation_for_impact_token,
    donor_for_stop_updates_token,
    embed_form_token,
)


def private(response: HttpResponse) -> HttpResponse:
    """Headers for a page whose address is a secret: never cached by others, never indexed,
    never sent onwards as a referrer."""
    patch_cache_control(response, private=True, no_store=True, max_age=0)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- The impact page --------------------------------------------------------------------------


@require_GET
def gift(request: HttpRequest, token: str) -> HttpResponse:
    """The donor's impact page. A tampered, expired or unknown token gets the same 404."""
    donation = donation_for_impact_token(token)
    if donation is None:
        return private(
            PublicTemplateResponse(
                request, "wagtail_sixdegrees/transparency/gift_not_found.html", status=404
            )
        )
    monthly = donation.recurring_gift
    context = {
        "impact": gift_impact(donation),
        "donation": donation,
        "cancel_url": reverse("wagtail_sixdegrees:cancel_monthly", args=[cancel_token(monthly)])
        if monthly is not None and monthly.is_cancellable
        else None,
    }
    return private(
        PublicTemplateResponse(request, "wagtail_sixdegrees/transparency/gift.html", context)
    )


# --- A need's public page ---------------------------------------------------------------------


@require_GET
def need(request: HttpRequest, pk: int) -> HttpResponse:
    """A published need: progress from the ledger, updates, supporting stories, a gift form.

    Served from the page cache when it can be (``stories/page_cache.py``): one query checks
    that the need is live, the display version and that every story the page names still has
    current consent and no view restriction; the gift form gets each visitor's own CSRF token and nonce."""
    cached = page_cache.lookup(request)
    if cached is not None:
        return cached
    checks: list[page_cache.Check] = []

    def render() -> HttpResponse:
        shown = live_need(pk, with_progress=True)
        if shown is None:
            raise Http404
        stories = stories_by_need([shown]).get(shown.translation_key, [])
        keys = tuple(str(story.translation_key) for story in stories)
        paths = tuple(story.path for story in stories)
        checks.append(page_cache.Check(need_pk=shown.pk, tree_paths=paths, story_keys=keys))
        context: dict[str, Any] = {
            "need": shown,
            "updates": updates_by_need([shown]).get(shown.translation_key, []),
            "stories": stories,
        }
        if shown.is_open():
            context.update(
                donate_form_context(
                    {
                        "mode": PreferenceMode.FIXED,
                        "needs": [shown],
                        "heading": _("Give to this need"),
                    },
                    request=request,
                    form_key=f"need-{shown.pk}",
                )
            )
        return PublicTemplateResponse(
            request, "wagtail_sixdegrees/transparency/need_page.html", context
        )

    return page_cache.serve(request, render, check=lambda: checks[0] if checks else None)


# --- The embeddable widget --------------------------------------------------------------------

_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


def _embed_value(target_text: str) -> dict[str, Any]:
    """A fixed donate block value for the widget's ``target`` (the form contract's spelling).

    A need that has closed still renders: the form falls back to "where most needed" and
    says so. An unknown target raises Http404."""
    if target_text.startswith("need:"):
        found = live_need(target_text[5:])
        if found is None:
            raise Http404
        return {"mode": PreferenceMode.FIXED, "needs": [found]}
    try:
        target = resolve(target_text)
    except TargetError as error:
        raise Http404 from error
    return {"mode": PreferenceMode.FIXED, "needs": [], "target": target}


@require_GET
def embed_donate(request: HttpRequest) -> HttpResponse:
    """The donate form without site chrome, for an iframe on an allowed site.

    ``?target=`` takes the form contract's spelling (``need:12``, ``cause:3``,
    ``cause:3:region:5``, ``region:5``, ``general``; default ``general``); ``?currency=`` offers
    only that currency. The form posts to the donate view in the top window."""
    try:
        value = _embed_value(request.GET.get("target", "general").strip() or "general")
    except Http404:
        response = TemplateResponse(
            request, "wagtail_sixdegrees/transparency/embed_not_found.html", status=404
        )
        return embed.apply_frame_policy(private(response))
    currency = request.GET.get("currency", "")
    if _CURRENCY.match(currency):
        value["currencies"] = [currency.upper()]
    target: Target | None = value.pop("target", None)
    context = donate_form_context(value, request=request, form_key="embed")
    if target is not None:
        # The donate block fixes gifts to needs only; a cause, region or "where most needed"
        # widget fixes its one target in the same way.
        context["config"].fixed = [(target, 100)]
        context["config"].fixed_notice = ""
    context["form_token"] = embed_form_token(context["form"].initial["submission"])
    context["form_target"] = "_top"
    response = TemplateResponse(
        request, "wagtail_sixdegrees/transparency/embed_donate.html", context
    )
    return embed.apply_frame_policy(private(response))


# --- Stopping update emails -------------------------------------------------------------------


@csrf_exempt  # the signed token is the authority; mail clients POST here for one-click unsubscribe
@require_http_methods(["GET", "POST"])
def stop_updates(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks, POST stops: mail scanners open links and must never change anything."""
    donor = donor_for_stop_updates_token(token)
    if donor is None:
        raise Http404
    if request.method == "POST":
        Donation.objects.filter(donor=donor, wants_updates=True).update(wants_updates=False)
        donor.recurring_gifts.filter(wants_updates=True).update(wants_updates=False)
        response = HttpResponseRedirect(request.path + "?stopped=1")
        response.status_code = 303
        return private(response)
    context = {
        "stopped": request.GET.get("stopped") == "1"
        or not Donation.objects.filter(donor=donor, wants_updates=True).exists(),
    }
    return private(
        PublicTemplateResponse(
            request, "wagtail_sixdegrees/transparency/stop_updates.html", context
        )
    )
