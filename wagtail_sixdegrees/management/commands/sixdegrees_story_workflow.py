"""Make sure every story index has the "Story safety review" workflow (idempotent)."""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand

from wagtail_sixdegrees.stories.models import AbstractStoryIndexPage
from wagtail_sixdegrees.stories.workflow import assign_story_workflow, ensure_story_workflow


class Command(BaseCommand):
    help = (
        "Create the default Story safety review workflow if it is missing and assign it to "
        "every story index whose stories would otherwise skip a safety review."
    )

    def handle(self, *args, **options) -> None:
        workflow = ensure_story_workflow()
        changed = 0
        for model in apps.get_models():
            if not issubclass(model, AbstractStoryIndexPage):
                continue
            for index in model.objects.order_by("path"):
                if assign_story_workflow(index):
                    changed += 1
                    self.stdout.write(f"Assigned “{workflow.name}” to {index.title} ({index.pk}).")
        self.stdout.write(self.style.SUCCESS(f"{changed} story index(es) updated."))
