"""Story pages: an index of stories and the survivor's story itself.

Abstract bases (``AbstractStoryIndexPage``, ``AbstractSurvivorStoryPage``) hold the behaviour;
``StoryIndexPage`` and ``SurvivorStoryPage`` are the concrete defaults a site uses as they are
or replaces with its own subclasses.
"""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.images import get_image_model, get_image_model_string
from wagtail.models import Orderable, Page, PageManager
from wagtail.query import PageQuerySet
from wagtail.search import index
from wagtail.url_routing import RouteResult

from ..layout import InSiteLayout, PublicTemplateResponse
from ..needs.models import Cause, Need, Region
from . import page_cache
from .blocks import StoryBodyBlock
from .consent import StoryConsent, consent_for, current_consent_keys
from .forms import StoryCopyForm, StoryPageForm
from .images import refuse_unfit_story_image
from .loading import StoryLoader
from .panels import ConsentStatusPanel, IdentifyingDetailsPanel
from .publishing import refuse_unless_publishable
from .reidentification_check import FindingAcknowledgement, NeverPublishTerm
from .workflow import StorySafetyReviewTask

__all__ = [
    "AbstractStoryIndexPage",
    "AbstractSurvivorStoryPage",
    "FindingAcknowledgement",
    "NeverPublishTerm",
    "StoryConsent",
    "StoryIndexPage",
    "StoryNeed",
    "StoryPageQuerySet",
    "StorySafetyReviewTask",
    "SurvivorStoryPage",
    "hide_stories_without_current_consent",
    "story_models",
    "story_pages",
]

#: Renditions used for story cards on the index and for the social preview image.
CARD_IMAGE_SPEC = "fill-640x400"


