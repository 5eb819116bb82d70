"""Withdrawal card views: the survivor's public page, and the caseworker's issue/revoke screens.

The public page is deliberately bare: no login, no cookies, no JavaScript, no images, no
external requests, a few kilobytes, so it opens on a basic phone over 2G and leaves nothing
for anyone else to follow (``noindex``, ``no-referrer``, ``no-store``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import segno
from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from .. import conf
from ..giving import ratelimit
from .cards import IssuedCard, WithdrawalCard, find_card, issue_card, revoke_cards
from .cards import withdraw_with_card as withdraw
from .consent import StoryConsent

CHANGE_PERMISSION = "wagtail_sixdegrees.change_storyconsent"
PUBLIC_TEMPLATE = "wagtail_sixdegrees/stories/withdraw_card.html"
#: What the button sends. A link scanner or preview only ever GETs; a stray POST without it
#: (a form autofill, a half-loaded page) changes nothing.
CONFIRMATION = "withdraw"


def _private(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _story_name(card: WithdrawalCard) -> str:
    """The pseudonym in the card's language if the story has that translation, else the
    original's. Never the title: titles may say more than the pseudonym does."""
    stories = card.consent.stories().specific()
    page = (
        stories.filter(locale__language_code=card.language).first()
        or stories.order_by("pk").first()
    )
    return getattr(page, "pseudonym", "") if page else ""


def _too_many(request: HttpRequest, decision: ratelimit.Decision) -> HttpResponse:
    response = render(request, PUBLIC_TEMPLATE, {"too_many": True}, status=429)
    response["Retry-After"] = str(decision.retry_after)
    return _private(response)


def _card_page(request: HttpRequest, lookup: Callable[[], WithdrawalCard | None]) -> HttpResponse:
    decision = ratelimit.attempt(
        request, "withdraw", per_client=int(conf.get_setting("WITHDRAWAL_RATE_LIMIT_ATTEMPTS"))
    )
    if not decision.allowed:
        return _too_many(request, decision)
    card = lookup()
    if card is None:
        # Only failed lookups count site-wide: a flood of bad codes from many addresses must
        # never stop a survivor with a real card (docs/editors/withdrawal-card.md).
        decision = ratelimit.overall_attempt(
            "withdraw-failed",
            limit=int(conf.get_setting("WITHDRAWAL_RATE_LIMIT_GLOBAL_ATTEMPTS")),
        )
        if not decision.allowed:
            return _too_many(request, decision)
        # Unknown, revoked and malformed answer exactly as any address that does not exist.
        raise Http404
    with translation.override(card.language):
        if (
            request.method == "POST"
            and request.POST.get("confirm") == CONFIRMATION
            and card.consent.withdrawn_on is None
        ):
            withdraw(card)
            card.consent.refresh_from_db()
        done = card.consent.withdrawn_on is not None
        response = render(
            request,
            PUBLIC_TEMPLATE,
            {
                "card": card,
                "done": done,
                # Named only before withdrawal: afterwards no response names the story.
                "story_name": "" if done else _story_name(card),
                "confirmation": CONFIRMATION,
            },
        )
    response["Content-Language"] = card.language
    return _private(response)


# CSRF protection would add a cookie and guard nothing: only someone holding the card's secret
# can withdraw, and a forged POST from elsewhere would need that secret too.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def withdraw_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The page the card's QR code opens."""
    return _card_page(request, lambda: find_card(token=token))


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def withdraw_by_code(request: HttpRequest, code: str) -> HttpResponse:
    """The same page, reached by typing the short address and code printed on the card."""
    return _card_page(request, lambda: find_card(code=code))


# --- The caseworker's side --------------------------------------------------------------------


def card_languages() -> list[tuple[str, str]]:
    return list(getattr(settings, "WAGTAIL_CONTENT_LANGUAGES", None) or settings.LANGUAGES)


class IssueCardForm(forms.Form):
    language = forms.ChoiceField(
        label=_("The survivor's language"),
        help_text=_("The card and the page it opens are in this language."),
    )
    contact = forms.CharField(
        label=_("Whom to contact afterwards"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Shown once the story is taken down, in the survivor's language. Write it in that "
            "language, for example your office's name and phone number."
        ),
    )

    #: The newest card when the form was shown (0 for none). Reloading the printed card
    #: resubmits this form; without the check that would silently void the card just printed.
    replaces = forms.IntegerField(widget=forms.HiddenInput, required=False, initial=0)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["language"]).choices = card_languages()


