"""The people who give. Personal data lives here and only here, so erasure touches one row."""

from __future__ import annotations

from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DonorQuerySet(models.QuerySet["Donor"]):
    def with_email(self, email: str) -> DonorQuerySet:
        return self.filter(email__iexact=email.strip(), erased_at__isnull=True)

    def for_email(self, email: str) -> Donor:
        """The donor with this address, created with the address alone if new (safe against
        a request creating the same donor at the same moment)."""
        donor = self.with_email(email).first()
        if donor is None:
            try:
                with transaction.atomic():
                    return self.create(email=email)
            except IntegrityError:  # created by a request racing this one
                donor = self.with_email(email).get()
        return donor


class Donor(models.Model):
    """Someone who gave, known by email. Erasure blanks the person and keeps the money rows."""

    email = models.EmailField(_("email"), blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    locale = models.CharField(
        _("language"), max_length=16, blank=True, help_text=_("The language receipts are sent in.")
    )
    created = models.DateTimeField(_("created"), default=timezone.now)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    objects = DonorQuerySet.as_manager()

    class Meta:
        verbose_name = _("donor")
        verbose_name_plural = _("donors")
        # Checked wherever the Giving panel shows a donor's name, email address or dedication.
        permissions = [
            (
                "view_donor_personal_data",
                _("Can see donors' names, email addresses and dedications"),
            )
        ]
        constraints = [
            # One donor per address (case-insensitive); erased donors keep no address.
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="sixdegrees_donor_email_unique",
            )
        ]

    def __str__(self) -> str:
        if self.erased_at:
            return str(_("Erased donor"))
        return self.name or self.email

    def erase(self) -> None:
        """Forget who this donor is; their donations (and the ledger) stay, anonymised."""
        self.email = ""
        self.name = ""
        self.erased_at = timezone.now()
        self.save(update_fields=["email", "name", "erased_at"])
        self.donations.update(dedication="", donor_name="", anonymous=True)
        self.recurring_gifts.update(dedication="", donor_name="", anonymous=True)
