"""What one story page shows, loaded in a fixed number of queries for one request.

A story shows needs in two places (its callouts, chosen in the body, and "How you can help",
the needs linked to the page) and images in two places (the hero and social images, and the
image blocks of the body). Loaded where each is used, that is two queries for needs, two for
their progress and up to three for images. ``StoryLoader`` loads each kind once: one query for
every need the page shows (callouts and links together) plus one for their ledger progress, and
one query for every image plus one for their renditions.

The loader lives for one ``get_context`` call and is only ever attached to the page instance
serving that request: nothing here is shared between requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.db.models import F, FilteredRelation, Q
from wagtail.images import get_image_model

from ..needs.models import Need, attach_progress

if TYPE_CHECKING:
    from .models import AbstractSurvivorStoryPage

#: Renditions used for images in a story (WebP with a JPEG fallback, two widths, as the
#: ``{% picture %}`` tags in the story templates ask for them); prefetched in one query per page.
STORY_IMAGE_WIDTHS = (480, 960)
STORY_IMAGE_FORMATS = ("webp", "jpeg")
STORY_IMAGE_SPECS = tuple(
    f"format-{image_format}|width-{width}"
    for image_format in STORY_IMAGE_FORMATS
    for width in STORY_IMAGE_WIDTHS
)
#: The social preview image's rendition (``og:image``).
SOCIAL_IMAGE_SPEC = "fill-1200x630"

_active_loader: ContextVar[StoryLoader | None] = ContextVar("sixdegrees_story_loader", default=None)


def active_loader() -> StoryLoader | None:
    """The loader of the story whose body is being converted right now, if any."""
    return _active_loader.get()


def needs_for_display(queryset=None):
    """The one queryset every story shows needs from (callouts and the story's own list).

    Evaluate it with ``attach_progress`` (or ``.with_progress_attached()``) to show ledger
    progress: one query, whatever the number of needs."""
    queryset = Need.objects.all() if queryset is None else queryset
    return queryset.select_related("cause", "region", "partner")


class StoryLoader:
    """Needs and images of one story page, each kind loaded once for one request."""

    def __init__(self, page: AbstractSurvivorStoryPage):
        self.page = page
        self.needs_by_pk: dict[Any, Need] = {}
        #: Every need linked to the page (open or not, live or not), in the editor's order.
        self.linked_needs: list[Need] = []
        self.images_by_pk: dict[Any, Any] = {}
        self._needs_loaded = False
        self._images_loaded = False

    @contextmanager
    def active(self) -> Iterator[StoryLoader]:
        """Let the body's chooser blocks load through this loader while converting the body."""
        token = _active_loader.set(self)
        try:
            yield self
        finally:
            _active_loader.reset(token)

    def load(self) -> None:
        """Convert the body (its blocks ask for needs and images), then load what is left."""
        with self.active():
            for _block in self.page.body:
                pass
        self.needs([])
        self.images([])

    # Needs -----------------------------------------------------------------------------

    def needs(self, pks: Iterable[Any]) -> list[Need | None]:
        """The needs with these primary keys (None for a missing one), with progress.

        The first call also loads every need linked to the page, in the same query."""
        pks = list(pks)
        wanted = {pk for pk in pks if pk is not None} - self.needs_by_pk.keys()
        if not self._needs_loaded or wanted:
            self._load_needs(wanted)
        return [self.needs_by_pk.get(pk) for pk in pks]

    def _load_needs(self, wanted: set[Any]) -> None:
        queryset = needs_for_display()
        if self._needs_loaded:
            loaded = list(queryset.filter(pk__in=wanted))
        else:
            # A LEFT JOIN on this page's own links only: a need linked to other stories
            # comes once, with this page's sort order (or None when only a callout shows it).
            loaded = list(
                queryset.annotate(
                    page_link=FilteredRelation(
                        "story_links", condition=Q(story_links__page=self.page.pk)
                    )
                )
                .filter(Q(pk__in=wanted) | Q(page_link__isnull=False))
                .annotate(
                    page_link_id=F("page_link__pk"), page_link_order=F("page_link__sort_order")
                )
            )
            self._needs_loaded = True
            # The editor's order; links made in code without an order come last, oldest first.
            self.linked_needs = sorted(
                (need for need in loaded if need.page_link_id is not None),
                key=lambda need: (
                    need.page_link_order is None,
                    need.page_link_order or 0,
                    need.page_link_id,
                ),
            )
        attach_progress(loaded)
        for need in loaded:
            self.needs_by_pk.setdefault(need.pk, need)

    def supported_needs(self) -> list[Need]:
        """The open needs linked to the page, for "How you can help"."""
        self.needs([])
        return [need for need in self.linked_needs if need.is_open()]

    def live_linked_need_keys(self) -> set[Any]:
        """Translation keys of the live needs linked to the page (their updates are shown)."""
        self.needs([])
        return {need.translation_key for need in self.linked_needs if need.live}

    # Images ----------------------------------------------------------------------------

    def images(self, pks: Iterable[Any]) -> list[Any]:
        """The images with these primary keys (None for a missing one), with the renditions
        a story uses. The first call also loads the page's hero and social images."""
        pks = list(pks)
        wanted = {pk for pk in pks if pk is not None} - self.images_by_pk.keys()
        if not self._images_loaded:
            page = self.page
            wanted |= {pk for pk in (page.hero_image_id, page.social_image_id) if pk is not None}
            wanted -= self.images_by_pk.keys()
        if wanted:
            image_model = get_image_model()
            self.images_by_pk.update(
                image_model.objects.prefetch_renditions(
                    *STORY_IMAGE_SPECS, SOCIAL_IMAGE_SPEC
                ).in_bulk(wanted)
            )
        if not self._images_loaded:
            self._images_loaded = True
            self._attach_page_images()
        return [self.images_by_pk.get(pk) for pk in pks]

    def _attach_page_images(self) -> None:
        # Setting the relation fills Django's cache, so ``page.hero_image`` costs no query.
        page = self.page
        for field in ("hero_image", "social_image"):
            pk = getattr(page, f"{field}_id")
            if pk is not None and pk in self.images_by_pk:
                setattr(page, field, self.images_by_pk[pk])
