"""Donations: the listing, one donation inspected, and refunds."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets.button import Button

from ... import conf
from ...allocation.models import LedgerEntry
from ...giving import fulfilment, gateway, monthly, payment_methods, refunds
from ...giving.models import Donation, GiftChange, RecurringGift, StripeEvent
from .. import names, permissions
from ..columns import MoneyColumn, StatusColumn, format_amount
from ..filters import DonationFilterSet
from ..forms import RefundForm, ResolveMismatchForm
from .base import (
    ExportColumn,
    GivingFormView,
    GivingIndexView,
    GivingInspectView,
    amount_value,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

#: What people see instead of personal data they may not see.
HIDDEN = _("Hidden")
STRIPE_ID_PREFIXES = ("cs_", "pi_", "ch_", "in_", "cus_", "sub_", "py_", "re_")


def short_reference(donation: Donation) -> str:
    return str(donation.reference)[:8]


def local_time(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def search_donations(queryset: QuerySet, query: str, *, personal_data: bool) -> QuerySet:
    """Find donations by reference, Stripe id or (only for people who may see personal data)
    the donor's email. Without that permission an email finds nothing, so a search cannot
    confirm that someone gave."""
    query = query.strip()
    try:
        return queryset.filter(reference=uuid.UUID(query))
    except ValueError:
        pass
    if query.startswith(STRIPE_ID_PREFIXES):
        return queryset.filter(
            Q(stripe_checkout_session_id=query)
            | Q(stripe_payment_intent_id=query)
            | Q(stripe_charge_id=query)
            | Q(stripe_invoice_id=query)
            | Q(stripe_customer_id=query)
            | Q(recurring_gift__stripe_subscription_id=query)
        )
    if "@" in query:
        if not personal_data:
            return queryset.none()
        return queryset.filter(donor__email__iexact=query)
    # A partial reference, as shown in the listing (its first eight digits have no hyphen, so
    # they read the same whether the database stores the UUID as text or natively).
    hexdigits = query.replace("-", "").lower()
    if len(hexdigits) >= 4 and all(c in "0123456789abcdef" for c in hexdigits):
        return queryset.filter(reference__startswith=hexdigits[:8])
    if personal_data and len(query) >= 3:
        return queryset.filter(Q(donor__email__icontains=query) | Q(donor__name__icontains=query))
    return queryset.none()


def donor_label(donation: Donation) -> str:
    donor = donation.donor
    if donor.erased_at:
        return str(donor)
    return f"{donor.name} <{donor.email}>" if donor.name else donor.email


EXPORT_COLUMNS = [
    ExportColumn("reference", _("Reference"), lambda d: str(d.reference)),
    ExportColumn("created_at", _("Started")),
    ExportColumn("paid_at", _("Paid")),
    ExportColumn("status", _("Status")),
    ExportColumn("frequency", _("Frequency")),
    ExportColumn("channel", _("Channel")),
    ExportColumn(
        "received_on",
        _("Received on (offline)"),
        lambda d: d.offline.received_on if d.is_offline else None,
    ),
    ExportColumn("currency", _("Currency")),
    ExportColumn("amount", _("Amount"), amount_value("amount")),
    ExportColumn("amount_refunded", _("Refunded"), amount_value("amount_refunded")),
    ExportColumn("settlement_currency", _("Settlement currency")),
    ExportColumn("fee_amount", _("Stripe fee"), amount_value("fee_amount", "settlement_currency")),
    ExportColumn("net_amount", _("Net"), amount_value("net_amount", "settlement_currency")),
    ExportColumn("cover_fees", _("Donor covered the fees")),
    ExportColumn("anonymous", _("Anonymous")),
    ExportColumn("allow_flexible_use", _("May be used where most needed")),
    ExportColumn("site", _("Site"), lambda d: d.site_id or ""),
    ExportColumn("stripe_payment_intent_id", _("Stripe PaymentIntent")),
    ExportColumn("stripe_charge_id", _("Stripe charge")),
    ExportColumn("stripe_invoice_id", _("Stripe invoice")),
    ExportColumn("donor_email", _("Email"), lambda d: d.donor.email, personal=True),
    ExportColumn("donor_name", _("Name"), lambda d: d.donor.name, personal=True),
    ExportColumn(
        "donor_name_given", _("Name given on the form"), lambda d: d.donor_name, personal=True
    ),
    ExportColumn("dedication_kind", _("Dedication"), personal=True),
    ExportColumn("dedication", _("Dedicated to"), personal=True),
]


class DonationIndexView(GivingIndexView):
    page_title = _("Donations")
    filterset_class = DonationFilterSet
    default_ordering = "-created_at"
    search_fields = ["reference"]  # searching is ours: search_donations()
    export_columns = EXPORT_COLUMNS
    export_filename = "donations"

    def get_base_queryset(self) -> QuerySet:
        # The offline record (no personal data: the date received) rides along in one join.
        queryset = Donation.objects.select_related("offline")
        # Only join the donor when it is shown: people without the permission never load it.
        if self.can_see_personal_data:
            queryset = queryset.select_related("donor")
        return queryset

    def search_queryset(self, queryset: QuerySet) -> QuerySet:
        if not self.is_searching:
            return queryset
        return search_donations(
            queryset, self.search_query, personal_data=self.can_see_personal_data
        )

    def get_list_more_buttons(self, donation: Donation) -> list[Any]:
        buttons = super().get_list_more_buttons(donation)
        if self.user_can(permissions.REFUND) and refunds.refundable_amount(donation):
            buttons.append(
                Button(
                    _("Refund"),
                    url=names.url(names.DONATIONS, "refund", donation.pk),
                    icon_name="undo",
                    priority=50,
                )
            )
        return buttons

    @cached_property
    def columns(self) -> list[Any]:
        columns = [
            self.title_column(
                "reference",
                label=_("Donation"),
                accessor=short_reference,
            ),
            Column(
                "created_at",
                label=_("Date"),
                accessor=lambda d: local_time(d.created_at),
                sort_key="created_at",
            ),
            MoneyColumn("amount", label=_("Amount"), sort_key="amount"),
            StatusColumn(
                "status", label=_("Status"), primary=(Donation.Status.PAID,), sort_key="status"
            ),
            Column("frequency", label=_("Frequency"), accessor="get_frequency_display"),
            Column("channel", label=_("Channel"), accessor="get_channel_display"),
            Column(
                "amount_refunded",
                label=_("Refunded"),
                accessor=lambda d: (
                    format_amount(d.amount_refunded, d.currency) if d.amount_refunded else ""
                ),
            ),
        ]
        if self.can_see_personal_data:
            columns.append(Column("donor", label=_("Donor"), accessor=donor_label))
        return columns


def stripe_dashboard_url(path: str) -> str:
    """A link into Stripe's dashboard, in test mode unless the site uses a live key."""
    live = str(conf.get_setting("STRIPE_SECRET_KEY") or "").startswith(("sk_live_", "rk_live_"))
    return f"https://dashboard.stripe.com/{'' if live else 'test/'}{path}"


