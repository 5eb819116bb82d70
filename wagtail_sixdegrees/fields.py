"""Model fields the package's parts declare alike."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def actor_field() -> models.ForeignKey:
    """Who did it, on a money row. No database constraint: deleting a user must not require
    changing (or block) money rows, which keep the name they were written with beside it."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
