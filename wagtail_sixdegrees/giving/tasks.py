"""Background work for giving, through the django_tasks API that Wagtail uses."""

from __future__ import annotations

from django_tasks import task

from . import receipts, sign_in


@task()
def send_receipt(donation_pk: int) -> bool:
    """Email the receipt of a paid donation (once)."""
    return receipts.send_receipt(donation_pk)


@task()
def send_sign_in_link(email: str, origin: str, language: str | None) -> bool:
    """Email a *My giving* sign-in link if ``email`` belongs to a donor (see
    :func:`sign_in.send_link`). Run outside the request, so its answer takes the same time for
    every address."""
    return sign_in.send_link(email, origin, language)


@task()
def replay_deferred_events(charge_id: str) -> None:
    """Apply the refund and dispute events that arrived before their charge's payment."""
    from .webhooks import replay_deferred

    replay_deferred(charge_id)
