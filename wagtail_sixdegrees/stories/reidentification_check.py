"""The re-identification check (issue 17, part 2): what a story, its translations and the need
updates that link it say that could identify the survivor, and who acknowledged what.

The consent record keeps the caseworker's *never-publish terms* only as keyed digests
(:class:`NeverPublishTerm`: salted per consent with ``StoryConsent.term_salt``, then keyed with
``SECRET_KEY``, see ``reidentification.py``); the clear text
is hashed in the consent form and never stored, logged or shown. :func:`findings_for` scans
every text a reader would see (text fields, StreamField text, image file names, titles and alt
text) with the pure scanner in ``reidentification.py``, and :func:`unresolved_findings` leaves
out what a safety reviewer acknowledged with a reason (:class:`FindingAcknowledgement`).
``publishing.publication_problems`` refuses to publish while anything is unresolved, so every
path that publishes (and the scheduling guard) honours the check.

A finding is remembered by a fingerprint: a keyed digest of where it is (field), what it is
(kind) and the compared form of the matched text, so an acknowledgement survives unrelated
edits but not a new detail, and the database never holds the matched text itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from html import unescape as unescape_entities
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import translation
from django.utils.functional import lazy
from django.utils.html import strip_tags
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail.blocks import StreamValue, StructValue
from wagtail.blocks.list_block import ListValue
from wagtail.images.models import AbstractImage
from wagtail.rich_text import RichText

from .. import conf
from ..keyed_digest import keyed_digest
from . import reidentification

#: Wagtail log action recorded when a safety reviewer acknowledges a finding.
LOG_ACKNOWLEDGED = "wagtail_sixdegrees.finding_acknowledged"
#: Wagtail log action recorded when never-publish terms are added or cleared (never the terms).
LOG_TERMS_CHANGED = "wagtail_sixdegrees.never_publish_terms_changed"

#: The key places are hashed with: they are public names, not secrets.
_PLACES_SALT = "sixdegrees-places"


class NeverPublishTerm(models.Model):
    """One never-publish term of a consent, kept only as a keyed digest of its normalised form
    and its length in compared characters (the scanner needs the length)."""

    consent = models.ForeignKey(
        "wagtail_sixdegrees.StoryConsent",
        verbose_name=_("consent"),
        on_delete=models.CASCADE,
        related_name="never_publish_terms",
    )
    digest = models.CharField(_("digest"), max_length=64, editable=False)
    length = models.PositiveSmallIntegerField(_("length"), editable=False)

    class Meta:
        verbose_name = _("never-publish term")
        verbose_name_plural = _("never-publish terms")
        constraints = [
            models.UniqueConstraint(
                fields=["consent", "digest"], name="sixdegrees_never_publish_term_once"
            )
        ]

    def __str__(self) -> str:
        # Nothing about the term, not even its digest: this string can reach logs.
        return str(_("Never-publish term"))


class FindingAcknowledgement(models.Model):
    """A safety reviewer's decision that one finding may be published, with the reason."""

    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", editable=False
    )
    object_id = models.CharField(max_length=64, editable=False)
    fingerprint = models.CharField(max_length=64, editable=False)
    field = models.CharField(_("field"), max_length=100, editable=False)
    kind = models.CharField(_("kind"), max_length=20, editable=False)
    reason = models.TextField(_("reason"))
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), auto_now_add=True)

    class Meta:
        verbose_name = _("acknowledged finding")
        verbose_name_plural = _("acknowledged findings")
        ordering = ["acknowledged_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "fingerprint"],
                name="sixdegrees_finding_acknowledged_once",
            )
        ]

    def __str__(self) -> str:
        return str(_("Acknowledged finding in %(field)s") % {"field": self.field})


# Messages ------------------------------------------------------------------------------

KIND_MESSAGES = {
    "term": _("Matches a term recorded with the consent."),
    "place": _("Names a place finer than a province."),
    "age": _("Gives an age."),
    "date": _("Gives an exact date."),
    "phone": _("Contains a phone number."),
    "email": _("Contains an email address."),
    "id_number": _("Contains a number that looks like an ID or case number."),
    "address": _("Contains a street address or house number."),
}


@dataclass(frozen=True)
class StoryFinding:
    """One detail that could identify the survivor: which form field holds it, a label of
    where it is for people, its kind and its fingerprint (never the matched text)."""

    field: str
    where: Any  # lazy: rendered in the story's language
    kind: str
    fingerprint: str

    @property
    def message(self) -> str:
        return str(KIND_MESSAGES[self.kind])


