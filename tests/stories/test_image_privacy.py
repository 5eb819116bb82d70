"""Uploaded images keep their pixels and lose everything else: EXIF, GPS, XMP, IPTC, names."""

from __future__ import annotations

import io
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from PIL import Image
from wagtail.images import get_image_model
from wagtail.models import Collection

from tests.factories import image_bytes, make_image, make_superuser
from tests.helpers import login
from wagtail_sixdegrees.stories.images import has_random_name

pytestmark = pytest.mark.django_db

IDENTIFYING = [b"FictionalCameraMaker", b"FictionalCam 3000", b"Real Person Name", b"Real_Person"]


def stored_bytes(file_field) -> bytes:
    file_field.open("rb")
    try:
        return file_field.read()
    finally:
        file_field.close()


def assert_carries_nothing(data: bytes) -> None:
    for marker in IDENTIFYING:
        assert marker not in data
    with Image.open(io.BytesIO(data)) as picture:
        assert not picture.getexif()
        assert not picture.getexif().get_ifd(0x8825)
        assert not {"exif", "xmp", "XML:com.adobe.xmp", "photoshop", "comment"} & set(picture.info)
        assert not getattr(picture, "text", {})


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_test_images_really_carry_gps_and_camera_data(image_format):
    data = image_bytes(image_format)
    with Image.open(io.BytesIO(data)) as picture:
        assert picture.getexif()[0x010F] == "FictionalCameraMaker"
        assert picture.getexif().get_ifd(0x8825)[1] == "N"


