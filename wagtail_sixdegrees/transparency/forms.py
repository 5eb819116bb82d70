"""The need update editor's form: the re-identification check's findings shown next to their
fields when the publish button is pressed, before anything is saved."""

from __future__ import annotations

from typing import Any

from wagtail.admin.forms import WagtailAdminModelForm

from ..stories.forms import FindingsOnPublish

#: What the check reads from the form rather than the saved update.
CHECKED_FIELDS = ("need", "title", "text", "image", "image_alt_text")


class NeedUpdateForm(FindingsOnPublish, WagtailAdminModelForm):
    """Publishing an update that names a recorded term of a story supporting its need (or a
    place finer than a province) re-renders the form with each finding next to its field, in
    the update's language and never naming the term; nothing is written. Saving a draft stays
    allowed: the editor fixes it, or a safety reviewer acknowledges the finding with a reason.

    The ``pre_save`` guard (``stories/publishing.py``) still refuses every other way of
    publishing; this form only lets the editor see why, instead of an error page.
    """

    checked_fields = CHECKED_FIELDS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        if self.publishing():
            candidate = self.candidate(cleaned)
            if candidate.need_id is not None:
                self.add_findings(candidate)
        return cleaned
