"""Image privacy: originals are re-encoded without metadata and stored under random names.

A photo straight from a phone carries GPS coordinates, the camera's serial number, the time it
was taken and often the owner's name, in EXIF, XMP or IPTC blocks. Any of those can lead to a
survivor. Every image saved through Wagtail (any image model) in a story collection (by default
every collection, see ``STORY_IMAGE_COLLECTIONS``) is therefore decoded and encoded again with
only its pixels: orientation applied, colours converted to sRGB, nothing else kept, under a
random name. Images in other collections lose only location and device data (GPS, camera and
lens makes, models and serial numbers) and keep their name, creator and copyright.
Renditions are made from the clean original, so they carry nothing either.

SVG is refused for stories (hero, social and body images): an SVG is a program as much as a
picture, and can hold scripts, hidden text and metadata, and whole photos embedded as data,
none of which re-encoding pixels would remove. Editors export drawings as PNG instead.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, ImageSequence, PngImagePlugin, UnidentifiedImageError

from .. import conf

try:
    from PIL import ImageCms
except ImportError:  # Pillow built without littlecms
    ImageCms = None  # type: ignore[assignment]  # checked before each use

#: Pillow format -> (format to save, file extension). Anything else becomes PNG or JPEG.
KEPT_FORMATS = {
    "JPEG": ("JPEG", "jpg"),
    "MPO": ("JPEG", "jpg"),
    "PNG": ("PNG", "png"),
    "GIF": ("GIF", "gif"),
    "WEBP": ("WEBP", "webp"),
    "AVIF": ("AVIF", "avif"),
}
#: Frame details an animation needs; every other ``info`` entry (exif, xmp, icc_profile,
#: comment, dpi, text chunks...) is dropped.
KEPT_INFO = ("transparency", "duration", "loop", "background", "disposal")
RANDOM_NAME_LENGTH = 32  # hex characters

SVG_REFUSED = _(
    "SVG images cannot be used in a story: they can carry scripts, hidden text and embedded "
    "photos that we cannot clean. Export the drawing as PNG and upload that instead."
)


def is_svg(image) -> bool:
    """Whether ``image`` (any Wagtail image) is an SVG file."""
    return image is not None and _is_svg(image.file.name)


def refuse_svg(image) -> None:
    """Raise ``ValidationError`` with an editor-facing message if ``image`` is an SVG."""
    if is_svg(image):
        raise ValidationError(SVG_REFUSED, code="svg_in_story")


GPS_IFD = 0x8825
EXIF_IFD = 0x8769
#: EXIF tags naming the device (IFD0 and the Exif IFD): make, model, software, host computer,
#: maker notes, camera owner, body and lens serial numbers, lens make, model and specification.
DEVICE_TAGS = {
    0x010F,
    0x0110,
    0x0131,
    0x013C,
    0x927C,
    0xA430,
    0xA431,
    0xA432,
    0xA433,
    0xA434,
    0xA435,
}
#: EXIF tags about who made the picture and its rights, kept outside story collections:
#: ImageDescription, Artist, Copyright, XPTitle, XPAuthor.
RIGHTS_TAGS = (0x010E, 0x013B, 0x8298, 0x9C9B, 0x9C9D)
#: PNG text chunks kept outside story collections.
RIGHTS_TEXT_KEYS = ("Title", "Author", "Description", "Copyright", "Disclaimer", "Source")
#: XMP that mentions any of these carries location or device data; we cannot edit XMP safely,
#: so such a packet is dropped whole (the EXIF rights tags stay).
XMP_LOCATION_OR_DEVICE = (
    b"GPS",
    b"tiff:Make",
    b"tiff:Model",
    b"SerialNumber",
    b"Lens",
    b"CameraOwner",
)
XMP_KEYS = ("xmp", "XML:com.adobe.xmp")


def random_name(extension: str) -> str:
    return f"{secrets.token_hex(RANDOM_NAME_LENGTH // 2)}.{extension}"


def has_random_name(name: str) -> bool:
    stem = os.path.splitext(os.path.basename(name))[0]
    return len(stem) == RANDOM_NAME_LENGTH and all(c in "0123456789abcdef" for c in stem)


def _to_srgb(frame: Image.Image) -> Image.Image:
    profile = frame.info.get("icc_profile")
    if not profile or ImageCms is None:
        return frame
    try:
        mode = "RGBA" if frame.mode in ("RGBA", "LA", "PA") else "RGB"
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        converted = ImageCms.profileToProfile(
            frame.convert(mode), source, ImageCms.createProfile("sRGB"), outputMode=mode
        )
        return converted if converted is not None else frame  # None only with inPlace
    except (OSError, ValueError, ImageCms.PyCMSError):
        # An unreadable profile: keep the pixels as they are rather than refuse the image.
        return frame


def _clean_frame(frame: Image.Image) -> Image.Image:
    info: dict[str | tuple[int, int], object] = {
        key: frame.info[key] for key in KEPT_INFO if key in frame.info
    }
    clean = _to_srgb(frame).copy()
    clean.info = info
    return clean


def has_metadata(data: bytes) -> bool:
    """Whether an encoded image carries anything besides pixels that could identify someone."""
    with Image.open(io.BytesIO(data)) as image:
        if image.getexif():
            return True
        private_keys = {"exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "photoshop"}
        if private_keys & set(image.info):
            return True
        return bool(getattr(image, "text", None))


def _xmp(info: dict) -> bytes:
    for key in XMP_KEYS:
        if info.get(key):
            value = info[key]
            return value.encode() if isinstance(value, str) else bytes(value)
    return b""


def location_or_device_data(data: bytes) -> list[str]:
    """What an encoded image carries that says where it was taken or with what (empty: nothing)."""
    found = []
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise ValidationError(_("This file is not an image we can read.")) from error
    with image:
        exif = image.getexif()
        if exif.get_ifd(GPS_IFD):
            found.append("GPS location")
        if DEVICE_TAGS & (set(exif) | set(exif.get_ifd(EXIF_IFD))):
            found.append("camera or device details")
        xmp = _xmp(image.info)
        if xmp and any(marker in xmp for marker in XMP_LOCATION_OR_DEVICE):
            found.append("location or device data in XMP")
    return found


def story_collection_ids() -> set[int] | None:
    """Ids of the collections whose images get the full scrub (with their descendants), or None
    for every collection (the default)."""
    from wagtail.models import Collection

    configured = conf.get_setting("STORY_IMAGE_COLLECTIONS")
    if configured is None:
        return None
    ids = {item for item in configured if isinstance(item, int)}
    names = [item for item in configured if isinstance(item, str)]
    roots = Collection.objects.filter(pk__in=ids) | Collection.objects.filter(name__in=names)
    found: set[int] = set()
    for root in roots:
        found.update(
            Collection.objects.descendant_of(root, inclusive=True).values_list("pk", flat=True)
        )
    return found


def is_story_image(image) -> bool:
    """Whether ``image`` gets the full scrub: it is in a story collection (or all are)."""
    ids = story_collection_ids()
    return ids is None or image.collection_id in ids


#: Why an editor may not put an image from another collection into a story.
OUTSIDE_STORY_COLLECTIONS = _(
    "Choose an image from a story collection: images elsewhere keep their file name and "
    "their photographer's details."
)


def refuse_unless_story_image(image) -> None:
    """Raise ``ValidationError`` if ``image`` is outside the story collections (when scoped)."""
    if image is not None and not is_story_image(image):
        raise ValidationError(OUTSIDE_STORY_COLLECTIONS)


def refuse_unfit_story_image(image) -> None:
    """Raise ``ValidationError`` for an image a story may not show: an SVG, or one outside the
    story collections. Every story image field and block asks this one question."""
    refuse_svg(image)
    refuse_unless_story_image(image)


@dataclass
class CleanImage:
    data: bytes
    extension: str


def strip_metadata(data: bytes, *, keep_rights: bool = False) -> CleanImage:
    """Re-encode ``data`` with its pixels only. Raises ``ValidationError`` if it is no image.

    With ``keep_rights`` (images outside story collections), the creator and copyright tags,
    rights text chunks and an XMP packet free of location and device data stay."""
    try:
        source = Image.open(io.BytesIO(data))
        source.load()
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise ValidationError(_("This file is not an image we can read.")) from error
    with source:
        kept = KEPT_FORMATS.get(source.format or "")
        can_animate = kept is not None and kept[0] in ("GIF", "WEBP", "PNG")
        animated = can_animate and getattr(source, "is_animated", False)
        if animated:
            frames = [_clean_frame(frame.copy()) for frame in ImageSequence.Iterator(source)]
        else:
            frames = [_clean_frame(ImageOps.exif_transpose(source))]
        first = frames[0]
        if kept is not None:
            save_format, extension = kept
        else:
            has_alpha = first.mode in ("RGBA", "LA", "PA") or "transparency" in first.info
            save_format, extension = ("PNG", "png") if has_alpha else ("JPEG", "jpg")
        if save_format == "JPEG" and first.mode not in ("RGB", "L"):
            frames = [frame.convert("RGB") for frame in frames]
            first = frames[0]
        options: dict = {}
        if save_format == "JPEG":
            options = {"quality": 90, "optimize": True}
        elif save_format in ("WEBP", "AVIF"):
            options = {"quality": 85}
        if animated:
            options.update(save_all=True, append_images=frames[1:])
            for key in ("duration", "loop", "disposal"):
                if key in source.info:
                    options.setdefault(key, source.info[key])
        if keep_rights:
            options.update(_rights_options(source, save_format))
        output = io.BytesIO()
        first.save(output, format=save_format, **options)
    return CleanImage(data=output.getvalue(), extension=extension)


def _rights_options(source: Image.Image, save_format: str) -> dict:
    """Save options that carry the source's rights metadata, and nothing about place or device."""
    options: dict = {}
    rights = Image.Exif()
    exif = source.getexif()
    for tag in RIGHTS_TAGS:
        if tag in exif:
            rights[tag] = exif[tag]
    if len(rights):
        options["exif"] = rights
    xmp = _xmp(source.info)
    keep_xmp = xmp and not any(marker in xmp for marker in XMP_LOCATION_OR_DEVICE)
    if save_format == "PNG":
        text = PngImagePlugin.PngInfo()
        for key in RIGHTS_TEXT_KEYS:
            value = getattr(source, "text", {}).get(key)
            if isinstance(value, str):
                text.add_text(key, value)
        if keep_xmp:
            text.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8", "replace"))
        options["pnginfo"] = text
    elif keep_xmp and save_format in ("JPEG", "WEBP", "AVIF"):
        options["xmp"] = xmp
    return options


