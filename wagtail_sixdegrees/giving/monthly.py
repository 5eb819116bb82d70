"""Donors changing their own monthly gifts, and Stripe telling us a payment failed.

Each change a donor asks for is a :class:`GiftChange` saved *before* Stripe is called: its
reference is the call's idempotency key, so stripe-python's own retries of that call are one
request. A second click is a second change and a second request; both ask Stripe for a state,
so the last one wins. A change's state moves from *requested* to *confirmed* only when Stripe's
webhook shows the subscription in the asked-for state (``confirm_from_subscription``, called by
``fulfilment.prepare_subscription``); a confirmed change closes the earlier requests for the same
setting as *superseded*, and a card update nobody finished expires after
``CARD_UPDATE_WAIT_HOURS``. Stripe is never called inside a transaction or with a row locked.

The Stripe calls:

- amount: ``GET /v1/subscriptions/:id`` (the item and product), then ``POST
  /v1/subscriptions/:id`` with the item's new ``price_data`` and ``proration_behavior=none``: the
  next charge is the new amount, nothing is charged or credited now;
- pause: ``POST /v1/subscriptions/:id`` with ``pause_collection[behavior]=void`` and
  ``[resumes_at]`` (invoices while paused are voided: nothing is owed later);
- resume: ``POST /v1/subscriptions/:id`` with ``pause_collection=`` (unset);
- cancel: ``DELETE /v1/subscriptions/:id``;
- card: ``POST /v1/billing_portal/sessions`` with the ``payment_method_update`` flow;
- what it supports: none. Preferences are ours, Stripe never sees them; the gift's template
  changes at once and applies from the next paid invoice (past donations keep theirs).
"""

from __future__ import annotations

import calendar
import datetime
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .. import conf, money
from .gateway import StripeError, StripeGateway, idempotency_key
from .models import Donation, GiftChange, RecurringGift, RecurringPreference
from .targets import Target

logger = logging.getLogger(__name__)

#: How long a donor may pause a monthly gift, in months.
PAUSE_MONTHS = (1, 2, 3)

_CARD_SALT = "wagtail_sixdegrees.giving.update-card"


class StripeUnavailable(Exception):
    """Stripe refused the change or could not be reached; nothing changed."""


def gifts_of(email: str):
    """The monthly gifts of the donor with this address that ever started (newest first)."""
    return (
        RecurringGift.objects.filter(donor__email__iexact=email, donor__erased_at__isnull=True)
        .exclude(status__in=[RecurringGift.Status.PENDING, RecurringGift.Status.EXPIRED])
        .select_related("donor")
    )


def pending_changes_of(email: str) -> list[GiftChange]:
    """The donor's changes that Stripe has not confirmed yet, oldest first."""
    return list(
        GiftChange.objects.filter(
            gift__in=gifts_of(email), state=GiftChange.State.REQUESTED
        ).order_by("requested_at", "pk")
    )


def expire_unfinished_card_updates(gifts) -> int:
    """Mark *expired* the card updates of ``gifts`` (a queryset) still waiting after
    ``CARD_UPDATE_WAIT_HOURS``: the donor left Stripe's card page without saving a card, and
    nothing would ever confirm them. Returns how many."""
    wait = datetime.timedelta(hours=int(conf.get_setting("CARD_UPDATE_WAIT_HOURS")))
    return GiftChange.objects.filter(
        gift__in=gifts,
        kind=GiftChange.Kind.CARD,
        state=GiftChange.State.REQUESTED,
        requested_at__lt=timezone.now() - wait,
    ).update(state=GiftChange.State.EXPIRED)


# --- asking Stripe --------------------------------------------------------------------------


def _ask_stripe(
    gift: RecurringGift, kind: str, detail: dict[str, Any], call: Callable[[str], Any]
) -> GiftChange:
    """Record the change as requested, then make the Stripe call with its idempotency key."""
    change = GiftChange.objects.create(
        gift=gift, kind=kind, actor=GiftChange.Actor.DONOR, detail=detail
    )
    try:
        call(idempotency_key(f"gift-{kind}", change.reference))
    except StripeError as error:
        logger.warning("Stripe did not take the %s change of gift %s: %s", kind, gift.pk, error)
        GiftChange.objects.filter(pk=change.pk).update(state=GiftChange.State.FAILED)
        raise StripeUnavailable(str(error)) from error
    return change


