"""Story images are light: WebP with a JPEG fallback, sized, and lazy below the fold."""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from wagtail.images import get_image_model
from wagtail.rich_text import RichText

from tests.factories import image_bytes, make_live_story

pytestmark = pytest.mark.django_db


def test_story_images_are_responsive_webp_with_sizes_and_lazy_below_the_fold(client):
    Image = get_image_model()
    hero, inline = (
        Image.objects.create(
            title=f"Fictional {n}",
            file=ContentFile(image_bytes("JPEG", size=(1200, 800)), name=f"{n}.jpg"),
        )
        for n in ("hero", "inline")
    )
    story = make_live_story(
        hero_image=hero,
        hero_alt_text="Hills at dusk.",
        body=[
            ("paragraph", RichText("<p>A fictional paragraph.</p>")),
            ("image", {"image": inline, "alt_text": "A river.", "caption": ""}),
        ],
    )
    html = client.get(story.url).content.decode()
    pictures = re.findall(r"<picture>.*?</picture>", html, re.S)
    assert len(pictures) == 2
    for picture in pictures:
        assert 'type="image/webp"' in picture
        img = re.search(r"<img [^>]*>", picture).group(0)
        assert re.search(r'\bwidth="\d+"', img) and re.search(r'\bheight="\d+"', img)
    hero_img, inline_img = (re.search(r"<img [^>]*>", p).group(0) for p in pictures)
    assert 'loading="lazy"' not in hero_img  # the first thing a reader sees loads at once
    assert 'loading="lazy"' in inline_img