def story_models() -> list[type[Page]]:
    """Every concrete survivor story page model of the site."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, AbstractSurvivorStoryPage) and not model._meta.abstract
    ]


def story_pages():
    """Every survivor story page of any concrete story type."""
    return Page.objects.type(AbstractSurvivorStoryPage)


def hide_stories_without_current_consent(pages: QuerySet, on=None) -> QuerySet:
    """``pages`` (any page queryset) without the stories whose consent is not current on ``on``.

    For a site's own listings of pages of every type (site search, menus, its own API v2
    endpoint): a story whose consent lapsed stays ``live`` until ``sixdegrees_enforce_consent``
    runs, and must not be shown meanwhile. Works before ``.search()``.
    """
    stories = Q(content_type__in=[ContentType.objects.get_for_model(m) for m in story_models()])
    return pages.filter(~stories | Q(translation_key__in=current_consent_keys(on)))


class StoryPageQuerySet(PageQuerySet):
    def with_current_consent(self, on=None) -> StoryPageQuerySet:
        """Stories whose consent allows them on the website on ``on`` (default: today).

        The one predicate of "may be shown" for lists of stories (the index, need and impact
        pages, the API, search), whether or not the enforcement command has run yet."""
        return self.filter(translation_key__in=current_consent_keys(on))


class StoryPageManager(PageManager.from_queryset(StoryPageQuerySet)):  # type: ignore[misc]  # Wagtail has no types
    """Story pages, with ``with_current_consent()``."""


class AbstractSurvivorStoryPage(InSiteLayout, Page):
    """A survivor's story, told under a pseudonym, live only while consent is current."""

    pseudonym = models.CharField(
        _("pseudonym"),
        max_length=80,
        help_text=_(
            "The name the story is told under. Never a real name: there is no field for a "
            "real name anywhere, and there must not be one in the text either."
        ),
    )
    teaser = models.TextField(
        _("teaser"),
        max_length=300,
        help_text=_("One or two sentences shown on the list of stories and in search results."),
    )
    content_warning = models.TextField(
        _("content warning"),
        max_length=300,
        blank=True,
        help_text=_(
            "Shown before the story, for example “This story mentions violence”. Leave empty "
            "if none is needed."
        ),
    )
    hero_image = models.ForeignKey(
        get_image_model_string(),
        verbose_name=_("illustration"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "An illustration, or a photo in which nobody can be recognised: no faces, no "
            "tattoos, no landmarks, no readable signs."
        ),
    )
    hero_alt_text = models.CharField(
        _("illustration alternative text"),
        max_length=250,
        blank=True,
        help_text=_("Describe the illustration. Leave empty if it is purely decorative."),
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        null=True,
        blank=False,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("A country or province, never a town, village or shelter."),
    )
    causes = ParentalManyToManyField(Cause, verbose_name=_("causes"), blank=True, related_name="+")
    body = StreamField(StoryBodyBlock(), verbose_name=_("story"))
    featured = models.BooleanField(
        _("featured"), default=False, help_text=_("Featured stories come first in the list.")
    )
    noindex = models.BooleanField(
        _("hide from search engines"),
        default=False,
        help_text=_("Ask search engines not to list this story, and leave it out of the sitemap."),
    )
    social_image = models.ForeignKey(
        get_image_model_string(),
        verbose_name=_("social media image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "Shown when the story is shared, and only if the consent covers social media. "
            "Without one, no image is offered to social networks."
        ),
    )

    search_fields = [
        *Page.search_fields,
        index.SearchField("pseudonym"),
        index.SearchField("teaser"),
        index.SearchField("body"),
    ]

    content_panels = [
        FieldPanel(
            "title",
            help_text=_("For example “Mai's story”. Use the pseudonym, never a real name."),
        ),
        ConsentStatusPanel(),
        IdentifyingDetailsPanel(),
        FieldPanel("pseudonym"),
        FieldPanel("teaser"),
        FieldPanel("content_warning"),
        MultiFieldPanel(
            [FieldPanel("hero_image"), FieldPanel("hero_alt_text")], heading=_("Illustration")
        ),
        MultiFieldPanel(
            [FieldPanel("region"), FieldPanel("causes", widget=forms.CheckboxSelectMultiple)],
            heading=_("Where and what"),
        ),
        FieldPanel("body"),
        InlinePanel("story_needs", heading=_("Needs this story supports"), label=_("Need")),
    ]
    promote_panels = [
        *Page.promote_panels,
        FieldPanel("featured"),
        FieldPanel("noindex"),
        FieldPanel("social_image"),
    ]

    base_form_class = StoryPageForm
    copy_form_class = StoryCopyForm

    objects = StoryPageManager()

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        if self.hero_alt_text and not self.hero_image_id:
            self.hero_alt_text = ""
        errors = {}
        for name in ("hero_image", "social_image"):
            try:
                refuse_unfit_story_image(getattr(self, name))
            except ValidationError as error:
                errors[name] = error
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if (
            self.pk is None
            and self.live  # type: ignore[has-type]  # Wagtail's Page has no types
            and self.live_revision_id is not None
            and self.alias_of_id is None
        ):
            # Only a copy (or an alias, which follows its live original) is born with a live
            # revision: copying a whole subtree with "publish copies" reaches here without our
            # copy(). The copy is a new story with no consent and no check of its own, so it
            # starts as a draft.
            self._sixdegrees_copied_as_draft = True
        if getattr(self, "_sixdegrees_copied_as_draft", False):
            self.live = False
            self.has_unpublished_changes = True
            self.live_revision = None
            self.first_published_at = self.last_published_at = None
        # The one choke point for going live: see stories/publishing.py.
        if self.live and self.is_going_live():
            refuse_unless_publishable(self)
        return super().save(*args, **kwargs)

    def is_going_live(self) -> bool:
        """True when this save would make new content public (first or new live revision)."""
        if self.pk is None:
            return True
        current = Page.objects.filter(pk=self.pk).values("live", "live_revision_id").first() or {}
        return not current.get("live") or current.get("live_revision_id") != self.live_revision_id

    # Consent ---------------------------------------------------------------------------

    @property
    def consent(self) -> StoryConsent | None:
        return consent_for(self)

    def consent_is_current(self) -> bool:
        # Read once per page instance, i.e. once per request: one query on the unique
        # translation_key (which also answers covers_social), never cached across requests.
        consent = consent_for(self)
        return consent is not None and consent.is_current()

    def is_gone(self) -> bool:
        """Was public once and may not be any more: its address answers 410 Gone."""
        return self.first_published_at is not None and not self.consent_is_current()

    # Serving ---------------------------------------------------------------------------

    def route(self, request, path_components):
        if not path_components and not self.live and self.is_gone():
            # A withdrawn or expired story: serve() answers 410 rather than Wagtail's 404.
            return RouteResult(self)
        return super().route(request, path_components)

    def serve(self, request, *args, **kwargs):
        if not self.live or not self.consent_is_current():
            return self.serve_gone(request)
        # Consent is read fresh above, with the display version: only then may a cached
        # render be reused (page_cache.PageCacheMiddleware checks the same before routing).
        version = int(getattr(consent_for(self), "display_version", 0) or 0)
        cached = page_cache.lookup(request, version=version, page_pk=self.pk)
        if cached is not None:
            return cached
        render = super().serve

        def rendered() -> HttpResponse:
            response = render(request, *args, **kwargs)
            if self.noindex:  # a header reaches crawlers whatever the site's <head> holds
                response["X-Robots-Tag"] = "noindex"
            return response

        def check() -> page_cache.Check | None:
            if page_cache.has_view_restrictions(self):
                return None
            return page_cache.page_check(self, (str(self.translation_key),))

        return page_cache.serve(request, rendered, check=check, version=version)

    def serve_preview(self, request, mode_name):
        # Editors draft and review before consent is recorded; once a consent is on record
        # and not current (withdrawn, expired, not for the web) nothing renders the story.
        consent = consent_for(self)
        if consent is not None and not consent.is_current():
            return self.serve_gone(request)
        return super().serve_preview(request, mode_name)

    def serve_gone(self, request) -> HttpResponse:
        parent = self.get_parent()
        response = PublicTemplateResponse(
            request,
            "wagtail_sixdegrees/stories/gone.html",
            {"page": self, "story_index": parent.specific if parent else None},
            status=410,
        )
        response["X-Robots-Tag"] = "noindex"
        return response

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # Needs (callouts and linked) and images (hero, social, body) in two queries each.
        self.story_loader = StoryLoader(self)
        self.story_loader.load()
        context["supported_needs"] = self.story_loader.supported_needs()
        context["causes"] = list(self.causes.all())
        # The index is this page's parent, whose address is this one minus the last segment.
        url = self.get_url(request) or ""
        context["index_url"] = url[: url.rstrip("/").rfind("/") + 1] if url else ""
        context["show_social_image"] = bool(
            self.social_image_id and (consent := consent_for(self)) and consent.covers_social
        )
        return context

    def get_sitemap_urls(self, request=None):
        if self.noindex or not self.consent_is_current():
            return []
        return super().get_sitemap_urls(request)

    @classmethod
    def get_indexed_objects(cls):
        # Stories without current consent never (re-)enter the search index. Searches still
        # filter with with_current_consent(): an entry made while consent was current stays in
        # the index until the story is unpublished.
        return super().get_indexed_objects().filter(translation_key__in=current_consent_keys())

    def copy(self, *args, **kwargs):
        # A copy is a new story with no consent of its own: it never starts live.
        kwargs["keep_live"] = False
        return super().copy(*args, **kwargs)


