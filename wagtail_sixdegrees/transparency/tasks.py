"""Background work for transparency, through the django_tasks API Wagtail itself uses."""

from __future__ import annotations

from django_tasks import task


@task()
def notify_need_update(update_id: int) -> int:
    """Email a published need update to the donors who asked for news (once each)."""
    from .notifications import notify

    return notify(update_id)