def parse_new_amount(gift: RecurringGift, text: str, locale: str | None = None) -> int:
    """The new monthly amount in minor units; raises ``money.AmountError`` with the donate
    form's own message outside the currency's minimum and maximum."""
    return money.parse_charge_amount(text, gift.currency, locale=locale)


def change_amount(
    gift: RecurringGift, amount: int, gateway: StripeGateway | None = None
) -> GiftChange:
    """Charge ``amount`` (already checked by :func:`parse_new_amount`) from the next invoice."""
    money.check_charge_limits(amount, gift.currency)
    gateway = gateway or StripeGateway()
    try:
        subscription = gateway.retrieve_subscription(gift.stripe_subscription_id)
    except StripeError as error:
        raise StripeUnavailable(str(error)) from error
    item = subscription["items"]["data"][0]
    price = item["price"]
    params = {
        "items": [
            {
                "id": item["id"],
                "price_data": {
                    "currency": gift.currency.lower(),
                    "product": price["product"]
                    if isinstance(price["product"], str)
                    else price["product"]["id"],
                    "recurring": {"interval": "month"},
                    "unit_amount": amount,
                },
            }
        ],
        # The new amount from the next charge; nothing is charged or credited today.
        "proration_behavior": "none",
    }
    return _ask_stripe(
        gift,
        GiftChange.Kind.AMOUNT,
        {"from": gift.amount, "to": amount, "currency": gift.currency},
        lambda key: gateway.update_subscription(gift.stripe_subscription_id, params, key=key),
    )


def add_months(moment: datetime.datetime, months: int) -> datetime.datetime:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def pause(gift: RecurringGift, months: int, gateway: StripeGateway | None = None) -> GiftChange:
    if months not in PAUSE_MONTHS:
        raise ValueError(months)
    gateway = gateway or StripeGateway()
    resumes_at = int(add_months(timezone.now(), months).timestamp())
    params = {"pause_collection": {"behavior": "void", "resumes_at": resumes_at}}
    return _ask_stripe(
        gift,
        GiftChange.Kind.PAUSE,
        {"months": months, "resumes_at": resumes_at},
        lambda key: gateway.update_subscription(gift.stripe_subscription_id, params, key=key),
    )


def resume(gift: RecurringGift, gateway: StripeGateway | None = None) -> GiftChange:
    gateway = gateway or StripeGateway()
    return _ask_stripe(
        gift,
        GiftChange.Kind.RESUME,
        {},
        lambda key: gateway.update_subscription(
            gift.stripe_subscription_id, {"pause_collection": ""}, key=key
        ),
    )


def cancel(gift: RecurringGift, gateway: StripeGateway | None = None) -> GiftChange:
    gateway = gateway or StripeGateway()
    # The existing cancel key (one per subscription): the receipt's cancel link and this are
    # the same request.
    return _ask_stripe(
        gift,
        GiftChange.Kind.CANCEL,
        {},
        lambda _key: gateway.cancel_subscription(gift.stripe_subscription_id),
    )


#: The languages Stripe's Billing Portal speaks (``SessionCreateParams.locale``); others get
#: ``auto`` (the browser's language).
PORTAL_LOCALES = frozenset(
    [
        "bg",
        "cs",
        "da",
        "de",
        "el",
        "en",
        "en-AU",
        "en-CA",
        "en-GB",
        "en-IE",
        "en-IN",
        "en-NZ",
        "en-SG",
        "es",
        "es-419",
        "et",
        "fi",
        "fil",
        "fr",
        "fr-CA",
        "hr",
        "hu",
        "id",
        "it",
        "ja",
        "ko",
        "lt",
        "lv",
        "ms",
        "mt",
        "nb",
        "nl",
        "pl",
        "pt",
        "pt-BR",
        "ro",
        "ru",
        "sk",
        "sl",
        "sv",
        "th",
        "tr",
        "vi",
        "zh",
        "zh-HK",
        "zh-TW",
    ]
)