class SurvivorStoryPage(AbstractSurvivorStoryPage):
    parent_page_types = ["wagtail_sixdegrees.StoryIndexPage"]
    subpage_types: list[str] = []
    template = "wagtail_sixdegrees/stories/survivor_story_page.html"

    class Meta:
        verbose_name = _("survivor story")
        verbose_name_plural = _("survivor stories")


class StoryNeed(Orderable):
    """A need the story supports, in the order the editor chose."""

    page = ParentalKey(SurvivorStoryPage, on_delete=models.CASCADE, related_name="story_needs")
    need = models.ForeignKey(
        Need, verbose_name=_("need"), on_delete=models.CASCADE, related_name="story_links"
    )

    panels = [FieldPanel("need")]

    class Meta(Orderable.Meta):
        verbose_name = _("supported need")
        verbose_name_plural = _("supported needs")


class AbstractStoryIndexPage(InSiteLayout, Page):
    """Lists live stories whose consent is current, with cause and region filters."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    #: The concrete story model listed here; a site with its own story type changes this.
    story_model: type[AbstractSurvivorStoryPage] = None  # type: ignore[assignment]
    stories_per_page = 12

    content_panels = [*Page.content_panels, FieldPanel("intro")]

    class Meta:
        abstract = True

    def get_story_model(self) -> type[AbstractSurvivorStoryPage]:
        return self.story_model or SurvivorStoryPage

    def route(self, request, path_components):
        # Load a story with its region in one query; the story's own route() then serves it,
        # or answers 410 Gone when its consent has lapsed (read fresh by serve(), every time).
        if path_components:
            story = (
                self.get_story_model()
                .objects.child_of(self)
                .filter(slug=path_components[0])
                .select_related("region")
                .first()
            )
            if story is not None:
                return story.route(request, path_components[1:])
        return super().route(request, path_components)

    def visible_stories(self):
        """Live, public stories under this index whose consent is current, in display order."""
        return (
            self.get_story_model()
            .objects.child_of(self)
            .live()
            .public()
            .with_current_consent()
            .order_by("-featured", models.F("first_published_at").desc(nulls_last=True), "-pk")
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        stories = self.visible_stories()
        context["causes"] = list(
            Cause.objects.filter(pk__in=stories.values("causes")).order_by("name")
        )
        context["regions"] = list(
            Region.objects.filter(pk__in=stories.values("region")).order_by("name")
        )
        active_cause = request.GET.get("cause", "")
        active_region = request.GET.get("region", "")
        if active_cause:
            stories = stories.filter(causes__slug=active_cause)
        if active_region:
            stories = stories.filter(region__slug=active_region)
        image_model = get_image_model()
        stories = stories.select_related("region").prefetch_related(
            models.Prefetch(
                "hero_image",
                queryset=image_model.objects.prefetch_renditions(CARD_IMAGE_SPEC),
            )
        )
        paginator = Paginator(stories, self.stories_per_page)
        try:
            page_of_stories = paginator.page(request.GET.get("page", 1))
        except PageNotAnInteger:
            page_of_stories = paginator.page(1)
        except EmptyPage:
            page_of_stories = paginator.page(paginator.num_pages)
        context.update(
            {
                "stories": page_of_stories,
                "active_cause": active_cause,
                "active_region": active_region,
                "paginator": paginator,
            }
        )
        return context


class StoryIndexPage(AbstractStoryIndexPage):
    subpage_types = ["wagtail_sixdegrees.SurvivorStoryPage"]
    template = "wagtail_sixdegrees/stories/story_index_page.html"

    class Meta:
        verbose_name = _("story index")
        verbose_name_plural = _("story indexes")
