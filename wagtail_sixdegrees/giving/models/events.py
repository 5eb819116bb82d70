"""The webhook event store: every verified Stripe event, saved before it is processed."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class StripeEvent(models.Model):
    """One Stripe event as it arrived. Its row exists before processing starts, so a failure
    leaves a record (``last_error``) and a redelivery or ``sixdegrees_reconcile`` retries it."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        UNCHANGED = "unchanged", _("Nothing to change")
        IGNORED = "ignored", _("Not ours or not handled")
        # About a charge we cannot place yet (its payment is still unknown to us): kept and
        # applied as soon as the payment it belongs to is recorded.
        DEFERRED = "deferred", _("Waiting for its payment")
        # Names one of our donations or gifts but does not match what we asked Stripe for
        # (session, amount, currency, subscription): recorded, never applied.
        MISMATCH = "mismatch", _("Does not match the donation it names")
        # From the other Stripe mode (a test event at a live site, or the reverse).
        REFUSED = "refused", _("Refused: wrong Stripe mode")

    stripe_id = models.CharField(_("Stripe event id"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100, db_index=True)
    livemode = models.BooleanField(_("live mode"), default=False)
    api_version = models.CharField(_("API version"), max_length=64, blank=True)
    #: When Stripe created the event.
    created = models.DateTimeField(_("created at Stripe"), null=True, blank=True)
    #: The id of ``data.object`` (a session, invoice, charge, dispute or subscription).
    object_id = models.CharField(_("object id"), max_length=255, blank=True, db_index=True)
    #: The charge a charge or dispute event is about: how deferred events find their payment.
    charge_id = models.CharField(_("charge id"), max_length=255, blank=True, db_index=True)
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    #: Not a column: whether this delivery stored the row (``webhooks.store_event`` sets it).
    is_new: bool = False
    attempts = models.PositiveIntegerField(_("processing attempts"), default=0)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    #: Why the event was refused or did not match (empty when it was applied).
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_id}"
