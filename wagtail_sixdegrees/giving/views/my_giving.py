"""*My giving*: a donor's own gifts, by emailed link, at ``giving/my/`` (URL name ``my_giving``).

Signing in: the email form always answers the same page, whether the address is known or not;
the emailed link's GET only shows a button (mail scanners open links and must not use them up),
its POST signs in. Unknown, expired and used links all answer the same 404 page.

Every view below the sign-in takes the donor's email from the session (``donor_required``) and
only ever looks up that donor's rows. Views calling Stripe run outside any transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ... import conf, money
from ...layout import PublicTemplateResponse
from ...needs.translations import in_language
from .. import monthly, ratelimit, sign_in, statement_pdf, statements, tasks
from ..donor_session import donor_required, sign_out
from ..donor_session import sign_in as start_session
from ..models import Donation, GiftChange, NeedChoice, RecurringGift
from ..models.need_choices import choice_token
from ..presentation import site_settings_for
from ..receipts import build_receipt, impact_url
from ..targets import GENERAL, Target, TargetError, choice_groups, open_needs, resolve

logger = logging.getLogger(__name__)

TEMPLATES = "wagtail_sixdegrees/giving/my_giving/"

STRIPE_DOWN = gettext_lazy(
    "We could not reach our payment provider, so nothing has changed. "
    "Please try again in a few minutes."
)


def _redirect(name: str, *args: Any) -> HttpResponse:
    response = HttpResponseRedirect(reverse(f"wagtail_sixdegrees:{name}", args=args))
    response.status_code = 303
    return response


def home() -> HttpResponse:
    return _redirect("my_giving")


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Your email address"),
        max_length=254,
        error_messages={
            "required": gettext_lazy("Enter the email address you gave with."),
            "invalid": gettext_lazy("Enter an email address like name@example.org."),
        },
    )


# --- signing in -----------------------------------------------------------------------------


@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
def my_giving(request: HttpRequest) -> HttpResponse:
    """The sign-in form, or (signed in) the donor's home page."""
    from ..donor_session import current_donor_email

    email = current_donor_email(request)
    if request.method == "GET" and email:
        return _home_page(request, email)
    if request.method == "GET":
        return PublicTemplateResponse(request, TEMPLATES + "sign_in.html", {"form": EmailForm()})
    limit = int(conf.get_setting("DONOR_LINK_RATE_LIMIT_ATTEMPTS"))
    decision = ratelimit.attempt(request, "my_giving_link", per_client=limit)
    form = EmailForm(request.POST)
    if decision.allowed and form.is_valid():
        decision = ratelimit.keyed_attempt(
            "my_giving_link", form.cleaned_data["email"].strip().lower(), limit=limit
        )
    if not decision.allowed:
        response = PublicTemplateResponse(
            request, TEMPLATES + "sign_in.html", {"form": EmailForm(), "too_many": True}, status=429
        )
        response["Retry-After"] = str(decision.retry_after)
        return response
    if not form.is_valid():
        return PublicTemplateResponse(
            request, TEMPLATES + "sign_in.html", {"form": form}, status=400
        )
    # Enqueued for every address: looking the donor up and sending the email happen in the
    # task, so neither the answer nor its timing tells a known address from an unknown one.
    try:
        tasks.send_sign_in_link.enqueue(
            form.cleaned_data["email"],
            f"{request.scheme}://{request.get_host()}",
            translation.get_language(),
        )
    except Exception:  # a failing queue (or mail server, run inline) must not tell either
        logger.exception("Could not send a My giving sign-in link")
    return PublicTemplateResponse(request, TEMPLATES + "link_sent.html", {})


