"""Transparency listens to Wagtail: publishing a need update emails its donors, after commit.

Connected in ``AppConfig.ready``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from wagtail.signals import published

from . import tasks
from .models import NeedUpdate


def on_update_published(sender: Any, instance: NeedUpdate, **kwargs: Any) -> None:
    # Wagtail also sends this when publication is only scheduled; wait until it is live.
    if instance.live:
        transaction.on_commit(partial(tasks.notify_need_update.enqueue, instance.pk), robust=True)


def connect() -> None:
    published.connect(
        on_update_published, sender=NeedUpdate, dispatch_uid="sixdegrees-need-update-published"
    )
