"""Languages we ship that Django does not describe itself.

Django's ``LANG_INFO`` has no entry for Filipino (``tl``) or Lao (``lo``); without one,
``get_language_info`` (used by Django's language tags and by Wagtail's locale names) fails for
sites that list them in ``LANGUAGES``. We add the two entries, never replacing Django's own.
"""

from __future__ import annotations

from django.conf.locale import LANG_INFO

#: The languages our catalogues are written in, besides English.
SHIPPED_LANGUAGES = ("th", "vi", "km", "my", "id", "tl", "lo")

EXTRA_LANG_INFO = {
    "tl": {"bidi": False, "code": "tl", "name": "Filipino", "name_local": "Filipino"},
    "lo": {"bidi": False, "code": "lo", "name": "Lao", "name_local": "ພາສາລາວ"},
}


def register_language_info() -> None:
    for code, info in EXTRA_LANG_INFO.items():
        LANG_INFO.setdefault(code, info)