@require_http_methods(["GET", "POST"])
def my_giving_link(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: GET asks for a click, POST signs in (once)."""
    if request.method == "GET":
        if sign_in.usable_link(token) is None:
            return link_not_found(request)
        return PublicTemplateResponse(request, TEMPLATES + "link_confirm.html", {})
    email = sign_in.redeem(token)
    if email is None:
        return link_not_found(request)
    start_session(request, email)
    return home()


def link_not_found(request: HttpRequest) -> HttpResponse:
    """The one page every unknown, expired, used or tampered donor link answers (404)."""
    return PublicTemplateResponse(request, TEMPLATES + "link_not_found.html", {}, status=404)


@require_POST
def my_giving_sign_out(request: HttpRequest) -> HttpResponse:
    sign_out(request)
    return home()


# --- the home page --------------------------------------------------------------------------


def _donations(email: str):
    return (
        Donation.objects.filter(
            donor__email__iexact=email, donor__erased_at__isnull=True, paid_at__isnull=False
        )
        # An offline gift voided as a mistake was never this donor's gift.
        .exclude(status=Donation.Status.VOIDED)
        .select_related("recurring_gift")
        .prefetch_related("preferences__need", "preferences__cause", "preferences__region")
        .order_by("-paid_at", "-pk")
    )


def _home_page(request: HttpRequest, email: str) -> HttpResponse:
    # The waiting changes are read before the gifts: if a webhook commits in between, the page
    # shows the new state still marked "waiting", never the old state unmarked.
    monthly.expire_unfinished_card_updates(monthly.gifts_of(email))
    newest: dict[tuple[int, str], GiftChange] = {}
    for change in monthly.pending_changes_of(email):  # oldest first: the newest of a kind stays
        newest[change.gift_id, change.kind] = change
    pending: dict[int, list[GiftChange]] = {}
    for change in sorted(newest.values(), key=lambda change: (change.requested_at, change.pk)):
        pending.setdefault(change.gift_id, []).append(change)
    gifts = list(
        monthly.gifts_of(email).prefetch_related(
            "template_preferences__need",
            "template_preferences__cause",
            "template_preferences__region",
        )
    )
    for gift in gifts:
        gift.pending = pending.get(gift.pk, [])
    donations = list(_donations(email))
    choices = list(
        NeedChoice.objects.filter(
            donor__email__iexact=email, donor__erased_at__isnull=True, decided_at__isnull=True
        )
        .select_related("need")
        .order_by("deadline", "pk")
    )
    titles = in_language([choice.need for choice in choices], translation.get_language())
    context = {
        "need_choices": [
            (choice, choice_token(choice), titles[choice.need_id].title) for choice in choices
        ],
        "email": email,
        "gifts": gifts,
        "donations": [(donation, impact_url(donation)) for donation in donations],
        "pause_months": monthly.PAUSE_MONTHS,
        "messages": messages.get_messages(request),
    }
    return PublicTemplateResponse(request, TEMPLATES + "home.html", context)


def _gift(email: str, reference: uuid.UUID) -> RecurringGift:
    """One of this donor's monthly gifts, or 404 (another donor's reference is unknown here)."""
    return get_object_or_404(monthly.gifts_of(email), reference=reference)


# --- monthly gifts --------------------------------------------------------------------------


def _running(email: str, reference: uuid.UUID) -> RecurringGift:
    gift = _gift(email, reference)
    if not gift.is_running:
        raise Http404
    return gift


def stripe_down(request: HttpRequest) -> HttpResponse:
    messages.error(request, STRIPE_DOWN)
    return home()


def _waiting(request: HttpRequest) -> None:
    messages.success(
        request,
        _(
            "Thank you. Your change is on its way to our payment provider and shows here once it is confirmed."
        ),
    )


def _send_change(request: HttpRequest, change: Callable[[], object]) -> HttpResponse:
    """Ask Stripe for a change to a monthly gift; back to the donor's page, which says the
    change is on its way (it shows once Stripe's webhook confirms it) or that Stripe is down."""
    try:
        change()
    except monthly.StripeUnavailable:
        return stripe_down(request)
    _waiting(request)
    return home()


@transaction.non_atomic_requests
@require_POST
@donor_required
def change_amount(request: HttpRequest, email: str, reference: uuid.UUID) -> HttpResponse:
    gift = _running(email, reference)
    text = str(request.POST.get("amount") or "").strip()
    try:
        if not text:
            raise money.AmountError(_("Choose or enter an amount."), "empty")
        amount = monthly.parse_new_amount(gift, text, request.POST.get("locale") or None)
    except money.AmountError as error:
        messages.error(request, error.message)
        response = _home_page(request, email)
        response.status_code = 400
        return response
    if amount == gift.amount:
        return home()
    return _send_change(request, lambda: monthly.change_amount(gift, amount))


@transaction.non_atomic_requests
@require_POST
@donor_required
def pause_gift(request: HttpRequest, email: str, reference: uuid.UUID) -> HttpResponse:
    gift = _running(email, reference)
    months = str(request.POST.get("months") or "")
    if not months.isdigit() or int(months) not in monthly.PAUSE_MONTHS:
        messages.error(request, _("Choose to pause for 1, 2 or 3 months."))
        return home()
    return _send_change(request, lambda: monthly.pause(gift, int(months)))


@transaction.non_atomic_requests
@require_POST
@donor_required
def resume_gift(request: HttpRequest, email: str, reference: uuid.UUID) -> HttpResponse:
    gift = _running(email, reference)
    return _send_change(request, lambda: monthly.resume(gift))


@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
@donor_required
def cancel_gift(request: HttpRequest, email: str, reference: uuid.UUID) -> HttpResponse:
    gift = _running(email, reference)
    if request.method == "GET":
        return PublicTemplateResponse(request, TEMPLATES + "cancel.html", {"gift": gift})
    return _send_change(request, lambda: monthly.cancel(gift))


@transaction.non_atomic_requests
@require_POST
@donor_required
def update_card_signed_in(request: HttpRequest, email: str, reference: uuid.UUID) -> HttpResponse:
    gift = _running(email, reference)
    return _to_card_page(
        request, gift, request.build_absolute_uri(reverse("wagtail_sixdegrees:my_giving"))
    )


def _to_card_page(request: HttpRequest, gift: RecurringGift, return_url: str) -> HttpResponse:
    try:
        url = monthly.card_update_url(gift, return_url)
    except monthly.StripeUnavailable:
        return stripe_down(request)
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
def update_card(request: HttpRequest, token: str) -> HttpResponse:
    """The signed link in a failed-payment email: GET asks, POST opens Stripe's card page."""
    gift = monthly.gift_for_card_token(token)
    if gift is None or not gift.is_running:
        return link_not_found(request)
    if request.method == "GET":
        return PublicTemplateResponse(request, TEMPLATES + "update_card.html", {"gift": gift})
    return _to_card_page(request, gift, request.build_absolute_uri())


def _target_options(gift: RecurringGift) -> list:
    groups = choice_groups(
        needs=[need for need in open_needs(None, None) if need.currency == gift.currency],
        causes=True,
        regions=True,
        cause_regions=False,
        general=True,
        locale=None,
    )
    return groups


@require_http_methods(["GET", "POST"])
@donor_required
def change_supports(request: HttpRequest, email: str, reference: uuid.UUID) -> HttpResponse:
    """What the gift supports from the next gift on: one choice (the donor's past gifts keep
    theirs)."""
    gift = _running(email, reference)
    error = ""
    if request.method == "POST":
        try:
            target: Target = resolve(str(request.POST.get("target") or ""))
            if target.need is not None and target.need.currency != gift.currency:
                raise TargetError(
                    _("That need is no longer open for gifts. Please choose another.")
                )
        except TargetError as problem:
            error = str(problem)
        else:
            monthly.change_preferences(gift, [(target, money.BASIS_POINTS)])
            messages.success(
                request, _("Thank you. From your next gift on, it supports your new choice.")
            )
            return home()
    current = [p.target for p in gift.template_preferences.all()]
    context = {
        "gift": gift,
        "groups": _target_options(gift),
        "current": current[0] if len(current) == 1 else GENERAL.value if not current else "",
        "error": error,
    }
    return PublicTemplateResponse(
        request, TEMPLATES + "supports.html", context, status=400 if error else 200
    )


# --- every gift -----------------------------------------------------------------------------


@require_POST
@donor_required
def resend_receipt(request: HttpRequest, email: str, reference: uuid.UUID) -> HttpResponse:
    donation = get_object_or_404(
        _donations(email).select_related("donor", "site"), reference=reference
    )
    if not ratelimit.attempt(request, "my_giving_receipt", per_client=10).allowed:
        messages.error(request, _("Too many receipts asked for. Please try again later."))
        return home()
    build_receipt(donation).send()
    messages.success(request, _("We have sent the receipt to your email again."))
    return home()


# --- statements -----------------------------------------------------------------------------


def _organisation(request: HttpRequest) -> dict[str, str]:
    settings = site_settings_for(request)
    return {
        "name": settings.organisation,
        "address": settings.organisation_address,
        "registration": settings.registration_number,
        "footer": settings.receipt_footer,
    }


def _statement_request(
    request: HttpRequest, email: str
) -> tuple[statements.StatementForm, statements.Statement | None]:
    """The statement asked for by ``?start=&end=`` (this calendar year when neither is given),
    or the bound form with its errors."""
    query: Mapping[str, str] = request.GET
    if "start" not in query and "end" not in query:
        this_year = statements.periods()[0]
        query = {"start": this_year.start.isoformat(), "end": this_year.end.isoformat()}
    form = statements.StatementForm(query)
    if not form.is_valid():
        return form, None
    return form, statements.build(email, form.cleaned_data["start"], form.cleaned_data["end"])


@require_GET
@donor_required
def my_statement(request: HttpRequest, email: str) -> HttpResponse:
    """A printable statement of the donor's paid gifts in a date range, per currency."""
    form, statement = _statement_request(request, email)
    organisation = _organisation(request)
    offered = statements.periods()
    context = {
        "form": form,
        "statement": statement,
        "organisation": organisation,
        "periods": [
            (period, reverse("wagtail_sixdegrees:my_statement") + "?" + _range_query(period))
            for period in offered
        ],
        "pdf_url": (
            reverse("wagtail_sixdegrees:my_statement_pdf") + "?" + _range_query(statement)
            if statement is not None and statement_pdf.can_render(statement, organisation)
            else ""
        ),
    }
    response = PublicTemplateResponse(
        request, TEMPLATES + "statement.html", context, status=400 if statement is None else 200
    )
    response["Cache-Control"] = "private, no-store"  # a person's gifts, name and address
    return response


def _range_query(period: Any) -> str:
    return urlencode({"start": period.start.isoformat(), "end": period.end.isoformat()})


@require_GET
@donor_required
def my_statement_pdf(request: HttpRequest, email: str) -> HttpResponse:
    """The same statement as a PDF; the HTML page when this one cannot be drawn here."""
    _form, statement = _statement_request(request, email)
    organisation = _organisation(request)
    if statement is None or not statement_pdf.can_render(statement, organisation):
        back = HttpResponseRedirect(
            reverse("wagtail_sixdegrees:my_statement") + "?" + request.GET.urlencode()
        )
        back.status_code = 303
        return back
    response = HttpResponse(
        statement_pdf.render(statement, organisation), content_type="application/pdf"
    )
    name = f"statement-{statement.start.isoformat()}-{statement.end.isoformat()}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