def stripe_links(donation: Donation) -> list[tuple[StrOrPromise, str]]:
    links: list[tuple[StrOrPromise, str]] = []
    if donation.stripe_payment_intent_id:
        links.append(
            (_("Payment"), stripe_dashboard_url(f"payments/{donation.stripe_payment_intent_id}"))
        )
    if donation.stripe_invoice_id:
        links.append((_("Invoice"), stripe_dashboard_url(f"invoices/{donation.stripe_invoice_id}")))
    if donation.stripe_customer_id:
        links.append(
            (_("Customer"), stripe_dashboard_url(f"customers/{donation.stripe_customer_id}"))
        )
    if donation.recurring_gift is not None and donation.recurring_gift.stripe_subscription_id:
        subscription = donation.recurring_gift.stripe_subscription_id
        links.append((_("Monthly gift"), stripe_dashboard_url(f"subscriptions/{subscription}")))
    if donation.dispute_id:
        links.append((_("Dispute"), stripe_dashboard_url(f"disputes/{donation.dispute_id}")))
    return links


def events_for(donation: Donation) -> QuerySet:
    """The Stripe events received about this donation's session, payment, charge or invoice."""
    ids = [
        value
        for value in (
            donation.stripe_checkout_session_id,
            donation.stripe_payment_intent_id,
            donation.stripe_charge_id,
            donation.stripe_invoice_id,
            donation.dispute_id,
        )
        if value
    ]
    if not ids:
        return StripeEvent.objects.none()
    matches = Q(object_id__in=ids)
    if donation.stripe_charge_id:
        matches |= Q(charge_id=donation.stripe_charge_id)
    return (
        StripeEvent.objects.filter(matches)
        .only("stripe_id", "type", "created", "received_at", "outcome", "last_error", "livemode")
        .order_by("created", "received_at")
    )


