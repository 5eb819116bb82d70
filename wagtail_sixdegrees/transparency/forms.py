"""The need update editor's form: the re-identification check's findings shown next to their
fields when the publish button is pressed, before anything is saved."""

from __future__ import annotations

import copy
from typing import Any

from wagtail.admin.forms import WagtailAdminModelForm

from ..stories.reidentification_check import finding_message, unresolved_findings

#: What the check reads from the form rather than the saved update.
CHECKED_FIELDS = ("need", "title", "text", "image", "image_alt_text")


class NeedUpdateForm(WagtailAdminModelForm):
    """Publishing an update that names a recorded term of a story supporting its need (or a
    place finer than a province) re-renders the form with each finding next to its field, in
    the update's language and never naming the term; nothing is written. Saving a draft stays
    allowed: the editor fixes it, or a safety reviewer acknowledges the finding with a reason.

    The ``pre_save`` guard (``stories/publishing.py``) still refuses every other way of
    publishing; this form only lets the editor see why, instead of an error page.
    """

    def candidate(self, cleaned: dict[str, Any]):
        """The update as it would be published from this form (nothing saved)."""
        candidate = copy.copy(self.instance)
        for name in CHECKED_FIELDS:
            if name in cleaned:
                setattr(candidate, name, cleaned[name])
        return candidate

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.data.get("action-publish") and not self.errors:
            candidate = self.candidate(cleaned)
            if candidate.need_id is None:
                return cleaned
            language = candidate.locale.language_code if candidate.locale_id else None
            for finding in unresolved_findings(candidate):
                field = finding.field if finding.field in self.fields else None
                self.add_error(field, finding_message(finding, language))
        return cleaned
