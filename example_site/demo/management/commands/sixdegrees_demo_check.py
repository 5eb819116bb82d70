"""Check that the demo answers in each of its languages (run after sixdegrees_demo; CI does)."""

from __future__ import annotations

import re

from django.core.management.base import BaseCommand, CommandError
from django.test import Client
from django.utils.html import escape
from wagtail.models import Locale, Page

from demo.content.stories import FICTIONAL
from demo.content.translations import TRANSLATIONS
from wagtail_sixdegrees.models import SurvivorStoryPage

#: What every story says about itself, per language.
FICTIONAL_LABELS = {"en": FICTIONAL} | {
    code: texts["story"]["fictional"] for code, texts in TRANSLATIONS.items()
}


class Command(BaseCommand):
    help = (
        "Fetch every live page of the demo in each language it is translated into: each must "
        "answer 200 in its language with its own title, every story must say it is fictional, "
        "and its language links must lead to its translations."
    )

    def handle(self, *args, **options) -> None:
        client = Client(HTTP_HOST="localhost")
        problems: list[str] = []
        english = Page.objects.live().filter(locale=Locale.get_default(), depth__gt=1)
        checked = 0
        for code, label in FICTIONAL_LABELS.items():
            pages = Page.objects.live().filter(locale__language_code=code, depth__gt=1)
            if pages.count() != english.count():
                problems.append(f"{code}: {pages.count()} live pages, {english.count()} in English")
            for page in pages.specific():
                url = page.get_url()
                response = client.get(url)
                checked += 1
                html = response.content.decode()
                expected = [page.title]
                if isinstance(page, SurvivorStoryPage):
                    expected.append(label)
                if response.status_code != 200:
                    problems.append(f"{url}: {response.status_code}")
                    continue
                if f'<html lang="{code}">' not in html:
                    problems.append(f"{url}: not served in {code}")
                problems += [
                    f"{url}: lacks {text!r}" for text in expected if escape(text) not in html
                ]
                links = set(re.findall(r'<a href="([^"]+)" lang="[^"]+" hreflang=', html))
                problems += [
                    f"{url}: no language link to {other.get_url()}"
                    for other in page.get_translations().live()
                    if other.get_url() not in links
                ]
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write(f"{checked} pages answer in {', '.join(FICTIONAL_LABELS)}.")