def finding_message(finding: StoryFinding, language: str | None) -> str:
    """``where: what`` in ``language`` (the story's), never naming a recorded term."""
    with translation.override(language or translation.get_language()):
        return f"{finding.where}: {finding.message}"


# What is scanned -----------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    field: str
    where: Any
    text: str
    #: Image names and titles are checked for recorded terms and places only: camera file
    #: names are full of dates and numbers that identify nobody.
    terms_only: bool = False


def _label(model, name: str):
    """The field's verbose name, capitalised, still lazy: messages are rendered later in the
    story's language (``finding_message``)."""
    try:
        return capfirst(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a field a site's subclass removed: fall back to its name
        return name


def _block_label(where, number: int) -> str:
    return str(_("%(where)s, block %(number)s") % {"where": where, "number": number})


_lazy_block_label = lazy(_block_label, str)


def image_texts(field: str, where: str, image) -> Iterator[Text]:
    """An image's file name, title and own alt text (``description``), terms only."""
    if not isinstance(image, AbstractImage):
        return
    for text in (
        image.file.name.rsplit("/", 1)[-1],
        image.title,
        getattr(image, "description", ""),
    ):
        if text:
            yield Text(field, where, text, terms_only=True)


def _block_texts(value, field: str, where: str) -> Iterator[Text]:
    if isinstance(value, RichText):
        yield Text(field, where, unescape_entities(strip_tags(value.source)))
    elif isinstance(value, str):
        yield Text(field, where, value)
    elif isinstance(value, AbstractImage):
        yield from image_texts(field, where, value)
    elif isinstance(value, StructValue):
        for child in value.values():
            yield from _block_texts(child, field, where)
    elif isinstance(value, (ListValue, list, tuple)):
        for child in value:
            yield from _block_texts(child, field, where)
    elif isinstance(value, StreamValue):
        for number, child in enumerate(value, start=1):
            yield from _block_texts(child.value, field, _lazy_block_label(where, number))


#: Text fields of a story page that readers (or search engines) see.
STORY_TEXT_FIELDS = (
    "title",
    "pseudonym",
    "teaser",
    "content_warning",
    "hero_alt_text",
    "seo_title",
    "search_description",
    "slug",
)
STORY_IMAGE_FIELDS = ("hero_image", "social_image")


def story_texts(page) -> Iterator[Text]:
    """Every text a story page shows: fields, StreamField text and its images."""
    model = type(page)
    for name in STORY_TEXT_FIELDS:
        value = getattr(page, name, "")
        if value:
            yield Text(name, _label(model, name), str(value))
    for name in STORY_IMAGE_FIELDS:
        if getattr(page, f"{name}_id", None):
            yield from image_texts(name, _label(model, name), getattr(page, name))
    body = getattr(page, "body", None)
    if body is not None:
        yield from _block_texts(body, "body", _label(model, "body"))


def need_update_texts(update) -> Iterator[Text]:
    model = type(update)
    for name in ("title", "text", "image_alt_text"):
        value = getattr(update, name, "")
        if value:
            yield Text(name, _label(model, name), str(value))
    if update.image_id:
        yield from image_texts("image", _label(model, "image"), update.image)


# Scanning ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TermSet:
    """One consent's stored terms with the salt they were hashed with."""

    terms: tuple[reidentification.StoredTerm, ...]
    salt: str


def consent_terms(consent) -> TermSet | None:
    if consent is None or not consent.term_salt:
        return None
    stored = tuple(
        reidentification.StoredTerm(digest, length)
        for digest, length in consent.never_publish_terms.values_list("digest", "length")
    )
    return TermSet(stored, consent.term_salt) if stored else None


def place_terms() -> TermSet:
    places = conf.get_setting("IDENTIFYING_PLACES") or []
    return TermSet(tuple(reidentification.store_terms(places, _PLACES_SALT)), _PLACES_SALT)


def _fingerprint(field: str, kind: str, matched: str) -> str:
    value = f"{field}\0{kind}\0{reidentification.compact(matched)}"
    return keyed_digest("wagtail_sixdegrees.finding", value)


def scan_texts(
    texts: Iterable[Text], term_sets: Iterable[TermSet], *, patterns: bool = True
) -> list[StoryFinding]:
    """Findings in ``texts``: recorded terms of every set, places and (unless ``patterns`` is
    False) identifying patterns. One finding per distinct detail and field."""
    term_sets = [terms for terms in term_sets if terms is not None]
    places = place_terms()
    findings: dict[str, StoryFinding] = {}
    for text in texts:
        spans: list[tuple[str, int, int]] = []
        for terms in term_sets:
            for found in reidentification.find_terms(text.text, terms.terms, terms.salt):
                spans.append(("term", found.start, found.end))
        for found in reidentification.find_terms(text.text, places.terms, places.salt):
            spans.append(("place", found.start, found.end))
        if patterns and not text.terms_only:
            for found in reidentification.find_patterns(text.text):
                spans.append((found.kind, found.start, found.end))
        for kind, start, end in spans:
            fingerprint = _fingerprint(text.field, kind, text.text[start:end])
            findings.setdefault(
                fingerprint, StoryFinding(text.field, text.where, kind, fingerprint)
            )
    return list(findings.values())


def story_findings(page) -> list[StoryFinding]:
    """Everything in a story page (any translation) that could identify its survivor."""
    from .consent import consent_for

    terms = consent_terms(consent_for(page))
    return scan_texts(story_texts(page), [terms] if terms is not None else [])


def linked_story_consents(need) -> list:
    """The consents of every story (any translation) that supports ``need`` in any language."""
    from .consent import StoryConsent
    from .models import StoryNeed

    keys = StoryNeed.objects.filter(need__translation_key=need.translation_key).values(
        "page__translation_key"
    )
    return list(StoryConsent.objects.filter(translation_key__in=keys))


def need_update_findings(update) -> list[StoryFinding]:
    """Recorded terms of the linked stories, and places, in a need update (its patterns are
    left to the editor: updates report dates and amounts by design)."""
    term_sets = [
        terms
        for consent in linked_story_consents(update.need)
        if (terms := consent_terms(consent)) is not None
    ]
    return scan_texts(need_update_texts(update), term_sets, patterns=False)


# Models other than story pages whose texts are checked against the linked stories' terms,
# with the function that finds them. Stories sit below transparency in the import order, so
# transparency registers its need updates here (``transparency/receivers.py``).
_CHECKED_MODELS: dict[type, Callable[[Any], list[StoryFinding]]] = {}


def check_model(model: type, findings: Callable[[Any], list[StoryFinding]]) -> None:
    """Scan ``model``'s objects with ``findings`` wherever a story page would be scanned."""
    _CHECKED_MODELS[model] = findings


def checked_model(model: type | None) -> bool:
    return model is not None and any(issubclass(model, known) for known in _CHECKED_MODELS)


def findings_for(obj) -> list[StoryFinding]:
    for model, findings in _CHECKED_MODELS.items():
        if isinstance(obj, model):
            return findings(obj)
    return story_findings(obj)


# Acknowledging -------------------------------------------------------------------------


def acknowledgements(obj) -> models.QuerySet:
    """Acknowledged findings of ``obj`` (a page or need update), oldest first."""
    if obj.pk is None:
        return FindingAcknowledgement.objects.none()
    return FindingAcknowledgement.objects.filter(
        content_type=_base_content_type(obj), object_id=str(obj.pk)
    ).select_related("acknowledged_by")


def _base_content_type(obj) -> ContentType:
    """Pages are acknowledged as ``wagtailcore.page`` so a subclass never loses them."""
    from wagtail.models import Page

    if isinstance(obj, Page):
        return ContentType.objects.get_for_model(Page)
    return ContentType.objects.get_for_model(obj)


def unresolved_findings(obj, findings: list[StoryFinding] | None = None) -> list[StoryFinding]:
    """The findings of ``obj`` no safety reviewer has acknowledged."""
    findings = findings_for(obj) if findings is None else findings
    if not findings:
        return []
    acknowledged = set(acknowledgements(obj).values_list("fingerprint", flat=True))
    return [finding for finding in findings if finding.fingerprint not in acknowledged]


def acknowledge(obj, finding: StoryFinding, user, reason: str) -> FindingAcknowledgement:
    """Record that ``user`` (a safety reviewer) lets ``finding`` be published, and why; the
    decision is also in Wagtail's history of ``obj`` (field and kind, never the text)."""
    from wagtail.log_actions import log

    acknowledgement, _created = FindingAcknowledgement.objects.get_or_create(
        content_type=_base_content_type(obj),
        object_id=str(obj.pk),
        fingerprint=finding.fingerprint,
        defaults={
            "field": finding.field,
            "kind": finding.kind,
            "reason": reason,
            "acknowledged_by": user,
        },
    )
    log(
        obj,
        LOG_ACKNOWLEDGED,
        user=user,
        data={"field": finding.field, "kind": finding.kind, "reason": reason},
    )
    return acknowledgement
