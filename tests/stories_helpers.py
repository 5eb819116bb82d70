"""Old import path of the story helpers, kept while other branches still import from it; new
code imports from tests.helpers and tests.factories."""

from tests.factories import make_superuser, translate
from tests.helpers import edit_url, login, story_form_data


def translate_story(story, language: str = "th"):
    return translate(story, language)


__all__ = ["edit_url", "login", "make_superuser", "story_form_data", "translate_story"]
