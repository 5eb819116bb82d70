"""Consent to publish a survivor's story: one record per story, shared by all its translations.

The record is keyed on the page's ``translation_key``, the UUID a page shares with every
translation of it, so a story in Thai and in English can never drift apart on consent. It is a
separate model (not part of the page) so that it never lands in page revisions, the search
index, the API or templates that editors without the consent permissions can read.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.query import PageQuerySet

from .. import conf, display


def add_years(day: datetime.date, years: int) -> datetime.date:
    """``day`` moved ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def maximum_expiry(given_on: datetime.date) -> datetime.date:
    """The latest expiry a consent given on ``given_on`` may have (``CONSENT_MAX_YEARS``)."""
    return add_years(given_on, int(conf.get_setting("CONSENT_MAX_YEARS")))


def start_of_day(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in the site's time zone: the moment consent ends."""
    moment = datetime.datetime.combine(day, datetime.time.min)
    return timezone.make_aware(moment) if settings.USE_TZ else moment


class ConsentStatus(models.TextChoices):
    CURRENT = "current", _("Current")
    NOT_YET_VALID = "not_yet_valid", _("Not yet valid")
    NO_WEB_USE = "no_web_use", _("Does not cover the website")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class StoryConsentQuerySet(models.QuerySet["StoryConsent"]):
    def current(self, on: datetime.date | None = None) -> StoryConsentQuerySet:
        """Consents that allow a story on the website on ``on`` (default: today)."""
        day = on or timezone.localdate()
        return self.filter(
            withdrawn_on__isnull=True, covers_web=True, given_on__lte=day, expires_on__gt=day
        )

    def not_current(self, on: datetime.date | None = None) -> StoryConsentQuerySet:
        day = on or timezone.localdate()
        return self.filter(
            Q(withdrawn_on__isnull=False)
            | Q(covers_web=False)
            | Q(given_on__gt=day)
            | Q(expires_on__lte=day)
        )

    def expiring_within(self, days: int, on: datetime.date | None = None) -> StoryConsentQuerySet:
        """Current consents that end within ``days`` days of ``on``."""
        day = on or timezone.localdate()
        return self.current(day).filter(expires_on__lte=day + datetime.timedelta(days=days))

    def lapsed(self, on: datetime.date | None = None) -> StoryConsentQuerySet:
        """Consents that have ended by ``on``: expired, or withdrawn."""
        day = on or timezone.localdate()
        return self.filter(Q(withdrawn_on__isnull=False) | Q(expires_on__lte=day))


class StoryConsent(models.Model):
    """What the survivor agreed to, for how long, and where the signed form is kept."""

    translation_key = models.UUIDField(
        _("story"),
        unique=True,
        editable=False,
        help_text=_("The story and all its translations share this consent."),
    )
    covers_web = models.BooleanField(
        _("website"),
        default=True,
        help_text=_("Publishing on this website. Required before the story can be published."),
    )
    covers_social = models.BooleanField(
        _("social media"),
        default=False,
        help_text=_("Sharing on social media, including a preview image when the link is shared."),
    )
    covers_print = models.BooleanField(_("print"), default=False)
    given_on = models.DateField(_("given on"))
    expires_on = models.DateField(
        _("expires on"),
        blank=True,
        help_text=_(
            "The story is taken down on this day. Leave empty for the longest period allowed "
            "(three years unless your organisation set another limit)."
        ),
    )
    form_reference = models.CharField(
        _("consent form reference"),
        max_length=100,
        help_text=_(
            "Where the signed form is kept, such as a case file number. Never shown publicly "
            "and only visible to people allowed to see consent records."
        ),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    withdrawn_on = models.DateTimeField(_("withdrawn on"), null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawal recorded by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    term_salt = models.CharField(max_length=32, blank=True, editable=False)

    objects = StoryConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("story consent")
        verbose_name_plural = _("story consents")
        ordering = ["expires_on", "pk"]
        permissions = [
            ("withdraw_storyconsent", _("Can withdraw consent and take a story down")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gt=models.F("given_on")),
                name="sixdegrees_consent_expires_after_given",
            )
        ]

    def __str__(self) -> str:
        # Deliberately nothing private: this string reaches Wagtail's audit log and listings.
        title = self.story_title
        if title:
            return str(_("Consent for “%(story)s”") % {"story": title})
        return str(_("Consent record %(pk)s") % {"pk": self.pk})

    def save(self, *args, **kwargs) -> None:
        if self.given_on and not self.expires_on:
            self.expires_on = maximum_expiry(self.given_on)
        super().save(*args, **kwargs)

    @property
    def story_title(self) -> str:
        annotated = getattr(self, "annotated_story_title", None)
        if annotated is not None:
            return annotated
        story = self.source_story()
        return story.title if story else ""

    def stories(self) -> PageQuerySet:
        """Every story page (all translations) this consent covers."""
        from .models import story_pages

        return story_pages().filter(translation_key=self.translation_key)

    def source_story(self):
        """The story in its original language (the oldest page with this translation key)."""
        return self.stories().order_by("pk").first()

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list] = {}
        today = timezone.localdate()
        if self.given_on:
            if self.given_on > today:
                errors.setdefault("given_on", []).append(
                    _("Consent cannot be given in the future.")
                )
            latest = maximum_expiry(self.given_on)
            if not self.expires_on:
                self.expires_on = latest
            elif self.expires_on <= self.given_on:
                errors.setdefault("expires_on", []).append(
                    _("The expiry must be after the day consent was given.")
                )
            elif self.expires_on > latest:
                errors.setdefault("expires_on", []).append(
                    _(
                        "Consent can last at most %(years)s years: the latest expiry for "
                        "consent given on %(given)s is %(latest)s."
                    )
                    % {
                        "years": conf.get_setting("CONSENT_MAX_YEARS"),
                        "given": self.given_on.isoformat(),
                        "latest": latest.isoformat(),
                    }
                )
        if errors:
            raise ValidationError(errors)

    def add_never_publish_terms(self, terms: list[str]) -> int:
        """Keep ``terms`` as keyed digests of their normalised forms (never the text) for the
        re-identification check; returns how many new terms were kept."""
        from .reidentification import new_salt, store_terms
        from .reidentification_check import NeverPublishTerm

        if not self.term_salt:
            # update(), not save(): a salt is not a change of consent (no signal, no takedown).
            self.term_salt = new_salt()
            StoryConsent.objects.filter(pk=self.pk).update(term_salt=self.term_salt)
        known = set(self.never_publish_terms.values_list("digest", flat=True))
        new = [term for term in store_terms(terms, self.term_salt) if term.digest not in known]
        NeverPublishTerm.objects.bulk_create(
            NeverPublishTerm(consent=self, digest=term.digest, length=term.length) for term in new
        )
        return len(new)

    def clear_never_publish_terms(self) -> None:
        """Forget every term, and the salt with them."""
        self.never_publish_terms.all().delete()
        self.term_salt = ""
        StoryConsent.objects.filter(pk=self.pk).update(term_salt="")

    def status(self, on: datetime.date | None = None) -> ConsentStatus:
        day = on or timezone.localdate()
        if self.withdrawn_on:
            return ConsentStatus.WITHDRAWN
        if self.expires_on <= day:
            return ConsentStatus.EXPIRED
        if self.given_on > day:
            return ConsentStatus.NOT_YET_VALID
        if not self.covers_web:
            return ConsentStatus.NO_WEB_USE
        return ConsentStatus.CURRENT

    def get_status_display(self) -> str:
        return str(self.status().label)

    def is_current(self, on: datetime.date | None = None) -> bool:
        return self.status(on) == ConsentStatus.CURRENT

    @property
    def ends_at(self) -> datetime.datetime:
        """The moment the story must be off the site: the start of ``expires_on``."""
        return start_of_day(self.expires_on)

    def covers_moment(self, moment: datetime.datetime) -> bool:
        """Whether the story may be live at ``moment`` (used for scheduled publishing)."""
        return self.is_current(timezone.localdate(moment)) and moment < self.ends_at

    def days_left(self, on: datetime.date | None = None) -> int:
        return (self.expires_on - (on or timezone.localdate())).days


def current_consent_keys(on: datetime.date | None = None) -> models.QuerySet:
    """Translation keys of the stories whose consent is current on ``on`` (default: today),
    as a subquery for ``translation_key__in``: the one rule of which stories may be shown."""
    return StoryConsent.objects.current(on).values("translation_key")


def consent_for(page) -> StoryConsent | None:
    """The consent record of a story page (any translation), cached on the instance."""
    if hasattr(page, "_sixdegrees_consent"):
        cached: StoryConsent | None = page._sixdegrees_consent
        return cached
    # With the display version, which the page cache needs too: one query for both.
    consent = (
        StoryConsent.objects.filter(translation_key=page.translation_key)
        .annotate(display_version=display.current_expression())
        .first()
    )
    page._sixdegrees_consent = consent
    return consent


def forget_cached_consent(page) -> None:
    page.__dict__.pop("_sixdegrees_consent", None)