class DonationInspectView(GivingInspectView):
    template_name = "wagtail_sixdegrees/panel/donation_inspect.html"

    def get_object(self, queryset: QuerySet[Donation] | None = None) -> Donation:
        related = ["recurring_gift", "site", "page", "offline"]
        if self.can_see_personal_data:
            related.append("donor")
        return get_object_or_404(Donation.objects.select_related(*related), pk=self.pk)

    def get_page_subtitle(self) -> str:
        return str(_("Donation %(reference)s") % {"reference": short_reference(self.object)})

    @staticmethod
    def _gift_changes(donation: Donation) -> list[GiftChange] | None:
        """The monthly gift's history, its unfinished card updates marked expired first."""
        if not donation.recurring_gift_id:
            return None
        monthly.expire_unfinished_card_updates(
            RecurringGift.objects.filter(pk=donation.recurring_gift_id)
        )
        return list(GiftChange.objects.filter(gift_id=donation.recurring_gift_id))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        donation = self.object
        remaining = refunds.refundable_amount(donation)
        entries = list(
            LedgerEntry.objects.filter(donation=donation).select_related(
                "need", "cause", "region", "run"
            )
        )
        context.update(
            donation=donation,
            preferences=donation.preferences.select_related("need", "cause", "region"),
            entries=entries,
            balances=balances_of(entries),
            events=events_for(donation),
            refund_requests=refunds.refund_log(donation),
            stripe_links=stripe_links(donation),
            gift_changes=self._gift_changes(donation),
            refund_refusal=refunds.refusal(donation),
            refundable=format_amount(remaining, donation.currency) if remaining else "",
            refund_url=names.url(names.DONATIONS, "refund", donation.pk)
            if remaining and self.user_can(permissions.REFUND)
            else "",
            resolve_mismatch_url=names.url(names.DONATIONS, "resolve_mismatch", donation.pk)
            if donation.payment_mismatch and self.user_can(permissions.REFUND)
            else "",
            ledger_url=names.url(names.LEDGER) + f"?q={donation.reference}",
            hidden=HIDDEN,
            amounts=amounts_of(donation),
            offline=getattr(donation, "offline", None) if donation.is_offline else None,
            void_url=names.url(names.DONATIONS, "void", donation.pk)
            if donation.is_offline
            and donation.status != Donation.Status.VOIDED
            and self.user_can(permissions.RECORD_OFFLINE)
            else "",
        )
        return context


def amounts_of(donation: Donation) -> dict[str, str]:
    """The donation's figures in words, each in the currency it is in."""
    settled = donation.settlement_currency
    return {
        "amount": format_amount(donation.amount, donation.currency),
        "covered_fee": format_amount(donation.covered_fee_amount, donation.currency),
        "settlement": format_amount(donation.settlement_amount, settled),
        "fee": format_amount(donation.fee_amount, settled),
        "net": format_amount(donation.net_amount, settled),
        "refunded": format_amount(donation.amount_refunded, donation.currency)
        if donation.amount_refunded
        else "",
        "disputed": format_amount(donation.dispute_amount, donation.currency),
    }


def balances_of(entries: list[Any]) -> list[dict[str, str]]:
    """Where the donation's money is now (non-zero accounts), from its ledger lines."""
    totals: dict[tuple, int] = defaultdict(int)
    labels: dict[tuple, str] = {}
    for entry in entries:
        key = (entry.account_kind, entry.currency, entry.need_id, entry.cause_id, entry.region_id)
        totals[key] += entry.amount
        labels[key] = entry.account_label
    return [
        {"label": labels[key], "amount": format_amount(total, key[1])}
        for key, total in totals.items()
        if total
    ]


