"""Reallocation: a giving manager moves money from a pool or a need to a need, with a reason."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from django.http import HttpResponse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from ... import money
from ...allocation import balances, ledger
from ...allocation.engine import Account
from ...allocation.models import AccountKind
from ...needs.models import Need, NeedQuerySet
from .. import names, permissions
from ..forms import ReallocateForm, encode_account
from .base import GivingFormView


def open_needs_with_room() -> NeedQuerySet:
    """Needs that can receive money now: open, short of their target."""
    return (
        balances.canonical_needs()
        .open()
        .with_progress()
        .filter(gap__gt=0)  # type: ignore[misc]  # gap is annotated by with_progress()
        .order_by("currency", "title", "pk")
    )


def needs_holding_money() -> QuerySet:
    """Needs holding money that has not been paid out to their partner."""
    return (
        balances.canonical_needs()
        .with_progress()
        .annotate(available=F("allocated") - F("disbursed"))
        .filter(available__gt=0)
        .order_by("currency", "title", "pk")
    )


def source_choices() -> tuple[list[tuple[str, list[tuple[str, str]]]], dict[int, Need]]:
    """Everywhere money can be moved from, grouped, each with what it holds; and the needs."""
    general, restricted = [], []
    for pool in balances.pools(positive_only=True):
        held = money.format_money(pool.held, pool.currency)
        if pool.account.kind == AccountKind.GENERAL:
            general.append(
                (
                    encode_account(pool.account),
                    str(
                        _("General pool (%(currency)s): %(held)s")
                        % {"currency": pool.currency, "held": held}
                    ),
                )
            )
        elif pool.account.kind == AccountKind.RESTRICTED:
            restricted.append(
                (
                    encode_account(pool.account),
                    str(
                        _("%(restriction)s (%(currency)s): %(held)s")
                        % {"restriction": pool.label, "currency": pool.currency, "held": held}
                    ),
                )
            )
    needs = {need.pk: need for need in needs_holding_money()}
    held_by_needs = [
        (
            encode_account(Account.need(need.pk, need.currency)),
            str(
                _("%(need)s (%(currency)s): %(held)s not paid out")
                % {
                    "need": need.title,
                    "currency": need.currency,
                    "held": money.format_money(need.available, need.currency),
                }
            ),
        )
        for need in needs.values()
    ]
    groups = [
        (str(_("General pool")), general),
        (str(_("Restricted pools")), restricted),
        (str(_("Needs")), held_by_needs),
    ]
    return [(label, options) for label, options in groups if options], needs


class ReallocateView(GivingFormView):
    permission_required = permissions.ALLOCATE
    page_title = _("Reallocate")
    form_class = ReallocateForm
    submit_label = _("Move the money")
    error_message = _("No money was moved: correct the errors below.")
    intro = _(
        "Move money waiting in a pool, or held by a need, to a need in the same currency. Money "
        "given for a cause or region leaves it only if its donors allowed flexible use. The "
        "reason is recorded with your name on every ledger line."
    )

    @cached_property
    def sources(self) -> tuple[list[Any], dict[int, Need]]:
        return source_choices()

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        if self.request.GET.get("need", "").isdigit():
            initial["target"] = int(self.request.GET["need"])
        if self.request.GET.get("source"):
            initial["source"] = self.request.GET["source"]
        return initial

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        groups, needs = self.sources
        kwargs.update(sources=groups, source_needs=needs, targets=open_needs_with_room())
        return kwargs

    def form_valid(self, form: ReallocateForm) -> HttpResponse:
        data = form.cleaned_data
        account, target, amount = data["account"], data["target"], data["amount_minor"]
        try:
            ledger.reallocate(
                account, target, amount, actor=self.request.user, reason=data["reason"]
            )
        except ledger.LedgerError as refused:
            return self.refuse(form, refused.message)
        return self.succeed(
            str(
                _("%(amount)s moved to %(need)s.")
                % {"amount": money.format_money(amount, account.currency), "need": target.title}
            ),
            names.url(names.NEEDS_PROGRESS),
        )