def replace_file(image, data: bytes) -> None:
    """Put a clean original on ``image`` under a random name (committed when it is saved)."""
    clean = strip_metadata(data)
    image.file = ContentFile(clean.data, name=random_name(clean.extension))
    image._sixdegrees_scrubbed = True
    image.file_size = len(clean.data)
    image.file_hash = hashlib.sha1(clean.data, usedforsecurity=False).hexdigest()


def replace_file_keeping_rights(image, data: bytes) -> bool:
    """Outside story collections: drop location and device data, keep the name, creator and
    copyright. Leaves an image without such data untouched (no re-encoding). True if changed."""
    if not location_or_device_data(data):
        return False
    clean = strip_metadata(data, keep_rights=True)
    stem = os.path.splitext(os.path.basename(image.file.name))[0]
    image.file = ContentFile(clean.data, name=f"{stem}.{clean.extension}")
    image._sixdegrees_scrubbed = True
    image.file_size = len(clean.data)
    image.file_hash = hashlib.sha1(clean.data, usedforsecurity=False).hexdigest()
    return True


def _is_svg(name: str) -> bool:
    return os.path.splitext(name or "")[1].lower() == ".svg"


def scrub_uploaded_image(sender, instance, raw=False, **kwargs) -> None:
    """``pre_save`` on every image model: clean a newly uploaded original before it is stored,
    and an image moved into a story collection from elsewhere."""
    if raw or not instance.file:
        return
    if getattr(instance.file, "_committed", True):
        _scrub_on_move_into_story_collection(sender, instance)
        return
    if getattr(instance, "_sixdegrees_scrubbed", False):  # this new file is already clean
        return
    story = is_story_image(instance)
    if _is_svg(instance.file.name):
        # Drawings in SVG carry no camera data; in story collections they get a random name.
        if story:
            instance.file.name = random_name("svg")
        return
    instance.file.seek(0)
    data = instance.file.read()
    if story:
        replace_file(instance, data)
    elif not replace_file_keeping_rights(instance, data):
        instance.file.seek(0)


