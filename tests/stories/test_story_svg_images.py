"""SVG in stories: refused with a clear message, wherever a story can show an image.

An SVG can hold scripts, metadata and whole photos embedded as data; re-encoding pixels, as we
do for photos, removes none of it. Stories take PNG, JPEG, GIF, WebP or AVIF only."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from wagtail.images import get_image_model
from wagtail.test.utils.form_data import rich_text, streamfield

from tests.factories import make_image, make_story, make_superuser
from tests.helpers import edit_url, login, story_form_data
from wagtail_sixdegrees.models import SurvivorStoryPage
from wagtail_sixdegrees.stories.blocks import StoryImageBlock
from wagtail_sixdegrees.stories.publishing import PublicationRefused, refuse_unless_publishable

pytestmark = pytest.mark.django_db

HOSTILE_SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">
<metadata><dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">Real Person Name</dc:creator>
</metadata><script>alert(document.cookie)</script>
<image href="data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD" width="10" height="10"/>
</svg>"""
MESSAGE = "SVG images cannot be used in a story"


def svg_image():
    return get_image_model().objects.create(
        title="Fictional drawing",
        file=ContentFile(HOSTILE_SVG, name="drawing.svg"),
        width=10,
        height=10,
    )


@pytest.mark.parametrize("field", ["hero_image", "social_image"])
def test_editor_cannot_choose_an_svg_as_illustration_or_social_image(client, field):
    story = make_story()
    image = svg_image()
    login(client, make_superuser())

    response = client.post(edit_url(story), story_form_data(story, **{field: image.pk}))

    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert getattr(SurvivorStoryPage.objects.get(pk=story.pk), f"{field}_id") is None


def test_editor_cannot_put_an_svg_in_the_story_body(client):
    story = make_story()
    image = svg_image()
    login(client, make_superuser())
    body = streamfield(
        [
            ("paragraph", rich_text("<p>A fictional story paragraph.</p>")),
            ("image", {"image": image.pk, "alt_text": "A drawing", "caption": ""}),
        ]
    )

    response = client.post(edit_url(story), story_form_data(story, body=body))

    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert not any(
        block.block_type == "image" for block in SurvivorStoryPage.objects.get(pk=story.pk).body
    )


def test_image_block_refuses_svg_and_takes_raster_images():
    block = StoryImageBlock()

    with pytest.raises(ValidationError):
        block.clean(block.to_python({"image": svg_image().pk, "alt_text": "A drawing"}))
    assert block.clean(block.to_python({"image": make_image().pk, "alt_text": "A drawing"}))


def test_a_story_with_an_svg_set_behind_the_editors_back_cannot_be_published():
    story = make_story()
    story.hero_image = svg_image()

    with pytest.raises(PublicationRefused, match=MESSAGE):
        refuse_unless_publishable(story)
