"""Image privacy: originals are re-encoded without metadata and stored under random names.

A photo straight from a phone carries GPS coordinates, the camera's serial number, the time it
was taken and often the owner's name, in EXIF, XMP or IPTC blocks. Any of those can lead to a
survivor. Every image saved through Wagtail (any image model) is therefore decoded and encoded
again with only its pixels: orientation applied, colours converted to sRGB, nothing else kept.
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
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

try:
    from PIL import ImageCms
except ImportError:  # Pillow built without littlecms
    ImageCms = None

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
    return image is not None and os.path.splitext(image.file.name or "")[1].lower() == ".svg"


def refuse_svg(image) -> None:
    """Raise ``ValidationError`` with an editor-facing message if ``image`` is an SVG."""
    if is_svg(image):
        raise ValidationError(SVG_REFUSED, code="svg_in_story")


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
        return ImageCms.profileToProfile(
            frame.convert(mode), source, ImageCms.createProfile("sRGB"), outputMode=mode
        )
    except (OSError, ValueError, ImageCms.PyCMSError):
        # An unreadable profile: keep the pixels as they are rather than refuse the image.
        return frame


def _clean_frame(frame: Image.Image) -> Image.Image:
    info = {key: frame.info[key] for key in KEPT_INFO if key in frame.info}
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


@dataclass
class CleanImage:
    data: bytes
    extension: str


def strip_metadata(data: bytes) -> CleanImage:
    """Re-encode ``data`` with its pixels only. Raises ``ValidationError`` if it is no image."""
    try:
        source = Image.open(io.BytesIO(data))
        source.load()
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise ValidationError(_("This file is not an image we can read.")) from error
    with source:
        save_format, extension = KEPT_FORMATS.get(source.format or "", (None, None))
        animated = getattr(source, "is_animated", False) and save_format in ("GIF", "WEBP", "PNG")
        if animated:
            frames = [_clean_frame(frame.copy()) for frame in ImageSequence.Iterator(source)]
        else:
            frames = [_clean_frame(ImageOps.exif_transpose(source))]
        first = frames[0]
        if save_format is None:
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
        output = io.BytesIO()
        first.save(output, format=save_format, **options)
    return CleanImage(data=output.getvalue(), extension=extension)


def replace_file(image, data: bytes) -> None:
    """Put a clean original on ``image`` under a random name (committed when it is saved)."""
    clean = strip_metadata(data)
    image.file = ContentFile(clean.data, name=random_name(clean.extension))
    image._sixdegrees_scrubbed = True
    image.file_size = len(clean.data)
    image.file_hash = hashlib.sha1(clean.data, usedforsecurity=False).hexdigest()


def scrub_uploaded_image(sender, instance, raw=False, **kwargs) -> None:
    """``pre_save`` on every image model: clean a newly uploaded original before it is stored."""
    if raw or not instance.file or getattr(instance.file, "_committed", True):
        return
    if getattr(instance, "_sixdegrees_scrubbed", False):
        return
    if os.path.splitext(instance.file.name or "")[1].lower() == ".svg":
        # Drawings in SVG carry no camera data; they only get a random name.
        instance.file.name = random_name("svg")
        return
    instance.file.seek(0)
    replace_file(instance, instance.file.read())


@dataclass
class ScrubResult:
    image_id: int
    old_name: str
    new_name: str = ""
    cleaned: bool = False
    error: str = ""


def scrub_stored_image(image, dry_run: bool = False) -> ScrubResult:
    """Clean one stored original in place (for images uploaded before installation)."""
    result = ScrubResult(image_id=image.pk, old_name=image.file.name)
    if os.path.splitext(image.file.name)[1].lower() == ".svg":
        needs_work = not has_random_name(image.file.name)
        data = b""
    else:
        try:
            with image.open_file() as handle:
                data = handle.read()
            needs_work = has_metadata(data) or not has_random_name(image.file.name)
        except (OSError, UnidentifiedImageError, ValueError) as error:
            result.error = str(error) or error.__class__.__name__
            return result
    if not needs_work:
        return result
    result.cleaned = True
    if dry_run:
        return result
    storage = image.file.storage
    old_name = image.file.name
    try:
        if data:
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
