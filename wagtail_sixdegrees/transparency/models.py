"""Need updates, the notices sent about them, donor erasure records and the totals page."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, PublishingPanel
from wagtail.fields import RichTextField
from wagtail.images import get_image_model_string
from wagtail.models import DraftStateMixin, Page, RevisionMixin, TranslatableMixin

from ..layout import InSiteLayout


class NeedUpdateQuerySet(models.QuerySet["NeedUpdate"]):
    def for_needs(self, needs) -> NeedUpdateQuerySet:
        """Published updates on these needs, in any of their translations, newest first."""
        keys = {need.translation_key for need in needs}
        return (
            self.filter(live=True, need__live=True, need__translation_key__in=keys)
            .select_related("need", "image")
            .order_by("-first_published_at", "-pk")
        )


class NeedUpdate(TranslatableMixin, DraftStateMixin, RevisionMixin, models.Model):
    """A dated progress note on a need, written by an editor for the donors who funded it.

    Its date is when it was first published. Publishing it emails every donor who asked for
    updates and whose gift sits in the need, once (``notifications.py``).
    """

    need = models.ForeignKey(
        "wagtail_sixdegrees.Need",
        verbose_name=_("need"),
        on_delete=models.PROTECT,
        related_name="updates",
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(
        _("text"),
        help_text=_(
            "What happened, in plain words donors will read. Never a survivor's name, face, "
            "town or anything else that could identify them."
        ),
    )
    image = models.ForeignKey(
        get_image_model_string(),
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "Optional. An illustration or a photo in which nobody can be recognised. Uploaded "
            "images are stored without their location and camera data."
        ),
    )
    image_alt_text = models.CharField(
        _("image alternative text"),
        max_length=250,
        blank=True,
        help_text=_("Describe the image for people who cannot see it."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = NeedUpdateQuerySet.as_manager()

    panels = [
        FieldPanel("need"),
        FieldPanel("title"),
        FieldPanel("text"),
        MultiFieldPanel([FieldPanel("image"), FieldPanel("image_alt_text")], heading=_("Image")),
        PublishingPanel(),
    ]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("need update")
        verbose_name_plural = _("need updates")
        ordering = ["-first_published_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if not self.image_id:
            self.image_alt_text = ""

    @property
    def published_on(self):
        moment = self.first_published_at
        return timezone.localdate(moment) if moment else None


class NeedUpdateNotice(models.Model):
    """One update emailed to one donor. The unique pair makes sending idempotent: whatever
    retries, republications or translations happen, a donor hears about an update once."""

    update_key = models.UUIDField(_("update"), help_text=_("The update's translation key."))
    donor = models.ForeignKey(
        "wagtail_sixdegrees.Donor",
        verbose_name=_("donor"),
        on_delete=models.CASCADE,
        related_name="update_notices",
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("need update email")
        verbose_name_plural = _("need update emails")
        constraints = [
            models.UniqueConstraint(
                fields=["update_key", "donor"], name="sixdegrees_update_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.update_key} → {self.donor_id}"


class DonorErasure(models.Model):
    """That a donor's personal data was erased, when and by whom; never what it was."""

    class Via(models.TextChoices):
        ADMIN = "admin", _("Wagtail admin")
        COMMAND = "command", _("Management command")
        DONOR = "donor", _("The donor, in My giving")

    donor = models.ForeignKey(
        "wagtail_sixdegrees.Donor",
        verbose_name=_("donor"),
        on_delete=models.PROTECT,
        related_name="erasures",
    )
    erased_at = models.DateTimeField(_("erased at"), default=timezone.now)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("erased by"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    erased_by_label = models.CharField(_("erased by"), max_length=150, blank=True)
    via = models.CharField(_("via"), max_length=10, choices=Via.choices)
    summary = models.JSONField(_("what was changed"), default=dict)

    class Meta:
        verbose_name = _("donor erasure")
        verbose_name_plural = _("donor erasures")
        ordering = ["-erased_at", "-pk"]
        permissions = [
            ("export_donor_data", _("Can export everything held about a donor")),
            ("erase_donor", _("Can erase a donor's personal data")),
        ]

    def __str__(self) -> str:
        return str(_("Donor %(id)s erased") % {"id": self.donor_id})


class TransparencyPage(InSiteLayout, Page):
    """A public page of totals: raised, allocated and disbursed, by cause and region."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    show_by_cause = models.BooleanField(_("show totals by cause"), default=True)
    show_by_region = models.BooleanField(_("show totals by region"), default=True)
    outro = RichTextField(
        _("after the totals"), blank=True, features=["bold", "italic", "link", "ul"]
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        MultiFieldPanel(
            [FieldPanel("show_by_cause"), FieldPanel("show_by_region")], heading=_("Totals")
        ),
        FieldPanel("outro"),
    ]
    template = "wagtail_sixdegrees/transparency/transparency_page.html"

    class Meta:
        verbose_name = _("transparency page")
        verbose_name_plural = _("transparency pages")

    def get_context(self, request, *args, **kwargs):
        from .totals import public_totals

        context = super().get_context(request, *args, **kwargs)
        context["totals"] = public_totals()
        return context
