"""Transparency listens to Wagtail: publishing a need update emails its donors, after commit,
and a need update is checked for its stories' identifying terms before it goes live.

Connected in ``AppConfig.ready``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.db.models.signals import pre_save
from wagtail.signals import published

from ..stories import reidentification_check
from ..stories.publishing import refuse_publishing_identifying_need_update
from . import tasks
from .models import NeedUpdate


def on_update_published(sender: Any, instance: NeedUpdate, **kwargs: Any) -> None:
    # Wagtail also sends this when publication is only scheduled; wait until it is live.
    if instance.live:
        transaction.on_commit(partial(tasks.notify_need_update.enqueue, instance.pk), robust=True)


def connect() -> None:
    reidentification_check.check_model(NeedUpdate, reidentification_check.need_update_findings)
    pre_save.connect(
        refuse_publishing_identifying_need_update,
        sender=NeedUpdate,
        dispatch_uid="sixdegrees_need_update_reidentification",
    )
    published.connect(
        on_update_published, sender=NeedUpdate, dispatch_uid="sixdegrees-need-update-published"
    )
