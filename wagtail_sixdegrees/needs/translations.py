"""Needs, causes and regions in a reader's language, for code below the public pages (emails,
*My giving*): each record's translation in that language, a need's only when it is live,
else the record itself (its source, where money sits)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.utils import translation
from wagtail.models import TranslatableMixin

T = TypeVar("T", bound=TranslatableMixin)


def supported_language(code: str | None) -> str | None:
    """``code`` as one of the site's languages (``th-TH`` -> ``th``), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def in_language(objects: Iterable[T | None], language: str | None) -> dict[int, T]:
    """Map each object's pk to its translation in ``language`` (one query per call), or to
    itself. A record with a ``live`` flag (a need) is replaced only by a live translation."""
    found = [obj for obj in objects if obj is not None]
    result = {obj.pk: obj for obj in found}
    if not found or not language:
        return result
    model = type(found[0])
    wanted = model._default_manager.filter(
        translation_key__in={obj.translation_key for obj in found},
        locale__language_code=language,
    )
    if any(field.name == "live" for field in model._meta.concrete_fields):
        wanted = wanted.filter(live=True)
    translated = {obj.translation_key: obj for obj in wanted}
    for obj in found:
        result[obj.pk] = translated.get(obj.translation_key, obj)
    return result