def portal_locale(language: str) -> str:
    from .checkout import checkout_locale

    locale = checkout_locale(language or "en")
    return locale if locale in PORTAL_LOCALES else "auto"


def card_update_url(
    gift: RecurringGift, return_url: str, gateway: StripeGateway | None = None
) -> str:
    """Where the donor replaces their card: a Stripe Billing Portal page."""
    gateway = gateway or StripeGateway()
    answers: list[dict[str, Any]] = []
    _ask_stripe(
        gift,
        GiftChange.Kind.CARD,
        {},
        lambda key: answers.append(
            gateway.create_billing_portal_session(
                customer=gift.stripe_customer_id,
                return_url=return_url,
                locale=portal_locale(gift.locale or gift.donor.locale),
                key=key,
            )
        ),
    )
    return str(answers[0]["url"])


def change_preferences(gift: RecurringGift, targets: list[tuple[Target, int]]) -> GiftChange:
    """What the gift supports from its next paid invoice on. Past donations keep their own
    preferences, so no allocation moves."""
    with transaction.atomic():
        locked = RecurringGift.objects.select_for_update().get(pk=gift.pk)
        before = [p.target for p in locked.template_preferences.all()]
        locked.template_preferences.all().delete()
        RecurringPreference.objects.bulk_create(
            [
                RecurringPreference(
                    recurring_gift=locked,
                    position=position,
                    share_bps=share,
                    **target.preference_fields(),
                )
                for position, (target, share) in enumerate(targets)
            ]
        )
        now = timezone.now()
        return GiftChange.objects.create(
            gift=locked,
            kind=GiftChange.Kind.PREFERENCES,
            actor=GiftChange.Actor.DONOR,
            state=GiftChange.State.CONFIRMED,
            confirmed_at=now,
            requested_at=now,
            detail={
                "from": before,
                "to": [[target.value, share] for target, share in targets],
            },
        )


# --- what Stripe says -----------------------------------------------------------------------


def _price_of(subscription: dict[str, Any]) -> dict[str, Any]:
    items = (subscription.get("items") or {}).get("data") or []
    price = items[0].get("price") if items and isinstance(items[0], dict) else None
    return price if isinstance(price, dict) else {}


def subscription_amount(subscription: dict[str, Any]) -> int | None:
    """The monthly amount the subscription charges now, in minor units (``None`` if unknown)."""
    try:
        return int(_price_of(subscription)["unit_amount"])
    except (KeyError, TypeError, ValueError):
        return None


def _lapsed(subscription: dict[str, Any]) -> bool:
    """Stripe gave up collecting: the subscription ended (or stays unpaid) after failures."""
    reason = (subscription.get("cancellation_details") or {}).get("reason")
    status = subscription.get("status")
    return status == "unpaid" or (status == "canceled" and reason == "payment_failed")


def confirm_from_subscription(gift: RecurringGift, subscription: dict[str, Any]) -> bool:
    """Inside ``prepare_subscription``'s transaction, with ``gift`` locked: carry the amount
    and the pause to the gift, mark lapsed, and confirm the changes Stripe now shows. Returns
    whether anything changed (the caller saves ``gift``)."""
    changed = False
    amount = subscription_amount(subscription)
    currency = str(_price_of(subscription).get("currency") or gift.currency).upper()
    if amount and currency == gift.currency and amount != gift.amount:
        gift.amount, gift.covered_fee_amount, gift.cover_fees = amount, 0, False
        changed = True
    pause_collection = subscription.get("pause_collection") or None
    resumes = (pause_collection or {}).get("resumes_at")
    paused_until = (
        datetime.datetime.fromtimestamp(int(resumes), tz=datetime.UTC) if resumes else None
    )
    if paused_until != gift.paused_until:
        gift.paused_until = paused_until
        changed = True
    if pause_collection and gift.status == RecurringGift.Status.ACTIVE:
        gift.status = RecurringGift.Status.PAUSED
        changed = True
    if _lapsed(subscription) and gift.status != RecurringGift.Status.LAPSED:
        gift.status = RecurringGift.Status.LAPSED
        gift.cancelled_at = gift.cancelled_at or timezone.now()
        changed = True
        _record_lapse(gift, subscription["id"])
    now = timezone.now()
    waiting = list(gift.changes.select_for_update().filter(state=GiftChange.State.REQUESTED))
    confirmed = []
    for change in waiting:
        if _shows(change, subscription, amount, pause_collection):
            change.state, change.confirmed_at = GiftChange.State.CONFIRMED, now
            change.save(update_fields=["state", "confirmed_at"])
            confirmed.append(change)
            changed = True
    return _close_superseded(waiting, confirmed) or changed


