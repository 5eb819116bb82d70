"""Remove camera and location metadata from images stored before wagtail-sixdegrees was installed.

It lists every image it would rewrite, and why, before it changes anything, then asks (or goes
ahead with ``--no-input``). Images in story collections (``STORY_IMAGE_COLLECTIONS``; by default
every collection) get the full scrub; images elsewhere lose location and device data only.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from wagtail.images.models import AbstractImage

from wagtail_sixdegrees.stories.images import ScrubResult, scrub_stored_image


class Command(BaseCommand):
    help = (
        "List, then rewrite, stored original images (all image models) that carry location or "
        "device metadata. In story collections (STORY_IMAGE_COLLECTIONS, default all) every "
        "piece of metadata goes and the file gets a random name; elsewhere only GPS and "
        "camera details go, and the name, creator and copyright stay. Renditions are deleted "
        "(Wagtail makes them again). Idempotent: clean images are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would change; change nothing."
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Rewrite without asking (after listing).",
        )

    def images(self) -> list[Any]:
        found: list[AbstractImage] = []
        for model in apps.get_models():
            if issubclass(model, AbstractImage):
                found.extend(model._default_manager.order_by("pk").select_related("collection"))
        return found

    def describe(self, image: Any, result: ScrubResult) -> str:
        action = (
            "remove all metadata and give it a random name"
            if result.full
            else "remove location and device data only (name, creator and copyright stay)"
        )
        return (
            f"{image._meta.label} {image.pk} ({result.old_name}, collection "
            f"{image.collection.name!r}): {', '.join(result.reasons)}; will {action}"
        )

    def handle(self, *args: Any, dry_run: bool = False, interactive: bool = True, **options: Any):
        plan = [(image, scrub_stored_image(image, dry_run=True)) for image in self.images()]
        failed = [(image, result) for image, result in plan if result.error]
        todo = [(image, result) for image, result in plan if result.cleaned]
        for image, result in failed:
            self.stderr.write(
                f"{image._meta.label} {image.pk}: could not read {result.old_name}: {result.error}"
            )
        for image, result in todo:
            self.stdout.write(self.describe(image, result))
        clean_already = len(plan) - len(todo) - len(failed)
        if dry_run or not todo:
            verb = "would be cleaned" if dry_run else "cleaned"
            self.finish(f"{len(todo) if dry_run else 0} image(s) {verb}", clean_already, failed)
            return
        if interactive and not self.confirm(len(todo)):
            raise CommandError("Nothing was changed.")
        cleaned = 0
        for image, _listed in todo:
            result = scrub_stored_image(image)
            if result.error:
                failed.append((image, result))
                self.stderr.write(f"{image._meta.label} {image.pk}: {result.error}")
            elif result.cleaned:
                cleaned += 1
                self.stdout.write(f"{image._meta.label} {image.pk}: cleaned, now {result.new_name}")
        self.finish(f"{cleaned} image(s) cleaned", clean_already, failed)

    def confirm(self, count: int) -> bool:
        try:
            answer = input(
                f"Rewrite these {count} image(s)? The old files are deleted. Type 'yes' to go on: "
            )
        except (EOFError, OSError):  # no terminal: only --no-input rewrites
            return False
        return answer.strip().lower() == "yes"

    def finish(self, done: str, clean_already: int, failed: list) -> None:
        summary = f"{done}, {clean_already} already clean, {len(failed)} failed."
        self.stdout.write(self.style.ERROR(summary) if failed else self.style.SUCCESS(summary))
        if failed:
            raise SystemExit(1)
