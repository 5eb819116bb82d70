"""Filters of the Giving panel's listings, in Wagtail's filter style (django-filter)."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.widgets import BooleanRadioSelect
from wagtail.models import Site

from .. import conf
from ..allocation.models import AccountKind, AllocationRun, Disbursement, LedgerEntry
from ..giving.models import Channel, Donation, Frequency, NeedChoice, Preference, PreferenceKind
from ..needs.models import Cause, Need, NeedQuerySet, Partner, Priority, Region


def currency_choices() -> list[tuple[str, str]]:
    """The currencies the site accepts (read per request, so settings changes show at once)."""
    return [(code, code) for code in conf.currencies()]


def _date_range(label: Any) -> django_filters.DateFromToRangeFilter:
    return django_filters.DateFromToRangeFilter(label=label, widget=DateRangePickerWidget)


def _choice(label: Any, choices: Any, **kwargs: Any) -> django_filters.ChoiceFilter:
    return django_filters.ChoiceFilter(
        label=label, choices=choices, empty_label=_("All"), widget=forms.RadioSelect, **kwargs
    )


def _source_records(model: type[Model]) -> QuerySet[Model]:
    """Causes and regions in the default language: translations share their money."""
    from wagtail.models import Locale

    return model._default_manager.filter(locale=Locale.get_default()).order_by("name")


class DonationFilterSet(WagtailFilterSet):
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=Donation.Status.choices, widget=forms.CheckboxSelectMultiple
    )
    currency = _choice(_("Currency"), currency_choices)
    frequency = _choice(_("Frequency"), Frequency.choices)
    channel = _choice(_("Channel"), Channel.choices)
    paid_at = _date_range(_("Paid between"))
    created_at = _date_range(_("Started between"))
    cause = django_filters.ModelChoiceFilter(
        label=_("Cause"),
        queryset=lambda request: _source_records(Cause),
        method="filter_cause",
        empty_label=_("All"),
    )
    site = django_filters.ModelChoiceFilter(
        label=_("Site"), queryset=Site.objects.all(), empty_label=_("All")
    )
    payment_mismatch = django_filters.BooleanFilter(
        label=_("A payment did not match"),
        method="filter_payment_mismatch",
        widget=BooleanRadioSelect,
    )

    class Meta:
        model = Donation
        fields = [
            "status",
            "currency",
            "frequency",
            "channel",
            "paid_at",
            "created_at",
            "cause",
            "site",
            "payment_mismatch",
        ]

    def filter_payment_mismatch(
        self, queryset: QuerySet, name: str, value: bool | None
    ) -> QuerySet:
        """Donations a Stripe payment named without matching them (never applied)."""
        if value is None:
            return queryset
        flagged = Q(payment_mismatch="")
        return queryset.exclude(flagged) if value else queryset.filter(flagged)

    def filter_cause(self, queryset: QuerySet, name: str, value: Cause | None) -> QuerySet:
        """Donations whose donor chose that cause, directly or through one of its needs."""
        if value is None:
            return queryset
        same_cause = Cause.objects.filter(translation_key=value.translation_key).values("pk")
        chosen = Preference.objects.filter(donation=OuterRef("pk")).filter(
            Q(kind__in=[PreferenceKind.CAUSE, PreferenceKind.CAUSE_REGION], cause__in=same_cause)
            | Q(kind=PreferenceKind.NEED, need__cause__in=same_cause)
        )
        return queryset.filter(Exists(chosen))


class NeedState:
    OPEN = "open"
    UPCOMING = "upcoming"
    CLOSED = "closed"
    CHOICES = [
        (OPEN, _("Open now")),
        (UPCOMING, _("Opens later")),
        (CLOSED, _("Closed")),
    ]


class NeedProgressFilterSet(WagtailFilterSet):
    state = _choice(_("State"), NeedState.CHOICES, method="filter_state")
    cause = django_filters.ModelChoiceFilter(
        label=_("Cause"), queryset=lambda request: _source_records(Cause), empty_label=_("All")
    )
    region = django_filters.ModelChoiceFilter(
        label=_("Region"), queryset=lambda request: _source_records(Region), empty_label=_("All")
    )
    partner = django_filters.ModelChoiceFilter(
        label=_("Partner"), queryset=Partner.objects.all(), empty_label=_("All")
    )
    currency = _choice(_("Currency"), currency_choices)
    priority = _choice(_("Priority"), Priority.choices)
    funded = django_filters.BooleanFilter(
        label=_("Fully funded"), method="filter_funded", widget=BooleanRadioSelect
    )

    class Meta:
        model = Need
        fields = ["state", "cause", "region", "partner", "currency", "priority", "funded"]

    def filter_state(self, queryset: NeedQuerySet, name: str, value: str) -> NeedQuerySet:
        today = timezone.localdate()
        if value == NeedState.OPEN:
            return queryset.open(on=today)
        if value == NeedState.UPCOMING:
            return queryset.filter(live=True, opens_on__gt=today)
        if value == NeedState.CLOSED:
            return queryset.filter(Q(live=False) | Q(closes_on__lt=today))
        return queryset

    def filter_funded(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(gap=0) if value else queryset.filter(gap__gt=0)


class RunFilterSet(WagtailFilterSet):
    status = _choice(_("Status"), AllocationRun.Status.choices)
    trigger = _choice(_("Started from"), AllocationRun.Trigger.choices)
    created_at = _date_range(_("Made between"))

    class Meta:
        model = AllocationRun
        fields = ["status", "trigger", "created_at"]


class DisbursementFilterSet(WagtailFilterSet):
    partner = django_filters.ModelChoiceFilter(
        label=_("Partner"), queryset=Partner.objects.all(), empty_label=_("All")
    )
    currency = _choice(_("Currency"), currency_choices)
    paid_on = _date_range(_("Paid between"))
    is_reversal = django_filters.BooleanFilter(
        label=_("Reversal"),
        field_name="reverses",
        lookup_expr="isnull",
        exclude=True,
        widget=BooleanRadioSelect,
    )

    class Meta:
        model = Disbursement
        fields = ["partner", "currency", "paid_on", "is_reversal"]


class LedgerFilterSet(WagtailFilterSet):
    kind = _choice(_("Kind"), LedgerEntry.Kind.choices)
    account_kind = _choice(_("Account"), AccountKind.choices)
    currency = _choice(_("Currency"), currency_choices)
    created_at = _date_range(_("Written between"))
    # A number, not a list of every need (there may be thousands): the needs-progress screen
    # links here with it, and the search box finds needs by title.
    need = django_filters.NumberFilter(label=_("Need number"), field_name="need_id")
    run = django_filters.NumberFilter(label=_("Allocation run number"), field_name="run_id")

    class Meta:
        model = LedgerEntry
        fields = ["kind", "account_kind", "currency", "created_at", "need", "run"]


class NeedChoiceState:
    """Where a donor's choice stands: asked (waiting for them), chosen, or the default applied."""

    ASKED = "asked"
    CHOSEN = "chosen"
    DEFAULTED = "defaulted"
    CHOICES = [
        (ASKED, _("Asked, no answer yet")),
        (CHOSEN, _("Chosen by the donor")),
        (DEFAULTED, _("Default applied")),
    ]

    @classmethod
    def of(cls, choice: NeedChoice) -> str:
        if not choice.is_decided:
            return cls.ASKED
        return cls.DEFAULTED if choice.by_default else cls.CHOSEN

    @classmethod
    def label(cls, choice: NeedChoice) -> str:
        return str(dict(cls.CHOICES)[cls.of(choice)])


def _needs_with_choices(request: Any) -> QuerySet[Need]:
    return Need.objects.filter(pk__in=NeedChoice.objects.values("need_id")).order_by("title")


class NeedChoiceFilterSet(WagtailFilterSet):
    need = django_filters.ModelChoiceFilter(
        label=_("Closed need"), queryset=_needs_with_choices, empty_label=_("All")
    )
    state = _choice(_("State"), NeedChoiceState.CHOICES, method="filter_state")
    currency = _choice(_("Currency"), currency_choices)

    class Meta:
        model = NeedChoice
        fields = ["need", "state", "currency"]

    def filter_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == NeedChoiceState.ASKED:
            return queryset.filter(decided_at__isnull=True)
        if value == NeedChoiceState.CHOSEN:
            return queryset.filter(decided_at__isnull=False, by_default=False)
        if value == NeedChoiceState.DEFAULTED:
            return queryset.filter(decided_at__isnull=False, by_default=True)
        return queryset
