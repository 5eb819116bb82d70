"""The PDF of a giving statement, drawn with fpdf2 (pure Python; the optional ``pdf`` extra).

fpdf2's core fonts (Helvetica) cover Latin-1 only. With ``STATEMENT_PDF_FONT`` (a TrueType
file) every script the font has can be drawn; without it, a statement whose text does not fit
Latin-1 (Thai, Khmer, Burmese, Lao, Vietnamese) is not offered as a PDF: the HTML statement,
printed to PDF by the browser, serves those donors. :func:`can_render` decides, per statement.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable

from django.utils import formats
from django.utils.translation import gettext as _

from .. import conf
from .statements import Statement, plain_amount

CORE_FONT = "Helvetica"
FONT_NAME = "StatementFont"


def installed() -> bool:
    """Whether fpdf2 is installed (the ``pdf`` extra)."""
    return importlib.util.find_spec("fpdf") is not None


def _font_path() -> str | None:
    value = conf.get_setting("STATEMENT_PDF_FONT")
    return str(value) if value else None


def _lines(statement: Statement, organisation: dict[str, str]) -> list[tuple[str, str]]:
    """Every piece of text on the PDF, with its style ("h1", "h2", "b" or "")."""
    date = formats.date_format
    rows: list[tuple[str, str]] = [(organisation["name"], "h1")]
    rows += [(line, "") for line in organisation["address"].splitlines() if line.strip()]
    if organisation["registration"]:
        rows.append(
            (_("Registration number: %(number)s") % {"number": organisation["registration"]}, "")
        )
    rows.append((_("Giving statement"), "h2"))
    rows.append(
        (
            _("From %(start)s to %(end)s")
            % {
                "start": date(statement.start, "DATE_FORMAT"),
                "end": date(statement.end, "DATE_FORMAT"),
            },
            "",
        )
    )
    rows.append((statement.donor_name or statement.email, "b"))
    if statement.donor_name:
        rows.append((statement.email, ""))
    rows.append((_("Gifts"), "h2"))
    if not statement.lines:
        rows.append((_("No paid gifts in this period."), ""))
    for line in statement.lines:
        text = f"{date(line.paid_on, 'DATE_FORMAT')}    {plain_amount(line.amount, line.currency)}"
        if line.returned:
            text += "    " + _("refunded %(amount)s") % {
                "amount": plain_amount(line.returned, line.currency)
            }
            text += "    " + _("net %(amount)s") % {"amount": plain_amount(line.net, line.currency)}
        rows.append((text, ""))
    rows.append((_("Total per currency"), "h2"))
    for total in statement.totals:
        rows.append(
            (
                _("%(currency)s: %(count)d gifts, net of refunds %(amount)s")
                % {
                    "currency": total.currency,
                    "count": total.gifts,
                    "amount": plain_amount(total.net, total.currency),
                },
                "b",
            )
        )
    if organisation["footer"]:
        rows += [(line, "") for line in organisation["footer"].splitlines() if line.strip()]
    return rows


def _fits_core_font(texts: Iterable[str]) -> bool:
    try:
        for text in texts:
            text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def can_render(statement: Statement, organisation: dict[str, str]) -> bool:
    """Whether this statement can be a PDF here: fpdf2 installed, and a font for its text."""
    if not installed():
        return False
    if _font_path():
        return True
    return _fits_core_font(text for text, _style in _lines(statement, organisation))


def render(statement: Statement, organisation: dict[str, str]) -> bytes:
    """The statement as PDF bytes (call :func:`can_render` first)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(_("Giving statement"))
    pdf.set_creator(organisation["name"] or "wagtail-sixdegrees")
    font = _font_path()
    family = CORE_FONT
    if font:
        pdf.add_font(FONT_NAME, "", font)
        family = FONT_NAME
    pdf.add_page()
    sizes = {"h1": 16, "h2": 13, "b": 11, "": 10}
    for text, style in _lines(statement, organisation):
        # A TrueType font is added in one style only; core fonts have bold.
        pdf.set_font(family, "B" if style and family == CORE_FONT else "", sizes[style])
        if style == "h2":
            pdf.ln(3)
        pdf.multi_cell(0, sizes[style] * 0.55, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
