"""Links to this page in every language the site speaks, for a switcher that needs no script."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils import translation
from wagtail.models import Page

register = template.Library()


@register.simple_tag(takes_context=True)
def language_links(context: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per language: its name as the site lists it, and where this page lives in it.

    A translated page links to its translation; otherwise the same address in that language,
    where the page's words stay in their original language and everything around them is
    translated.
    """
    request = context.get("request")
    page = context.get("page") if isinstance(context.get("page"), Page) else None
    current = translation.get_language()
    translations = {}
    if page is not None:
        translations = {
            p.locale.language_code: p
            for p in page.get_translations(inclusive=True).live().select_related("locale")
        }
    links = []
    for code, name in settings.LANGUAGES:
        if code in translations:
            with translation.override(code):
                url = translations[code].get_url(request)
        else:
            url = translate_url(request.path if request else "/", code)
        links.append(
            {
                "code": code,
                "name": name,
                "url": url,
                "current": code == current,
            }
        )
    return links
