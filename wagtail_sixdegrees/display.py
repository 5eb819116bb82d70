"""The display version: one number that changes after every write a public page may show.

Story pages are cached for a short while (``PAGE_CACHE_SECONDS``) under a key that includes
this number, so a cached page is never older than the last committed write to money (ledger,
disbursements, balances), needs, need updates, causes, regions, partners, consent or any
published page: each of those renews the number when its transaction commits. The number is a
row in the database, not a cache entry, so every process sees a renewal at once, whatever cache
backend the site uses.

Donors' impact pages share what they show about each need under the same number
(``transparency/public.py``, :func:`need_facts`), never anything about a donor.

A render that made something for one visitor marks itself with :func:`mark_personal` and is
never cached. A donate form's two per-visitor values (its CSRF token and one-time ``submission``
nonce) are instead written as markers while a page is rendered for the cache
(:func:`visitor_nonce`, :func:`visitor_csrf_marker`); the cache puts each visitor's own values
in their place on every response, the first one included.
"""

from __future__ import annotations

import secrets
from contextvars import ContextVar
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import F, Model, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

NAME = "pages"
_personal: ContextVar[bool] = ContextVar("sixdegrees_personal_render", default=False)
_markers: ContextVar[list[str] | None] = ContextVar("sixdegrees_visitor_markers", default=None)


class DisplayVersion(models.Model):
    """A counter renewed after every committed write that public pages may show."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    version = models.BigIntegerField(_("version"), default=0)

    class Meta:
        verbose_name = _("display version")
        verbose_name_plural = _("display versions")

    def __str__(self) -> str:
        return f"{self.name}: {self.version}"


def current() -> int:
    """The display version now (one indexed query)."""
    return DisplayVersion.objects.filter(name=NAME).values_list("version", flat=True).first() or 0


def current_expression() -> Coalesce:
    """The display version as an expression, to read it in the same query as something else
    a request needs anyway (a story's consent)."""
    version = DisplayVersion.objects.filter(name=NAME).values("version")[:1]
    return Coalesce(Subquery(version), Value(0), output_field=models.BigIntegerField())


def _bump() -> None:
    if not DisplayVersion.objects.filter(name=NAME).update(version=F("version") + 1):
        try:
            with transaction.atomic():
                DisplayVersion.objects.create(name=NAME, version=1)
        except IntegrityError:  # another process created it first
            DisplayVersion.objects.filter(name=NAME).update(version=F("version") + 1)


def renew() -> None:
    """Renew the display version when the current transaction commits (at once outside
    one). After the commit, so a money transaction never waits on this one shared row."""
    transaction.on_commit(_bump)


def _renew_on_signal(*args: Any, **kwargs: Any) -> None:
    renew()


def mark_personal() -> None:
    """Say that the page being rendered holds something made for this visitor alone."""
    _personal.set(True)


def start_render() -> Any:
    """Begin watching a render for :func:`mark_personal`; returns what :func:`end_render`
    needs."""
    return _personal.set(False)


def end_render(token: Any) -> bool:
    """Stop watching; whether the render was personal."""
    personal = _personal.get()
    _personal.reset(token)
    return personal


def connect(*models: type[Model]) -> None:
    """Renew the version on every write of ``models`` (what public pages show) and on every
    page publication. Ledger writes and disbursements renew it from ``allocation/ledger.py``:
    they send no signals. Called from ``apps.py``, which knows every part."""
    from django.db.models.signals import post_delete, post_save
    from wagtail.signals import page_published, page_unpublished

    for model in models:
        uid = f"sixdegrees-display-{model._meta.label_lower}"
        post_save.connect(_renew_on_signal, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_renew_on_signal, sender=model, dispatch_uid=f"{uid}-delete")
    page_published.connect(_renew_on_signal, dispatch_uid="sixdegrees-display-published")
    page_unpublished.connect(_renew_on_signal, dispatch_uid="sixdegrees-display-unpublished")
    # Where pages are served from, and to whom: cached pages are found by their address.
    from wagtail.models import PageViewRestriction, Site
    from wagtail.signals import post_page_move

    post_page_move.connect(_renew_on_signal, dispatch_uid="sixdegrees-display-moved")
    for model in (Site, PageViewRestriction):
        uid = f"sixdegrees-display-{model._meta.label_lower}"
        post_save.connect(_renew_on_signal, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_renew_on_signal, sender=model, dispatch_uid=f"{uid}-delete")


def start_markers() -> Any:
    """Begin a render for the cache: per-visitor values become markers of this render, which
    :func:`end_markers` returns."""
    return _markers.set([secrets.token_hex(8)])


def end_markers(token: Any) -> str:
    """Stop writing markers; the prefix this render's markers share."""
    prefix = (_markers.get() or [""])[0]
    _markers.reset(token)
    return f"sd-visitor-{prefix}-" if prefix else ""


def visitor_nonce() -> str:
    """A one-time nonce for a form: a new random one, or a marker while a page is rendered
    for the cache (each visitor then gets their own)."""
    markers = _markers.get()
    if markers is None:
        return secrets.token_urlsafe(24)
    markers.append("nonce")
    return f"sd-visitor-{markers[0]}-nonce-{len(markers)}"


def visitor_csrf_marker() -> str:
    """The marker of the visitor's CSRF token while a page is rendered for the cache, else ""
    (the template then uses ``{% csrf_token %}``)."""
    markers = _markers.get()
    return "" if markers is None else f"sd-visitor-{markers[0]}-csrf"
