"""Finding a donate block inside a page's StreamFields, however deeply it is nested."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from wagtail.blocks import StreamValue, StructValue
from wagtail.blocks.list_block import ListValue
from wagtail.fields import StreamField
from wagtail.models import Page

from .blocks import DonateBlock


def _walk(block: Any, value: Any) -> Iterator[tuple[DonateBlock, Any]]:
    if isinstance(block, DonateBlock):
        yield block, value
        return
    if isinstance(value, StreamValue):
        for child in value:
            yield from _walk(child.block, child.value)
    elif isinstance(value, StructValue):
        for name, child_value in value.items():
            yield from _walk(block.child_blocks[name], child_value)
    elif isinstance(value, ListValue):
        for child in value.bound_blocks:
            yield from _walk(child.block, child.value)


def donate_blocks(page: Page) -> Iterator[tuple[DonateBlock, Any]]:
    """Every (DonateBlock, value) on the page."""
    specific = page.specific
    for field in specific._meta.get_fields():
        if isinstance(field, StreamField):
            stream = getattr(specific, field.name)
            yield from _walk(field.stream_block, stream)


def find_donate_block(page: Page, form_key: str) -> Any | None:
    """The value of the donate block on ``page`` whose form key is ``form_key``, if any."""
    for block, value in donate_blocks(page):
        if block.form_key(value) == form_key:
            return value
    return None