#: The setting of the subscription each kind of change sets: a confirmed change replaces the
#: earlier requests for the same setting (a resume replaces a pause asked for before it).
_SETTING: dict[str, str] = {
    GiftChange.Kind.AMOUNT: "amount",
    GiftChange.Kind.PAUSE: "pause",
    GiftChange.Kind.RESUME: "pause",
    GiftChange.Kind.CARD: "card",
}


def _replaces(later: GiftChange, earlier: GiftChange) -> bool:
    """Whether confirmed ``later`` makes waiting ``earlier`` moot: same setting (a cancel ends
    them all), asked for after it."""
    setting = _SETTING.get(later.kind)
    same = later.kind == GiftChange.Kind.CANCEL or (
        setting is not None and setting == _SETTING.get(earlier.kind)
    )
    return same and (later.requested_at, later.pk) > (earlier.requested_at, earlier.pk)


def _close_superseded(waiting: list[GiftChange], confirmed: list[GiftChange]) -> bool:
    """Mark *superseded* the waiting changes a confirmed one replaced: Stripe now shows a later
    request, so nothing will ever confirm them. Returns whether any was closed."""
    closed = [
        change.pk
        for change in waiting
        if change.state == GiftChange.State.REQUESTED
        and any(_replaces(done, change) for done in confirmed)
    ]
    if closed:
        GiftChange.objects.filter(pk__in=closed).update(state=GiftChange.State.SUPERSEDED)
    return bool(closed)


def _shows(
    change: GiftChange,
    subscription: dict[str, Any],
    amount: int | None,
    pause_collection: dict[str, Any] | None,
) -> bool:
    """Whether the subscription as Stripe has it now carries out ``change``."""
    kind = change.kind
    if kind == GiftChange.Kind.AMOUNT:
        return amount == change.detail.get("to")
    if kind == GiftChange.Kind.PAUSE:
        if not pause_collection:
            return False
        return int(pause_collection.get("resumes_at") or 0) == int(
            change.detail.get("resumes_at") or -1
        )
    if kind == GiftChange.Kind.RESUME:
        return not pause_collection
    if kind == GiftChange.Kind.CANCEL:
        return subscription.get("status") == "canceled"
    return False


def _record_lapse(gift: RecurringGift, subscription_id: str) -> None:
    _change, created = GiftChange.objects.get_or_create(
        gift=gift,
        kind=GiftChange.Kind.LAPSED,
        stripe_id=subscription_id,
        defaults={
            "actor": GiftChange.Actor.STRIPE,
            "state": GiftChange.State.CONFIRMED,
            "confirmed_at": timezone.now(),
        },
    )
    if created:  # told once, however often Stripe repeats itself
        gift_pk = gift.pk
        transaction.on_commit(lambda: send_gift_email(gift_pk, "lapsed"), robust=True)