def qr_svg(url: str) -> str:
    """The QR code as inline SVG. Error correction H (about 30% of the symbol can be lost):
    the card lives folded in a pocket or a phone case, gets wet, creased and rubbed, and H
    still reads with a third of it damaged. Our link fits H at a small version (about 45
    modules), so it stays readable printed 35 mm wide."""
    code = segno.make(url, error="h", micro=False, boost_error=False)
    return code.svg_inline(scale=1, border=4, omitsize=True, title=str(_("QR code")))


def card_addresses(request: HttpRequest, issued: IssuedCard) -> dict[str, str]:
    """The card's link and short address, on the story's own site."""
    story = issued.card.consent.source_story()
    site = story.get_site() if story else None
    base = site.root_url if site else request.build_absolute_uri("/").rstrip("/")
    link = reverse("wagtail_sixdegrees:withdraw_consent", args=[issued.token])
    short = reverse("wagtail_sixdegrees:withdraw_consent_code", args=[issued.printed_code])
    # Printed as "site/giving/w/" then the code on a line of its own, without the slash.
    address = (base + short).split("://", 1)[-1]
    prefix = address[: address.rindex(issued.printed_code)]
    return {"link": base + link, "short": prefix}


class IssueCardView(WagtailAdminTemplateMixin, FormView):
    """GET: choose language and contact. POST: issue (revoking any older card) and answer with
    the printable card: the only time its secrets are shown."""

    template_name = "wagtail_sixdegrees/stories/admin/issue_card.html"
    form_class = IssueCardForm
    page_title = _("Withdrawal card")
    header_icon = "lock"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(CHANGE_PERMISSION):
            raise PermissionDenied
        self.consent = get_object_or_404(StoryConsent, pk=kwargs["pk"])
        if self.consent.withdrawn_on:
            messages.error(request, _("Consent was withdrawn: there is nothing left to withdraw."))
            return redirect("wagtail_sixdegrees_story_consent:index")
        return super().dispatch(request, *args, **kwargs)

    def newest_card_id(self) -> int:
        newest = self.consent.withdrawal_cards.order_by("-pk").first()
        return newest.pk if newest else 0

    def get_initial(self):
        return {**super().get_initial(), "replaces": self.newest_card_id()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "consent": self.consent,
                "active_cards": self.consent.withdrawal_cards.active(),
                "revoke_url": reverse(
                    "wagtail_sixdegrees_story_consent:revoke_cards", args=[self.consent.pk]
                ),
            }
        )
        return context

    def form_valid(self, form):
        if (form.cleaned_data.get("replaces") or 0) != self.newest_card_id():
            messages.warning(
                self.request,
                _(
                    "A card was already issued from that form, so nothing changed: the card "
                    "you printed still works. Issue a new card only if it was lost."
                ),
            )
            return redirect("wagtail_sixdegrees_story_consent:card", self.consent.pk)
        issued = issue_card(
            self.consent,
            language=form.cleaned_data["language"],
            contact=form.cleaned_data["contact"],
            user=self.request.user,
        )
        addresses = card_addresses(self.request, issued)
        with translation.override(issued.card.language):
            card_html = render_to_string(
                "wagtail_sixdegrees/stories/admin/card.html",
                {
                    "qr": qr_svg(addresses["link"]),
                    "short_address": addresses["short"],
                    "code": issued.printed_code,
                    "language": issued.card.language,
                },
            )
        response = render(
            self.request,
            "wagtail_sixdegrees/stories/admin/print_card.html",
            {"card_html": card_html, "consent": self.consent},
        )
        response["Cache-Control"] = "no-store"
        return _private(response)


@require_http_methods(["POST"])
def revoke_cards_view(request: HttpRequest, pk: str) -> HttpResponse:
    """Void the story's cards (lost or stolen); a new one can be issued straight away."""
    if not request.user.has_perm(CHANGE_PERMISSION):
        raise PermissionDenied
    consent = get_object_or_404(StoryConsent, pk=pk)
    count = revoke_cards(consent, user=request.user)
    messages.success(
        request, _("%(count)s withdrawal card(s) revoked; they no longer work.") % {"count": count}
    )
    return redirect("wagtail_sixdegrees_story_consent:card", consent.pk)