class DonationFormView(GivingFormView):
    """A form about one donation (``pk`` in the URL), under the donation in the breadcrumbs."""

    def setup(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.donation = get_object_or_404(Donation, pk=kwargs["pk"])

    def get_page_subtitle(self) -> str:
        return str(_("Donation %(reference)s") % {"reference": short_reference(self.donation)})

    def parent_breadcrumbs(self) -> list[dict[str, Any]]:
        return [
            {"url": names.url(names.DONATIONS), "label": _("Donations")},
            {
                "url": names.url(names.DONATIONS, "inspect", self.donation.pk),
                "label": self.get_page_subtitle(),
            },
        ]


class RefundView(DonationFormView):
    permission_required = permissions.REFUND
    #: Asks Stripe: served outside ``ATOMIC_REQUESTS`` (see ``GivingViewSet.get_urlpatterns``).
    calls_stripe = True
    page_title = _("Refund")
    submit_label = _("Ask Stripe to refund")
    error_message = _("The refund was not requested: correct the errors below.")

    @property
    def intro(self) -> str:
        remaining = refunds.refundable_amount(self.donation)
        intro = str(
            _(
                "This donation was %(amount)s; %(remaining)s can still be refunded. Stripe "
                "confirms the refund by webhook, and the donation shows as refunded when it "
                "arrives; its allocations are then reversed."
            )
            % {
                "amount": format_amount(self.donation.amount, self.donation.currency),
                "remaining": format_amount(remaining, self.donation.currency),
            }
        )
        if payment_methods.refund_waits_for_bank_details(self.donation.payment_method_type):
            intro += " " + str(
                _(
                    "It was paid with %(method)s, which cannot refund to where the money came "
                    "from: Stripe emails the donor for bank details, and the refund shows as "
                    "pending donor bank details until they answer."
                )
                % {"method": payment_methods.limits(self.donation.payment_method_type).label}
            )
        return intro

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(
            currency=self.donation.currency,
            remaining=refunds.refundable_amount(self.donation),
        )
        return kwargs

    def get_form_class(self) -> type:
        return RefundForm

    def form_valid(self, form: RefundForm) -> HttpResponse:
        amount = form.cleaned_data.get("amount_minor")
        if not amount:
            return self.refuse(form, str(refunds.refusal(self.donation) or ""), "amount")
        try:
            refunds.request_refund(
                self.donation,
                amount,
                reason=form.cleaned_data["reason"],
                stripe_reason=form.cleaned_data["stripe_reason"],
                user=self.request.user,
                request_key=str(form.cleaned_data["request_key"]),
            )
        except refunds.RefundRefused as refused:
            return self.refuse(form, refused.message)
        except gateway.StripeError as error:
            # Stripe keeps its answer per idempotency key: the corrected form needs a new one.
            data = QueryDict(mutable=True)
            data.update(form.data)
            data["request_key"] = str(uuid.uuid4())
            form.data = data
            return self.refuse(
                form,
                str(
                    _("Stripe did not refund: %(error)s")
                    % {"error": error.user_message or str(error)}
                ),
            )
        return self.succeed(
            str(
                _(
                    "Stripe was asked to refund %(amount)s. The donation shows as refunded when "
                    "Stripe confirms it."
                )
                % {"amount": format_amount(amount, self.donation.currency)}
            ),
            names.url(names.DONATIONS, "inspect", self.donation.pk),
        )


class ResolveMismatchView(DonationFormView):
    """Clear a donation's "a payment did not match" flag, with a note, once finance has dealt
    with that payment at Stripe."""

    permission_required = permissions.REFUND
    page_title = _("Payment that did not match")
    submit_label = _("Mark as resolved")

    @property
    def intro(self) -> str:
        return str(
            _(
                "Stripe reported a payment naming this donation that was not the one we asked "
                "for, so it was not recorded: %(detail)s Look it up in Stripe and refund it if "
                "it was not meant for you, then say what you did."
            )
            % {"detail": self.donation.payment_mismatch or "-"}
        )

    def get_form_class(self) -> type:
        return ResolveMismatchForm

    def form_valid(self, form: ResolveMismatchForm) -> HttpResponse:
        fulfilment.resolve_mismatch(
            self.donation, note=form.cleaned_data["note"], user=self.request.user
        )
        return self.succeed(
            str(_("The payment that did not match is marked as resolved.")),
            names.url(names.DONATIONS, "inspect", self.donation.pk),
        )
