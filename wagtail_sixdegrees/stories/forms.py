"""The story editor's forms: why a story cannot be published, shown before anything is saved;
and a copy form without "alias"."""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.forms.pages import CopyForm

from .publishing import publication_problems
from .reidentification_check import (
    STORY_IMAGE_FIELDS,
    STORY_TEXT_FIELDS,
    finding_message,
    unresolved_findings,
)

#: What the publishing checks read from the form rather than the saved page.
CHECKED_FIELDS = ("region", "go_live_at", "body", *STORY_TEXT_FIELDS, *STORY_IMAGE_FIELDS)


class FindingsOnPublish(forms.BaseForm):
    """For an editor's form: when its publish button is pressed, each unresolved finding of the
    re-identification check goes next to the field that holds it, in the object's language and
    never naming the term, before anything is saved."""

    #: What the check reads from the form rather than the saved object.
    checked_fields: tuple[str, ...] = ()
    instance: Any

    def candidate(self, cleaned: dict[str, Any]) -> Any:
        """The object as it would be published from this form (nothing saved)."""
        candidate = copy.copy(self.instance)
        for name in self.checked_fields:
            if name in cleaned:
                setattr(candidate, name, cleaned[name])
        return candidate

    def publishing(self) -> bool:
        return bool(self.data.get("action-publish")) and not self.errors

    def add_findings(self, candidate: Any) -> None:
        language = candidate.locale.language_code if candidate.locale_id else None
        for finding in unresolved_findings(candidate):
            field = finding.field if finding.field in self.fields else None
            self.add_error(field, finding_message(finding, language))


class StoryPageForm(FindingsOnPublish, WagtailAdminPageForm):
    """Shows why a story cannot be published, in the editor, before anything is saved: each
    unresolved finding of the re-identification check next to the field that holds it."""

    checked_fields = CHECKED_FIELDS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        if self.publishing():
            candidate = self.candidate(cleaned)
            self.add_findings(candidate)
            for problem in publication_problems(candidate, at=cleaned.get("go_live_at")):
                self.add_error(None, problem)
        return cleaned


class StoryCopyForm(CopyForm):
    """Copying a story in the admin makes a draft: never an alias, never published at once.

    A copy or alias in the same language gets a new translation key, so no consent and no
    safety review: the publishing guard would refuse it with an error page. An alias would
    also follow the original's content but not its consent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.pop("alias", None)
        self.fields.pop("publish_copies", None)
