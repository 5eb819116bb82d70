"""The "QR poster" buttons on donate pages, survivor stories and needs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import Button

from ..needs.models import Need
from . import posters
from .views.posters import URL_NAMESPACE


def _button(**query: Any) -> Button:
    return Button(
        _("QR poster"),
        reverse(f"{URL_NAMESPACE}:index") + "?" + urlencode(query),
        icon_name="image",
        priority=60,
    )


def for_page(page: Any, user: Any) -> Iterator[Button]:
    if page.live and posters.offers_poster(page) and posters.may_make_poster(user, page=page):
        yield _button(page=page.pk)


def for_need(snippet: Any, user: Any) -> Iterator[Button]:
    if isinstance(snippet, Need) and snippet.live and posters.may_make_poster(user, need=snippet):
        yield _button(need=snippet.pk)
