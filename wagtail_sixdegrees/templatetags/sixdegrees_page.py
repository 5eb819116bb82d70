"""Tags that put what our pages and blocks need into any site's layout, each at most once.

``{% sixdegrees_styles %}`` links the package stylesheet. ``{% sixdegrees_head %}`` adds that
link and the page's ``sixdegrees_head`` block (robots and ``og:`` tags) to the ``<head>``:
``wagtail_sixdegrees/base.html`` calls it from the head blocks sites commonly have, and a site
whose head has none of them puts ``{% load sixdegrees_page %}{% sixdegrees_head %}`` in its own.
"""

from __future__ import annotations

from django import template
from django.template.loader_tags import BLOCK_CONTEXT_KEY
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from ..layout import CONTEXT_NAME

register = template.Library()

STYLESHEET = "wagtail_sixdegrees/css/sixdegrees.css"
# Kept in the context's root scope, which include_block copies into the blocks it renders.
_STYLES_LINKED = "sixdegrees_styles_linked"
_HEAD_DONE = "sixdegrees_head_done"


def _once(context: template.Context, flag: str) -> bool:
    """True the first time ``flag`` is asked for in this render (and blocks it includes)."""
    if context.get(flag):
        return False
    context.dicts[0][flag] = True
    return True


@register.simple_tag(takes_context=True)
def sixdegrees_styles(context: template.Context) -> SafeString:
    """The package stylesheet's ``<link>``, unless this page already has it."""
    if not _once(context, _STYLES_LINKED):
        return mark_safe("")
    return format_html('<link rel="stylesheet" href="{}">', static(STYLESHEET))


@register.simple_tag(takes_context=True)
def sixdegrees_head(context: template.Context) -> SafeString:
    """On our pages, the stylesheet and the page's ``{% block sixdegrees_head %}``, once;
    nothing on the site's other pages."""
    if CONTEXT_NAME not in context or not _once(context, _HEAD_DONE):
        return mark_safe("")
    html = sixdegrees_styles(context)
    blocks = context.render_context.get(BLOCK_CONTEXT_KEY)
    node = blocks.get_block("sixdegrees_head") if blocks is not None else None
    if node is not None:
        with context.push():
            html += node.nodelist.render(context)
    return mark_safe(html)  # noqa: S308 (our own rendered template)