def _scrub_on_move_into_story_collection(sender, instance) -> None:
    """Images outside story collections keep their names and rights metadata; once one moves
    into a story collection, it gets the full scrub like any story upload."""
    if instance.pk is None or conf.get_setting("STORY_IMAGE_COLLECTIONS") is None:
        return
    if has_random_name(instance.file.name) or not is_story_image(instance):
        return
    before = sender.objects.filter(pk=instance.pk).values_list("collection_id", flat=True).first()
    if before == instance.collection_id:
        return
    old_name, storage = instance.file.name, instance.file.storage
    if _is_svg(old_name):
        with instance.open_file() as handle:
            instance.file = ContentFile(handle.read(), name=random_name("svg"))
        instance._sixdegrees_scrubbed = True
    else:
        with instance.open_file() as handle:
            replace_file(instance, handle.read())
    pk, model = instance.pk, sender

    def forget_old_file() -> None:
        # Renditions were made from the old file: Wagtail makes them again from the clean one.
        model.objects.get(pk=pk).renditions.all().delete()
        storage.delete(old_name)

    transaction.on_commit(forget_old_file)


@dataclass
class ScrubResult:
    image_id: int
    old_name: str
    new_name: str = ""
    cleaned: bool = False
    error: str = ""
    #: Whether this image gets the full scrub (story collection) or loses location/device only.
    full: bool = True
    #: Why it is (or would be) rewritten, in the words the command prints.
    reasons: list[str] = field(default_factory=list)


