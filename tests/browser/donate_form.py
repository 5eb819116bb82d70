"""Filling the donate form in a browser the way a donor reads it: by its English labels."""

from __future__ import annotations


def give_split(page, amount: str, email: str, shares: list[tuple[str, str]]) -> None:
    """Type the amount and email, choose each (need label, percent) in turn, and submit."""
    page.get_by_label("Amount", exact=True).fill(amount)
    page.get_by_label("Email").fill(email)
    for number, (label, percent) in enumerate(shares):
        page.get_by_label(f"Choice {number + 1}").select_option(label=label)
        page.get_by_label("Share (%)").nth(number).fill(percent)
    page.get_by_role("button", name="Continue to secure payment").click()
