"""Filling the donate form in a browser the way a donor reads it: by its English labels."""

from __future__ import annotations


def give_split(page, amount: str, email: str, shares: list[tuple[str, str]]) -> None:
    """Type the amount and email, open the split, choose each (need label, percent) in turn,
    and submit."""
    page.get_by_label("Amount", exact=True).fill(amount)
    page.get_by_label("Email").fill(email)
    open_split(page)
    for number, (label, percent) in enumerate(shares):
        page.get_by_label(f"Choice {number + 1}").select_option(label=label)
        page.get_by_label("Share (%)").nth(number).fill(percent)
    page.get_by_role("button", name="Continue to secure payment").click()


def open_split(page) -> None:
    """Open the "Split my gift" disclosure (the form opens on one place, the page's need)."""
    page.locator("form.sd-donate__form details:has([name=share]) > summary").click()
