"""Our public pages inside the site's own layout.

Every public page of the package (stories, story index, need, impact, thanks, donate, cancel)
extends ``wagtail_sixdegrees/base.html``, which extends the template named by the
``BASE_TEMPLATE`` setting (default ``"base.html"``, the site's own). Django can only choose a
parent template from the context, so our views and pages put the name there.
"""

from __future__ import annotations

from typing import Any

from django.template.response import TemplateResponse

from . import conf

#: The context name ``wagtail_sixdegrees/base.html`` extends.
CONTEXT_NAME = "sixdegrees_base_template"


def base_template() -> str:
    """The template our public pages extend: the ``BASE_TEMPLATE`` setting."""
    return str(conf.get_setting("BASE_TEMPLATE"))


class PublicTemplateResponse(TemplateResponse):
    """A TemplateResponse for a public page, which knows the site's base template."""

    def resolve_context(self, context: dict[str, Any] | None) -> dict[str, Any] | None:
        context = dict(context or {})
        context.setdefault(CONTEXT_NAME, base_template())
        return super().resolve_context(context)


class InSiteLayout:
    """Page mixin: the page's template extends the site's base template."""

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)  # type: ignore[misc]  # Page's
        context.setdefault(CONTEXT_NAME, base_template())
        return context
