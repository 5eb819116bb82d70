"""Reading a rendered HTML form the way a browser submits it, for tests that POST exactly the
fields a page rendered (hidden tokens included) and nothing else."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormFields(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.in_form = False
        self.done = False
        self.select: str | None = None
        self.select_options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "form" and not self.done:
            self.in_form = True
        if not self.in_form or "disabled" in attributes:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text").lower()
            if kind in ("radio", "checkbox") and "checked" not in attributes:
                return
            if kind not in ("submit", "button", "image", "reset"):
                self.fields.append(
                    (name, attributes.get("value", "on" if kind == "checkbox" else ""))
                )
        elif tag == "select" and name:
            self.select, self.select_options = name, []
        elif tag == "option" and self.select is not None:
            self.select_options.append((attributes.get("value", ""), "selected" in attributes))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.in_form:
            self.in_form, self.done = False, True
        elif tag == "select" and self.select is not None:
            chosen = [value for value, selected in self.select_options if selected]
            if chosen or self.select_options:
                self.fields.append((self.select, (chosen or [self.select_options[0][0]])[0]))
            self.select = None


def form_fields(html: str) -> list[tuple[str, str]]:
    """The (name, value) pairs the first ``<form>`` in ``html`` submits as rendered."""
    parser = _FormFields()
    parser.feed(html)
    return parser.fields


def filled(fields: list[tuple[str, str]], **values: str) -> dict[str, list[str]]:
    """``fields`` as POST data, with the named text fields set as a person would type them."""
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(values.get(name, value))
    return data
