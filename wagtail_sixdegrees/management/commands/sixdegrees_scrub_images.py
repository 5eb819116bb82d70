"""Remove camera and location metadata from images stored before wagtail-sixdegrees was installed."""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from wagtail.images.models import AbstractImage

from wagtail_sixdegrees.stories.images import scrub_stored_image


class Command(BaseCommand):
    help = (
        "Re-encode every stored original image (all image models) without EXIF, XMP, IPTC or "
        "GPS metadata, give it a random file name and delete its renditions. Idempotent: clean "
        "images are left alone."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        cleaned = clean_already = failed = 0
        for model in apps.get_models():
            if not issubclass(model, AbstractImage):
                continue
            for image in model.objects.order_by("pk").iterator():
                result = scrub_stored_image(image, dry_run=dry_run)
                label = f"{model._meta.label} {image.pk}"
                if result.error:
                    failed += 1
                    self.stderr.write(f"{label}: could not read {result.old_name}: {result.error}")
                elif result.cleaned:
                    cleaned += 1
                    if dry_run:
                        self.stdout.write(f"{label}: would clean {result.old_name}")
                    else:
                        self.stdout.write(f"{label}: cleaned, now {result.new_name}")
                else:
                    clean_already += 1
        verb = "would be cleaned" if dry_run else "cleaned"
        summary = f"{cleaned} image(s) {verb}, {clean_already} already clean, {failed} failed."
        self.stdout.write(self.style.ERROR(summary) if failed else self.style.SUCCESS(summary))
        if failed:
            raise SystemExit(1)
