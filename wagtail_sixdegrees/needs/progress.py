"""How the needs layer reaches a need's figures without importing the layer that keeps them.

Money figures (raised, held, paid out, gap) are kept with the ledger and read by
``allocation/balances.py``, a layer above this one (``needs <- giving <- allocation``). Needs
declares what it asks for (:class:`ProgressReader`); the app registers the balances module as
the reader when Django starts (``apps.py``), so ``Need.objects.with_progress()`` keeps working
while imports point one way only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from .models import Need, NeedQuerySet


class ProgressReader(Protocol):
    def with_progress(self, queryset: NeedQuerySet) -> NeedQuerySet:
        """Annotate ``raised``, ``allocated``, ``disbursed`` and ``gap`` on a need queryset."""

    def attach_progress(self, needs: list[Need]) -> None:
        """Set the same four figures on loaded needs."""


_reader: ProgressReader | None = None


def register_reader(reader: ProgressReader) -> None:
    """Called once from ``AppConfig.ready()`` with ``allocation.balances``."""
    global _reader
    _reader = reader


def reader() -> ProgressReader:
    if _reader is None:
        raise ImproperlyConfigured(
            "wagtail_sixdegrees is not ready: add it to INSTALLED_APPS before reading needs' figures."
        )
    return _reader
