"""Showing translatable records (needs, causes, regions) in the reader's language.

Money always sits on a record's source (its oldest translation, see ``allocation/ledger.py``);
readers see the translation in the active language when there is one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.utils import translation
from wagtail.models import Locale, TranslatableMixin

T = TypeVar("T", bound=TranslatableMixin)


def active_locale() -> Locale | None:
    try:
        return Locale.get_active()
    except Locale.DoesNotExist:
        return None


def locale_for(language: str | None) -> Locale | None:
    """The Locale of ``language`` (``th``, ``vi``...), or None."""
    if not language:
        return None
    return Locale.objects.filter(language_code=language).first()


def localised(objects: Iterable[T], locale: Locale | None = None) -> dict[int, T]:
    """Map each object's pk to its translation in ``locale`` (default: the active one), or to
    itself when it is not translated there. One query per model."""
    objects = [obj for obj in objects if obj is not None]
    if not objects:
        return {}
    locale = locale or active_locale()
    result = {obj.pk: obj for obj in objects}
    if locale is None:
        return result
    model = type(objects[0])
    keys = {obj.translation_key for obj in objects if obj.locale_id != locale.pk}
    if not keys:
        return result
    translated = {
        obj.translation_key: obj
        for obj in model._default_manager.filter(translation_key__in=keys, locale=locale)
    }
    for obj in objects:
        if obj.translation_key in translated:
            result[obj.pk] = translated[obj.translation_key]
    return result


def language_of(*candidates: str | None) -> str:
    """The first non-empty language code, else the active (or default) one."""
    from django.conf import settings

    for candidate in candidates:
        if candidate:
            return candidate
    return translation.get_language() or settings.LANGUAGE_CODE
