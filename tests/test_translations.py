"""Every user-facing string can be translated, and every shipped language is complete.

Three checks: templates hold no literal text outside translation tags; the shipped catalogues
contain every message the code and templates use; and each shipped language translates every
message, with no fuzzy entries, the same placeholders, and a compiled catalogue that matches.
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.template.base import Lexer, TokenType

import wagtail_sixdegrees
from wagtail_sixdegrees.i18n import SHIPPED_LANGUAGES

# The package as imported: the checkout, or the installed wheel when tox runs a copy of the tests.
PACKAGE = Path(wagtail_sixdegrees.__file__).resolve().parent
TEMPLATES = sorted((PACKAGE / "templates").rglob("*.html")) + sorted(
    (PACKAGE / "templates").rglob("*.txt")
)
LOCALE = PACKAGE / "locale"

# Text that is not language: symbols, numbers and punctuation people read the same everywhere.
_NOT_LANGUAGE = re.compile(r"^[\s\d\W_]*$", re.UNICODE)
_TAG = re.compile(r"<[^>]*>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_ENTITY = re.compile(r"&[#\w]+;")
_TEXT_ATTRIBUTES = re.compile(
    r'\b(alt|title|placeholder|aria-label|aria-description|label|summary)="([^"]*)"', re.I
)


def literal_text(source: str) -> list[str]:
    """Human-language text in a template outside {% translate %}, {% blocktranslate %} and {{ }}."""
    found = []
    in_block_translate = 0
    in_comment = 0
    texts = []
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if name in ("blocktranslate", "blocktrans"):
                in_block_translate += 1
            elif name in ("endblocktranslate", "endblocktrans"):
                in_block_translate -= 1
            elif name == "comment":
                in_comment += 1
            elif name == "endcomment":
                in_comment -= 1
        elif token.token_type == TokenType.TEXT and not in_block_translate and not in_comment:
            texts.append(token.contents)
        elif token.token_type == TokenType.VAR:
            texts.append(" ")  # a variable splits text, it is not text
    html = "".join(texts)
    html = _SCRIPT_OR_STYLE.sub(" ", _COMMENT.sub(" ", html))
    for _name, value in _TEXT_ATTRIBUTES.findall(html):
        if not _NOT_LANGUAGE.match(_ENTITY.sub(" ", value)):
            found.append(value.strip())
    for chunk in _TAG.split(html):
        chunk = _ENTITY.sub(" ", chunk).strip()
        if chunk and not _NOT_LANGUAGE.match(chunk):
            found.append(chunk)
    return found


@pytest.mark.parametrize(
    "template", TEMPLATES, ids=lambda path: str(path.relative_to(PACKAGE / "templates"))
)
def test_templates_have_no_untranslated_literal_text(template):
    assert literal_text(template.read_text()) == []


def test_the_literal_text_check_finds_what_it_should():
    assert literal_text('<p>Hello</p>{% translate "Fine" %}') == ["Hello"]
    assert literal_text('<img alt="A river" src="{{ url }}">') == ["A river"]
    assert literal_text("{% blocktranslate %}Fine {{ x }}{% endblocktranslate %} · 12%") == []
    assert literal_text("<script>var a = 'Not text';</script>{# note #}") == []


def _catalogue(language: str):
    with (LOCALE / language / "LC_MESSAGES" / "django.po").open("rb") as handle:
        return read_po(handle, abort_invalid=False)


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\(\w+\)[sdif]|\{\w+\}|%[sdif]", text or ""))


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_shipped_language_translates_every_message(language):
    catalogue = _catalogue(language)
    plural_forms = dict(catalogue.mime_headers).get("Plural-Forms", "")
    assert "INTEGER" not in plural_forms and "nplurals=" in plural_forms, plural_forms
    untranslated, fuzzy, mismatched = [], [], []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if not all(strings):
            untranslated.append(ids[0])
        if message.fuzzy:
            fuzzy.append(ids[0])
        if all(strings) and any(_placeholders(s) != _placeholders(ids[-1]) for s in strings):
            mismatched.append(ids[0])
    assert untranslated == [], f"{len(untranslated)} untranslated in {language}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy in {language}"
    assert mismatched == [], f"placeholders differ in {language}"


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_compiled_catalogue_matches_its_source(language):
    catalogue = _catalogue(language)
    with (LOCALE / language / "LC_MESSAGES" / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in catalogue:
        if message.id and not isinstance(message.id, tuple) and message.string:
            key = f"{message.context}\x04{message.id}" if message.context else message.id
            assert compiled._catalog.get(key) == message.string, message.id


@pytest.mark.slow
def test_catalogues_contain_every_message_the_package_uses(tmp_path):
    if not shutil.which("xgettext"):
        pytest.fail("GNU gettext (xgettext) is needed to extract messages: apt-get install gettext")
    copy = tmp_path / "wagtail_sixdegrees"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "en",
            "--no-obsolete",
            "--ignore",
            "static/*",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": ""},
    )
    with (copy / "locale" / "en" / "LC_MESSAGES" / "django.po").open("rb") as handle:
        used = {m.id if not isinstance(m.id, tuple) else m.id[0] for m in read_po(handle) if m.id}
    shipped = {m.id if not isinstance(m.id, tuple) else m.id[0] for m in _catalogue("th") if m.id}
    missing = sorted(used - shipped)
    assert missing == [], f"run `make messages`: {len(missing)} new message(s), e.g. {missing[:5]}"
