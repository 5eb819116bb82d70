"""The story editor's form: shows why a story cannot be published before anything is saved."""

from __future__ import annotations

import copy
from typing import Any

from wagtail.admin.forms import WagtailAdminPageForm

from .publishing import publication_problems


class StoryPageForm(WagtailAdminPageForm):
    """Shows why a story cannot be published, in the editor, before anything is saved."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.data.get("action-publish") and not self.errors:
            candidate = copy.copy(self.instance)
            for name in ("pseudonym", "region", "go_live_at"):
                if name in cleaned:
                    setattr(candidate, name, cleaned[name])
            for problem in publication_problems(candidate, at=cleaned.get("go_live_at")):
                self.add_error(None, problem)
        return cleaned
