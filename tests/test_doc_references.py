"""Comments and docstrings point at what the repository holds: docs pages that exist, with the
anchors they name; never a design document that is not in the repository."""

import re
from pathlib import Path

import wagtail_sixdegrees

# The package as imported (the checkout, or the installed wheel under tox), and the docs beside
# the tests (tox copies them there).
PACKAGE = Path(wagtail_sixdegrees.__file__).resolve().parent
ROOT = PACKAGE.parent
DOCS = Path(__file__).resolve().parent.parent / "docs"
SOURCES = [
    path
    for pattern in ("*.py", "*.html", "*.js", "*.css")
    for path in PACKAGE.rglob(pattern)
    if "locale" not in path.parts and "migrations" not in path.parts
]
#: ``docs/concepts.md#rule-4``, ``docs/integrators/donate-form-contract.md``, and the
#: ``#rule-3, #rule-6`` that may follow a page in the same parentheses.
DOC_REFERENCE = re.compile(r"docs/([\w./-]+\.md)((?:#[\w-]+)?(?:,\s*#[\w-]+)*)")


def anchors(page: Path) -> set[str]:
    """Anchors a page defines: ``<a id="...">``, attribute lists ``{ #... }``, and headings'
    slugs as MkDocs makes them."""
    text = page.read_text()
    found = set(re.findall(r'id="([\w-]+)"', text))
    found |= set(re.findall(r"\{\s*#([\w-]+)\s*\}", text))
    for heading in re.findall(r"^#+\s+(.+?)\s*(?:\{[^}]*\})?$", text, flags=re.M):
        found.add(re.sub(r"[^\w\s-]", "", heading.lower()).strip().replace(" ", "-"))
    return found


def references() -> list[tuple[Path, str, list[str]]]:
    found = []
    for path in SOURCES:
        for match in DOC_REFERENCE.finditer(path.read_text()):
            found.append((path, match[1], re.findall(r"#([\w-]+)", match[2])))
    return found


def test_no_source_cites_a_design_document_outside_the_repository():
    assert len(SOURCES) > 50  # the package's files were found, wherever it is installed
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in SOURCES
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\bDESIGN\b", line)
    ]
    assert offenders == []


def test_every_docs_page_and_anchor_cited_in_the_package_exists():
    cited = references()
    assert any(anchor.startswith("rule-") for _path, _page, names in cited for anchor in names)
    missing = []
    for path, page, names in cited:
        target = DOCS / page
        if not target.is_file():
            missing.append(f"{path.relative_to(ROOT)}: docs/{page}")
            continue
        missing += [
            f"{path.relative_to(ROOT)}: docs/{page}#{name}"
            for name in names
            if name not in anchors(target)
        ]
    assert missing == []


def test_a_missing_anchor_is_noticed():
    concepts = anchors(DOCS / "concepts.md")
    assert {"rule-1", "rule-9", "allocation-rules", "public-contracts"} <= concepts
    assert "rule-10" not in concepts
