"""The Giving panel's forms. Amounts are typed in major units and read through ``money`` in the
currency they are in; the domain (ledger, refunds) then applies its own rules, and a refusal is
shown on the form with nothing changed."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import AdminDateInput

from .. import money
from ..allocation.engine import Account, AccountKind
from ..giving.refunds import REASON_MAX_LENGTH, StripeReason
from ..needs.models import Need

if TYPE_CHECKING:
    from ..giving.offline import OfflineGiftRequest


def parse_money(form: forms.Form, field: str, currency: str | None) -> int | None:
    """Read ``field`` as an amount of ``currency`` (minor units), or add the error to it."""
    raw = form.cleaned_data.get(field)
    if raw in (None, "") or not currency:
        return None
    try:
        return money.parse_amount(raw, currency, locale=translation.get_language())
    except money.AmountError as error:
        form.add_error(field, error.message)
        return None


def amount_field(help_text: Any, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=_("Amount"),
        max_length=32,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


def reason_field(help_text: Any) -> forms.CharField:
    return forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX_LENGTH,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ResolveMismatchForm(forms.Form):
    """What finance did about a payment that did not match its donation."""

    note = reason_field(
        _("What you did about it in Stripe (refunded it, confirmed it). Recorded with your name.")
    )


class RefundForm(forms.Form):
    """How much of a donation to refund and why. Blank amount: everything that remains."""

    amount = amount_field(
        _("In the currency the donor paid in. Leave empty to refund everything that remains."),
        required=False,
    )
    stripe_reason = forms.ChoiceField(
        label=_("Reason for Stripe"),
        choices=StripeReason.choices,
        initial=StripeReason.REQUESTED_BY_CUSTOMER,
        help_text=_("Stripe passes this on to the donor's bank."),
    )
    reason = reason_field(_("Why you are refunding. Recorded with your name and sent to Stripe."))
    # One submitted form is one refund: a double click sends the same key, and Stripe answers
    # the second request with the first refund instead of refunding twice.
    request_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args: Any, currency: str, remaining: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency, self.remaining = currency, remaining

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what clean() returns; typed as a dict
        if "amount" not in self.errors:
            amount = parse_money(self, "amount", self.currency)
            if amount is None and not cleaned.get("amount"):
                amount = self.remaining
            cleaned["amount_minor"] = amount
        return cleaned


def _need_label(need: Need) -> str:
    return f"{need.title} ({need.currency})"


class NeedChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Need) -> str:
        gap = getattr(obj, "gap", None)
        if gap is None:
            return _need_label(obj)
        return str(
            _("%(need)s: needs %(gap)s more")
            % {"need": _need_label(obj), "gap": money.format_money(gap, obj.currency)}
        )


def encode_account(account: Account) -> str:
    """An account as a form value: ``general:USD``, ``restricted:USD:3:``, ``need:12``."""
    if account.kind == AccountKind.NEED:
        return f"need:{account.need_id}"
    if account.kind == AccountKind.RESTRICTED:
        return f"restricted:{account.currency}:{account.cause_id or ''}:{account.region_id or ''}"
    return f"{account.kind}:{account.currency}"


def decode_account(value: str, needs: dict[int, Need]) -> Account | None:
    """The account a form value names, or ``None`` if it names nothing we offered."""
    parts = value.split(":")
    try:
        if parts[0] == AccountKind.NEED and len(parts) == 2:
            need = needs.get(int(parts[1]))
            return Account.need(need.pk, need.currency) if need else None
        if parts[0] == AccountKind.RESTRICTED and len(parts) == 4:
            cause = int(parts[2]) if parts[2] else None
            region = int(parts[3]) if parts[3] else None
            return Account.restricted(parts[1], cause, region)
        if parts[0] == AccountKind.GENERAL and len(parts) == 2:
            return Account.general(parts[1])
    except ValueError:
        return None
    return None


class ReallocateForm(forms.Form):
    """Move money from a pool or a need to a need, with an amount and a reason."""

    source = forms.ChoiceField(
        label=_("Move money from"),
        help_text=_("Only places holding money that has not been paid out are listed."),
    )
    target = NeedChoiceField(
        label=_("To the need"),
        queryset=Need.objects.none(),
        help_text=_("Open needs with room left. Money stays in its currency."),
    )
    amount = amount_field(_("In the currency of the money you move, for example 250 or 250.50."))
    reason = reason_field(_("Recorded with your name on every ledger line of the move."))

    def __init__(
        self,
        *args: Any,
        sources: list[tuple[str, list[tuple[str, str]]]],
        source_needs: dict[int, Need],
        targets: QuerySet[Need],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["source"]).choices = [("", "---------"), *sources]
        cast(forms.ModelChoiceField, self.fields["target"]).queryset = targets
        self.source_needs = source_needs

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what clean() returns; typed as a dict
        value = cleaned.get("source")
        account = decode_account(value, self.source_needs) if value else None
        if value and account is None:
            self.add_error("source", _("Choose one of the places listed."))
        cleaned["account"] = account
        if account is not None and "amount" not in self.errors:
            cleaned["amount_minor"] = parse_money(self, "amount", account.currency)
        return cleaned


class DisbursementForm(forms.Form):
    """Money sent from a need to its partner."""

    need = NeedChoiceField(
        label=_("Need"),
        queryset=Need.objects.none(),
        help_text=_("Needs holding money that has not been paid out yet."),
    )
    amount = amount_field(_("In the need's currency, as on the bank transfer."))
    paid_on = forms.DateField(label=_("Paid on"), widget=AdminDateInput, initial=timezone.localdate)
    reference = forms.CharField(
        label=_("Payment reference"),
        max_length=200,
        required=False,
        help_text=_("The bank transfer's reference, so the statement can be matched."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, needs: QuerySet[Need], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        need = cast(forms.ModelChoiceField, self.fields["need"])
        need.queryset = needs
        need.label_from_instance = self._label  # type: ignore[assignment]  # Django's hook

    @staticmethod
    def _label(need: Need) -> str:
        available = getattr(need, "available", None)
        if available is None:
            return _need_label(need)
        return str(
            _("%(need)s: %(available)s not paid out")
            % {"need": _need_label(need), "available": money.format_money(available, need.currency)}
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what clean() returns; typed as a dict
        need = cleaned.get("need")
        if need is not None and "amount" not in self.errors:
            cleaned["amount_minor"] = parse_money(self, "amount", need.currency)
        paid_on = cleaned.get("paid_on")
        if paid_on and paid_on > timezone.localdate():
            self.add_error("paid_on", _("Record a disbursement once the money has been sent."))
        return cleaned


class ReasonForm(forms.Form):
    """A reason, for actions that need one and nothing else (reversing a disbursement)."""

    reason = reason_field(_("Recorded with your name on the reversal."))


# --- Offline gifts ------------------------------------------------------------------------------

#: Places a typed-in offline gift may be split over (the donate form's limit).
OFFLINE_TARGET_ROWS = 3


def target_choices() -> list[Any]:
    """Every place a gift may go, grouped as the donate form groups them."""
    from ..giving.targets import choice_groups, open_needs

    groups = choice_groups(
        needs=open_needs(None, None),
        causes=True,
        regions=True,
        cause_regions=True,
        general=True,
        locale=None,
    )
    return [("", "---------")] + [
        (group.label, [(target.value, target.label) for target in group.options])
        for group in groups
    ]


class OfflineGiftForm(forms.Form):
    """One offline gift, checked by the same rules as an imported row (``giving.offline``)."""

    channel = forms.ChoiceField(label=_("Received by"))
    received_on = forms.DateField(
        label=_("Received on"), widget=AdminDateInput, initial=timezone.localdate
    )
    amount = amount_field(_("In major units, as on the bank statement: 25 or 25.50."))
    currency = forms.ChoiceField(label=_("Currency"))
    reference = forms.CharField(
        label=_("Payment reference"),
        max_length=200,
        help_text=_(
            "The bank transfer's reference, the receipt book number or the cheque number: the "
            "same payment cannot be recorded twice."
        ),
    )
    donor_name = forms.CharField(label=_("Donor's name"), max_length=200, required=False)
    donor_email = forms.CharField(label=_("Donor's email"), max_length=254, required=False)
    anonymous = forms.BooleanField(label=_("The donor wants to stay anonymous"), required=False)
    send_receipt = forms.BooleanField(
        label=_("The donor agreed to a receipt by email"), required=False
    )
    language = forms.ChoiceField(label=_("Language of the receipt"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.conf import settings

        from ..giving.models import OFFLINE_CHANNELS
        from .filters import currency_choices

        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["channel"]).choices = [
            (c.value, c.label) for c in OFFLINE_CHANNELS
        ]
        cast(forms.ChoiceField, self.fields["currency"]).choices = currency_choices()
        cast(forms.ChoiceField, self.fields["language"]).choices = [
            ("", _("The site's language")),
            *settings.LANGUAGES,
        ]
        choices = target_choices()
        for number in range(1, OFFLINE_TARGET_ROWS + 1):
            self.fields[f"target_{number}"] = forms.ChoiceField(
                label=_("For (%(number)d)") % {"number": number},
                choices=choices,
                required=False,
                help_text=_("Leave every place empty for “where most needed”.")
                if number == 1
                else "",
            )
            self.fields[f"share_{number}"] = forms.CharField(
                label=_("Share in %% (%(number)d)") % {"number": number},
                max_length=3,
                required=False,
                help_text=_("Whole percentages adding up to 100; empty for a single place.")
                if number == 1
                else "",
            )
        self.gift: OfflineGiftRequest | None = None

    def clean(self) -> dict[str, Any]:
        from ..giving import offline

        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        values = {
            name: cleaned.get(name) or ""
            for name in ("channel", "amount", "currency", "reference", "donor_name", "language")
        }
        values["donor_email"] = cleaned.get("donor_email") or ""
        values["received_on"] = cleaned["received_on"].isoformat()
        values["anonymous"] = "yes" if cleaned.get("anonymous") else "no"
        values["send_receipt"] = "yes" if cleaned.get("send_receipt") else "no"
        rows = [
            (cleaned.get(f"target_{n}") or "", (cleaned.get(f"share_{n}") or "").strip())
            for n in range(1, OFFLINE_TARGET_ROWS + 1)
        ]
        rows = [(target, share) for target, share in rows if target or share]
        values["targets"] = [target for target, _share in rows]
        values["shares"] = [share for _target, share in rows]
        try:
            self.gift = offline.read_gift(values)
        except offline.OfflineGiftError as error:
            field = error.field if error.field in self.fields else None
            self.add_error(field, error.message)
        return cleaned


class OfflineImportForm(forms.Form):
    """A CSV or XLSX file of offline gifts."""

    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.template.defaultfilters import filesizeformat

        from ..giving import offline

        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "CSV (UTF-8) or XLSX, with the template's columns; at most %(size)s."
        ) % {"size": filesizeformat(offline.max_file_bytes())}

    @classmethod
    def refusing(cls, field: str, message: Any) -> OfflineImportForm:
        """A form showing only ``message`` on ``field``, for a request whose body is not read."""
        form = cls(data={}, files={})
        form.full_clean()
        form.errors.clear()
        form.add_error(field, message)
        return form


class VoidForm(forms.Form):
    """Why an offline gift is voided."""

    reason = reason_field(
        _("Recorded with your name on the gift and on every reversal line. No personal data.")
    )
