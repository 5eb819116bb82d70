"""The story editor's forms: why a story cannot be published, shown before anything is saved;
and a copy form without "alias"."""

from __future__ import annotations

import copy
from typing import Any

from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.forms.pages import CopyForm

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


class StoryCopyForm(CopyForm):
    """Copying a story in the admin makes a draft: never an alias, never published at once.

    A copy or alias in the same language gets a new translation key, so no consent and no
    safety review: the publishing guard would refuse it with an error page. An alias would
    also follow the original's content but not its consent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.pop("alias", None)
        self.fields.pop("publish_copies", None)
