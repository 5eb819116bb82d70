"""A donor's choice when a need closes with their money still waiting in it.

One row per donor and closed need (docs/concepts.md#need-closes): written when the need is found
closed, emailed once, decided once, by the donor or, after ``NEED_CHOICE_DAYS``, by the default.
The money itself moves only through ``allocation/ledger.py``; this row says what was decided.
"""

from __future__ import annotations

import uuid

from django.core import signing
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NeedChoice(models.Model):
    class Option(models.TextChoices):
        NEED = "need", _("Another open need of the same cause")
        POOL = "pool", _("The next need of the same cause")
        GENERAL = "general", _("Where most needed")

    reference = models.UUIDField(_("reference"), default=uuid.uuid4, unique=True, editable=False)
    donor = models.ForeignKey(
        "wagtail_sixdegrees.Donor",
        verbose_name=_("donor"),
        on_delete=models.PROTECT,
        related_name="need_choices",
    )
    need = models.ForeignKey(
        "wagtail_sixdegrees.Need",
        verbose_name=_("closed need"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    currency = models.CharField(_("currency"), max_length=3)
    #: What was waiting when the need was found closed (the move recomputes it from the ledger).
    amount = models.BigIntegerField(_("waiting when the need closed"))
    #: Whether other needs offered must be in the closed need's region (the gift named one).
    same_region = models.BooleanField(_("same region only"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    deadline = models.DateTimeField(_("choose by"))
    notified_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    option = models.CharField(_("choice"), max_length=10, choices=Option.choices, blank=True)
    chosen_need = models.ForeignKey(
        "wagtail_sixdegrees.Need",
        verbose_name=_("chosen need"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    by_default = models.BooleanField(_("default applied"), default=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    moved = models.BigIntegerField(_("moved"), default=0)

    class Meta:
        verbose_name = _("need choice")
        verbose_name_plural = _("need choices")
        ordering = ["deadline", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["donor", "need"], name="sixdegrees_need_choice_once")
        ]

    def __str__(self) -> str:
        return f"{self.need} ({self.get_option_display() or _('waiting')})"

    @property
    def is_decided(self) -> bool:
        return self.decided_at is not None


TOKEN_SALT = "wagtail_sixdegrees.need_choice"  # noqa: S105 - a salt, not a secret


def choice_token(choice: NeedChoice) -> str:
    """The signed link's token: it names the choice and nothing else, and stops working once
    the donor is erased."""
    return signing.dumps(str(choice.reference), salt=TOKEN_SALT)


def choice_for_token(token: str) -> NeedChoice | None:
    try:
        reference = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return None
    return (
        NeedChoice.objects.select_related("need__cause", "need__region", "donor", "chosen_need")
        .filter(reference=reference, donor__erased_at__isnull=True)
        .first()
    )
