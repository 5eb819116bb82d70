"""What happened to a monthly gift after it started: every change a donor asked for in *My
giving* (amount, what it supports, pause, resume, cancel, card), each payment Stripe could not
collect, and the lapse when Stripe gave up. Managers read it in the Giving panel.

A change that Stripe carries out is recorded *requested* before the call (its ``reference`` is
the call's idempotency key, so a retry of that call is the same request; a second click is a
second change) and *confirmed* when Stripe's webhook shows the subscription in the asked-for
state. A request that a later confirmed change replaced is *superseded*; a card update the
donor never finished on Stripe's page is *expired* after ``CARD_UPDATE_WAIT_HOURS``.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class GiftChange(models.Model):
    class Kind(models.TextChoices):
        AMOUNT = "amount", _("Amount changed")
        PREFERENCES = "preferences", _("What it supports changed")
        PAUSE = "pause", _("Paused")
        RESUME = "resume", _("Resumed")
        CANCEL = "cancel", _("Cancelled")
        CARD = "card", _("Card update")
        PAYMENT_FAILED = "payment_failed", _("Payment failed")
        LAPSED = "lapsed", _("Lapsed")

    class Actor(models.TextChoices):
        DONOR = "donor", _("The donor (My giving)")
        STRIPE = "stripe", _("Stripe")

    class State(models.TextChoices):
        REQUESTED = "requested", _("Waiting for Stripe")
        CONFIRMED = "confirmed", _("Confirmed")
        FAILED = "failed", _("Stripe refused or could not be reached")
        SUPERSEDED = "superseded", _("Replaced by a later change")
        EXPIRED = "expired", _("Not finished on Stripe's page")

    reference = models.UUIDField(_("reference"), default=uuid.uuid4, unique=True, editable=False)
    gift = models.ForeignKey(
        "wagtail_sixdegrees.RecurringGift",
        verbose_name=_("monthly gift"),
        on_delete=models.CASCADE,
        related_name="changes",
    )
    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)
    actor = models.CharField(_("who"), max_length=10, choices=Actor.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.REQUESTED
    )
    #: What changed, without personal data: ``{"from": 2500, "to": 3000}`` (minor units),
    #: ``{"months": 2, "until": "..."}``, ``{"targets": ["need:3"]}``.
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    #: The Stripe object this records, for facts Stripe told us (one row per failed invoice).
    stripe_id = models.CharField(_("Stripe object"), max_length=255, blank=True)
    requested_at = models.DateTimeField(_("when"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("monthly gift change")
        verbose_name_plural = _("monthly gift changes")
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["gift", "kind", "stripe_id"],
                condition=~Q(stripe_id=""),
                name="sixdegrees_gift_change_once_per_stripe_object",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_state_display()})"

    @property
    def is_pending(self) -> bool:
        return self.state == self.State.REQUESTED

    @property
    def summary(self) -> str:
        """What changed, in words a manager reads (no personal data)."""
        from ... import money

        detail = self.detail or {}
        if self.kind == self.Kind.AMOUNT and "to" in detail:
            currency = detail.get("currency", "")
            return str(
                _("%(before)s to %(after)s a month")
                % {
                    "before": money.format_money(int(detail.get("from") or 0), currency),
                    "after": money.format_money(int(detail["to"]), currency),
                }
            )
        if self.kind == self.Kind.PAUSE and "months" in detail:
            months = int(detail["months"])
            return ngettext("for %(months)d month", "for %(months)d months", months) % {
                "months": months
            }
        if self.kind == self.Kind.PREFERENCES:
            return ", ".join(
                f"{target} {int(share) // 100}%" for target, share in detail.get("to") or []
            )
        if self.kind == self.Kind.PAYMENT_FAILED and "amount" in detail:
            return money.format_money(int(detail["amount"]), detail.get("currency", ""))
        return ""


class DonorSignInLink(models.Model):
    """One emailed *My giving* link: single-use and short-lived. Only a digest of the token is
    stored, so a copy of the database cannot sign anyone in."""

    digest = models.CharField(_("token digest"), max_length=64, unique=True)
    email = models.EmailField(_("email"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("My giving sign-in link")
        verbose_name_plural = _("My giving sign-in links")

    def __str__(self) -> str:
        return f"{self.email} ({self.created_at:%Y-%m-%d %H:%M})"
