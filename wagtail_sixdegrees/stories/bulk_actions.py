"""Wagtail's bulk publish action, told why a story cannot be published.

The action publishes each selected page's latest revision (and, if asked, its draft
descendants); the publishing guard (``publishing.py``) refuses a story that may not go live by
raising, which would end the whole request in an error page. The ``before_bulk_action`` hook
runs first: if any story among the pages would be refused, nothing is published and the editor
is told which pages and why.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.models import Page

from .publishing import publication_problems


def _going_live(pages: list[Page], include_descendants: bool) -> list[Page]:
    """The pages whose new content the bulk action would make public, as their latest drafts
    (a live page whose latest revision is live is only republished: the guard lets it be)."""
    chosen: list[Page] = [page.specific for page in pages]
    if include_descendants:
        for page in pages:
            chosen.extend(page.get_descendants().not_live().specific())
    drafts = []
    for page in chosen:
        latest = page.get_latest_revision()
        if not page.live or (latest is not None and latest.pk != page.live_revision_id):
            drafts.append(latest.as_object() if latest is not None else page)
    return drafts


def refuse_bulk_publishing_of_unpublishable_stories(
    request: Any, action_type: str, objects: list[Any], action: Any
) -> Any:
    """``before_bulk_action``: refuse the whole bulk publish if a story in it may not go live,
    with one error naming each such page and its reasons (never a recorded term)."""
    from .models import AbstractSurvivorStoryPage

    if action_type != "publish" or not objects or not isinstance(objects[0], Page):
        return None
    form = getattr(action, "cleaned_form", None)
    include_descendants = bool(form and form.cleaned_data.get("include_descendants"))
    refused = [
        (page, problems)
        for page in _going_live(objects, include_descendants)
        if isinstance(page, AbstractSurvivorStoryPage)
        and (problems := publication_problems(page, at=page.go_live_at))
    ]
    if not refused:
        return None
    for page, problems in refused:
        messages.error(
            request,
            _("“%(title)s” cannot be published: %(reasons)s")
            % {"title": page.get_admin_display_title(), "reasons": " ".join(map(str, problems))},
        )
    messages.error(request, _("Nothing was published. Fix these pages, or leave them out."))
    return redirect(action.next_url)