def scrub_stored_image(image, dry_run: bool = False) -> ScrubResult:
    """Clean one stored original in place (for images uploaded before installation): the full
    scrub in story collections, location and device data only elsewhere."""
    result = ScrubResult(image_id=image.pk, old_name=image.file.name, full=is_story_image(image))
    data = b""
    if not _is_svg(image.file.name):
        try:
            with image.open_file() as handle:
                data = handle.read()
            result.reasons = location_or_device_data(data)
            if result.full and has_metadata(data):
                result.reasons.append("other metadata (creator, dates, colour profile...)")
        except ValidationError as error:
            result.error = "; ".join(error.messages)
            return result
        except (OSError, UnidentifiedImageError, ValueError) as error:
            result.error = str(error) or error.__class__.__name__
            return result
    if result.full and not has_random_name(image.file.name):
        result.reasons.append("a file name that is not random")
    if not result.reasons:
        return result
    result.cleaned = True
    if dry_run:
        return result
    storage = image.file.storage
    old_name = image.file.name
    try:
        if not result.full:
            replace_file_keeping_rights(image, data)
        elif data:
            replace_file(image, data)
        else:
            with image.open_file() as handle:
                image.file = ContentFile(handle.read(), name=random_name("svg"))
            image._sixdegrees_scrubbed = True
    except ValidationError as error:
        result.cleaned = False
        result.error = "; ".join(error.messages)
        return result
    image.save()
    result.new_name = image.file.name
    # Renditions were made from the old file and may carry its metadata: make them again.
    image.renditions.all().delete()
    storage.delete(old_name)
    return result