@pytest.mark.parametrize(("image_format", "name"), [("JPEG", "IMG_1.jpg"), ("PNG", "IMG_2.png")])
def test_admin_upload_stores_an_original_without_metadata_under_a_random_name(
    client, image_format, name
):
    login(client, make_superuser())

    response = client.post(
        reverse("wagtailimages:add"),
        {
            "title": "Fictional upload",
            "file": SimpleUploadedFile(
                "Real_Person_at_home.jpg" if image_format == "JPEG" else "Real_Person.png",
                image_bytes(image_format),
            ),
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    image = get_image_model().objects.get()
    assert has_random_name(image.file.name)
    assert "Real_Person" not in image.file.name
    data = stored_bytes(image.file)
    assert_carries_nothing(data)
    assert image.file_size == len(data)


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_renditions_carry_no_metadata(image_format):
    image = make_image(image_format, name=f"Real_Person.{image_format.lower()}")

    rendition = image.get_rendition("width-32")

    assert_carries_nothing(stored_bytes(rendition.file))
    assert "Real_Person" not in rendition.file.name


def test_orientation_is_applied_before_the_exif_is_dropped():
    image = make_image("JPEG", size=(80, 40), orientation=6)  # "rotate 90° clockwise to view"

    assert (image.width, image.height) == (40, 80)


def test_a_file_that_is_not_an_image_is_rejected_and_nothing_is_written(client, settings):
    login(client, make_superuser())

    response = client.post(
        reverse("wagtailimages:add"),
        {"title": "Not an image", "file": SimpleUploadedFile("notes.jpg", b"plain text")},
    )

    assert response.status_code == 200
    assert not get_image_model().objects.exists()
    originals = os.path.join(settings.MEDIA_ROOT, "original_images")
    assert not os.path.isdir(originals) or not os.listdir(originals)


def test_scrub_command_cleans_old_images_once_and_reports(capsys):
    image_model = get_image_model()
    old = image_model(title="Uploaded before installation")
    # Simulate an image stored before the package was installed, bypassing the upload hook.
    old._sixdegrees_scrubbed = True
    old.file = ContentFile(image_bytes("JPEG"), name="Real_Person_before.jpg")
    old.save()
    old.get_rendition("width-32")
    assert b"FictionalCameraMaker" in stored_bytes(old.file)
    old_name = old.file.name

    call_command("sixdegrees_scrub_images", "--no-input")
    first = capsys.readouterr().out
    call_command("sixdegrees_scrub_images", "--no-input")
    second = capsys.readouterr().out

    old.refresh_from_db()
    assert_carries_nothing(stored_bytes(old.file))
    assert has_random_name(old.file.name)
    assert not old.file.storage.exists(old_name)
    assert old.renditions.count() == 0
    assert "1 image(s) cleaned, 0 already clean" in first
    assert "0 image(s) cleaned, 1 already clean" in second


def test_scrub_command_dry_run_changes_nothing(capsys):
    image = get_image_model()(title="Old")
    image._sixdegrees_scrubbed = True
    image.file = ContentFile(image_bytes("PNG"), name="Real_Person_old.png")
    image.save()

    call_command("sixdegrees_scrub_images", "--dry-run")

    image.refresh_from_db()
    assert "Real_Person_old" in image.file.name
    assert "1 image(s) would be cleaned" in capsys.readouterr().out


def stored_before_installation(name: str = "Real_Person_before.jpg", **fields):
    """An image saved bypassing the upload hook, as if stored before the package was installed."""
    image = get_image_model()(title="Uploaded before installation", **fields)
    image._sixdegrees_scrubbed = True
    image.file = ContentFile(image_bytes("JPEG"), name=name)
    image.save()
    return image


def test_scrub_command_lists_what_it_would_rewrite_and_why_and_asks_first(capsys):
    image = stored_before_installation()

    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("sixdegrees_scrub_images")  # no terminal to answer the question

    out = capsys.readouterr().out
    image.refresh_from_db()
    assert "Real_Person_before" in image.file.name
    assert "GPS location" in out
    assert "camera or device details" in out
    assert "a file name that is not random" in out
    assert "will remove all metadata and give it a random name" in out


# Scoping the full scrub to the collections stories use -----------------------------------


def collection(name: str) -> Collection:
    return Collection.get_first_root_node().add_child(name=name)


def exif_of(data: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(data)) as picture:
        return picture.getexif()


@override_settings(WAGTAIL_SIXDEGREES={"STORY_IMAGE_COLLECTIONS": ["Stories"]})
def test_outside_story_collections_an_upload_keeps_name_creator_and_copyright_but_not_gps():
    collection("Stories")
    press = collection("Press photos")

    image = get_image_model().objects.create(
        title="Press photo",
        collection=press,
        file=ContentFile(image_bytes("JPEG"), name="Annual_report_cover.jpg"),
    )

    data = stored_bytes(image.file)
    exif = exif_of(data)
    assert "Annual_report_cover" in image.file.name
    assert exif[0x013B] == "Real Person Name"  # Artist: the photographer's credit survives
    assert not exif.get_ifd(0x8825)  # GPS
    assert 0x010F not in exif and 0x0110 not in exif  # camera make and model
    assert b"FictionalCameraMaker" not in data


@override_settings(WAGTAIL_SIXDEGREES={"STORY_IMAGE_COLLECTIONS": ["Stories"]})
def test_in_a_story_collection_or_its_children_an_upload_gets_the_full_scrub():
    child = collection("Stories").add_child(name="Stories 2026")

    image = get_image_model().objects.create(
        title="Story photo",
        collection=child,
        file=ContentFile(image_bytes("JPEG"), name="Real_Person_at_home.jpg"),
    )

    assert has_random_name(image.file.name)
    assert_carries_nothing(stored_bytes(image.file))


@override_settings(WAGTAIL_SIXDEGREES={"STORY_IMAGE_COLLECTIONS": ["Stories"]})
def test_an_image_moved_into_a_story_collection_gets_the_full_scrub(
    django_capture_on_commit_callbacks,
):
    stories = collection("Stories")
    image = get_image_model().objects.create(
        title="Press photo",
        collection=collection("Press photos"),
        file=ContentFile(image_bytes("JPEG"), name="Real_Person_portrait.jpg"),
    )
    old_name = image.file.name

    image.collection = stories
    with django_capture_on_commit_callbacks(execute=True):
        image.save()

    image.refresh_from_db()
    assert has_random_name(image.file.name)
    assert_carries_nothing(stored_bytes(image.file))
    assert not image.file.storage.exists(old_name)


@override_settings(WAGTAIL_SIXDEGREES={"STORY_IMAGE_COLLECTIONS": ["Stories"]})
def test_scrub_command_removes_only_location_and_device_data_outside_story_collections(capsys):
    collection("Stories")
    image = stored_before_installation("Annual_report_cover.jpg", collection=collection("Press"))

    call_command("sixdegrees_scrub_images", "--no-input")

    out = capsys.readouterr().out
    image.refresh_from_db()
    exif = exif_of(stored_bytes(image.file))
    assert "will remove location and device data only" in out
    assert "Annual_report_cover" in image.file.name
    assert exif[0x013B] == "Real Person Name"
    assert not exif.get_ifd(0x8825)
    assert 0x010F not in exif


def test_scrub_command_reports_an_unreadable_image_and_exits_1(capsys):
    image = stored_before_installation("broken.jpg")
    with open(image.file.path, "wb") as stored:  # damaged on disk since it was stored
        stored.write(b"not an image at all")

    with pytest.raises(SystemExit) as stopped:
        call_command("sixdegrees_scrub_images", "--no-input")

    assert stopped.value.code == 1
    assert "could not read" in capsys.readouterr().err


@override_settings(WAGTAIL_SIXDEGREES={"STORY_IMAGE_COLLECTIONS": ["Stories"]})
def test_a_story_refuses_an_image_from_outside_the_story_collections():
    from django.core.exceptions import ValidationError

    from tests.factories import make_story
    from wagtail_sixdegrees.stories.blocks import StoryImageChooserBlock

    stories, press = collection("Stories"), collection("Press")
    press_photo = make_image(collection=press, name="Press.jpg")
    story_photo = make_image(collection=stories)
    story = make_story()

    story.hero_image = press_photo
    with pytest.raises(ValidationError) as refused:
        story.full_clean()
    assert "hero_image" in refused.value.message_dict
    story.hero_image = story_photo
    story.full_clean()
    with pytest.raises(ValidationError):
        StoryImageChooserBlock().clean(press_photo)
    assert StoryImageChooserBlock().clean(story_photo) == story_photo