def prepare_payment_failed(invoice: dict[str, Any], gateway: StripeGateway) -> Callable[[], str]:
    """``invoice.payment_failed`` for a monthly gift: mark the gift as having a payment
    problem and email the donor once per invoice, with a link to update their card."""
    from .fulfilment import APPLIED, IGNORED, UNCHANGED
    from .stripe_objects import subscription_of

    subscription_id, _metadata = subscription_of(invoice)

    def apply() -> str:
        gift = (
            RecurringGift.objects.select_for_update()
            .filter(stripe_subscription_id=subscription_id)
            .first()
            if subscription_id
            else None
        )
        if gift is None:
            return IGNORED
        _change, created = GiftChange.objects.get_or_create(
            gift=gift,
            kind=GiftChange.Kind.PAYMENT_FAILED,
            stripe_id=str(invoice.get("id") or ""),
            defaults={
                "actor": GiftChange.Actor.STRIPE,
                "state": GiftChange.State.CONFIRMED,
                "confirmed_at": timezone.now(),
                "detail": {
                    "amount": int(invoice.get("amount_due") or 0),
                    "currency": str(invoice.get("currency") or "").upper(),
                },
            },
        )
        if not created:
            return UNCHANGED
        if gift.status in (RecurringGift.Status.ACTIVE, RecurringGift.Status.PAUSED):
            gift.status = RecurringGift.Status.PAST_DUE
            gift.save(update_fields=["status"])
        gift_pk = gift.pk
        transaction.on_commit(lambda: send_gift_email(gift_pk, "payment_failed"), robust=True)
        return APPLIED

    return apply


def prepare_card_attached(payment_method: dict[str, Any], gateway: StripeGateway):
    """``payment_method.attached``: a card the donor added on Stripe's page confirms their
    latest card update on each gift (even one already marked expired: Stripe may deliver the
    event late) and closes the earlier ones as superseded."""
    from .fulfilment import APPLIED, IGNORED
    from .stripe_objects import object_id

    customer = object_id(payment_method.get("customer"))

    def apply() -> str:
        if not customer:
            return IGNORED
        unfinished = GiftChange.objects.select_for_update().filter(
            gift__stripe_customer_id=customer,
            kind=GiftChange.Kind.CARD,
            state__in=[GiftChange.State.REQUESTED, GiftChange.State.EXPIRED],
        )
        latest: dict[int, GiftChange] = {}
        waiting = []
        for change in unfinished.order_by("requested_at", "pk"):
            latest[change.gift_id] = change
            waiting.append(change)
        for change in latest.values():
            change.state, change.confirmed_at = GiftChange.State.CONFIRMED, timezone.now()
            change.stripe_id = str(payment_method.get("id") or "")[:255]
            change.save(update_fields=["state", "confirmed_at", "stripe_id"])
        _close_superseded(waiting, list(latest.values()))
        return APPLIED if latest else IGNORED

    return apply


# --- emails ---------------------------------------------------------------------------------


def card_token(gift: RecurringGift) -> str:
    """A signed token naming one monthly gift, for the failed-payment email's card link."""
    return signing.dumps(str(gift.reference), salt=_CARD_SALT, compress=False)


def gift_for_card_token(token: str) -> RecurringGift | None:
    max_age = datetime.timedelta(days=int(conf.get_setting("CARD_LINK_MAX_AGE_DAYS")))
    try:
        reference = signing.loads(token, salt=_CARD_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    return (
        RecurringGift.objects.filter(reference=reference, donor__erased_at__isnull=True)
        .select_related("donor")
        .first()
    )


def send_gift_email(gift_pk: int, kind: str) -> bool:
    """The failed-payment (``payment_failed``) or lapse (``lapsed``) email, in the donor's
    language. False when there is nobody to write to."""
    from .receipts import sender, site_root_url

    gift = RecurringGift.objects.select_related("donor", "site").filter(pk=gift_pk).first()
    if gift is None or not gift.donor.email:
        return False
    donation = Donation(site=gift.site)
    root = site_root_url(donation)
    context = {
        "gift": gift,
        "donor": gift.donor,
        "card_url": root + reverse("wagtail_sixdegrees:update_card", args=[card_token(gift)]),
        "my_giving_url": root + reverse("wagtail_sixdegrees:my_giving"),
    }
    with translation.override(gift.locale or gift.donor.locale or settings.LANGUAGE_CODE):
        subject = " ".join(
            render_to_string(f"wagtail_sixdegrees/giving/email/{kind}_subject.txt", context).split()
        )
        body = render_to_string(f"wagtail_sixdegrees/giving/email/{kind}.txt", context)
    EmailMessage(subject=subject, body=body, to=[gift.donor.email], **sender(donation)).send()
    return True
