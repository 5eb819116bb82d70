"""Load the fictional demo content. Safe to run again: it only adds what is missing."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from demo.content.allocation import ensure_allocation
from demo.content.giving import MY_GIVING_DONOR, ensure_giving
from demo.content.i18n import ensure_totals_page_translations, ensure_translations
from demo.content.methods import demo_poster_path, ensure_promptpay_gift
from demo.content.month import ensure_month_gifts, ensure_month_work
from demo.content.need_choice import ensure_need_choice
from demo.content.needs import ensure_needs
from demo.content.offline import ensure_offline_gifts
from demo.content.payment_problem import PAYMENT_PROBLEM_DONOR, ensure_payment_problem
from demo.content.site import ensure_admin_login, ensure_home_page
from demo.content.stories import (
    ensure_stories,
    ensure_story_with_findings,
    ensure_withdrawal_card,
)
from demo.content.transparency import demo_impact_url, ensure_transparency


class Command(BaseCommand):
    help = "Create fictional, clearly labelled demo content and print an admin login."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            home = ensure_home_page()
            needs = ensure_needs()
            needs.update(ensure_giving(home))
            stories = ensure_stories(home)
            findings_draft = ensure_story_with_findings(home)
        # Thai and Vietnamese, once the English stories and giving pages exist.
        with transaction.atomic():
            translations = ensure_translations(home)
        with transaction.atomic():
            card_address = ensure_withdrawal_card()
        # After the stories and translations: with no admin yet, the demo's own safety reviews
        # notify nobody on a first run. The month's work below is done by this manager.
        username, password = ensure_admin_login()
        # After the commits above: paid donations have been allocated by then (on commit).
        with transaction.atomic():
            needs.update(ensure_allocation())
        with transaction.atomic():
            needs.update(ensure_month_gifts(home))
        # The month's gifts are allocated on commit; refunds are reversed on the next commit.
        with transaction.atomic():
            needs.update(ensure_month_work())
        # Offline gifts, imported as a manager would (allocated on commit, to the general pool).
        with transaction.atomic():
            needs.update(ensure_offline_gifts())
        with transaction.atomic():
            needs.update(ensure_transparency(home))
            translations["translations created"] += ensure_totals_page_translations(home)
        # A THB gift paid with PromptPay, confirmed later by the donor's bank (simulated).
        with transaction.atomic():
            needs.update(ensure_promptpay_gift(home))
        # A monthly gift whose renewal the card refused: "Payment problem" and its repair.
        with transaction.atomic():
            needs.update(ensure_payment_problem(home))
        # A need that closed with the My giving donor's money in it: a choice waits for them.
        needs.update(ensure_need_choice(home.get_site()))
        self.stdout.write(self.style.SUCCESS("Demo content is ready (all of it fictional)."))
        self.stdout.write(f"  Home page: {home.title}")
        for name, count in {**needs, **stories, **translations}.items():
            self.stdout.write(f"  {name}: {count}")
        impact_url = demo_impact_url()
        if impact_url:
            self.stdout.write("")
            self.stdout.write(
                "A fictional donor's private impact page (what their receipt links to):"
            )
            self.stdout.write(f"  {impact_url}")
        self.stdout.write("")
        self.stdout.write(
            "My giving: sign in at http://127.0.0.1:8000/giving/my/ as the fictional monthly "
            f"donor {MY_GIVING_DONOR}; the sign-in link is printed here (console email). "
            "Amount, pause, resume and card changes go to devstripe and come back by webhook. "
            "Their page also offers statements (HTML and PDF) and a choice waiting: a need that "
            "closed with their money in it."
        )
        self.stdout.write(
            f"A failed renewal: {PAYMENT_PROBLEM_DONOR}'s monthly gift shows \"Payment "
            'problem" in Giving -> Donations and in their My giving, with a link to update the '
            "card on devstripe's page; the next renewal then succeeds."
        )
        self.stdout.write("")
        self.stdout.write("A QR poster (A4 or card) of a need, as a 500 THB campaign link:")
        self.stdout.write(f"  http://127.0.0.1:8000{demo_poster_path()}")
        if card_address:
            self.stdout.write("")
            self.stdout.write(
                "A fictional survivor's withdrawal card (Thai); opening it is safe, its button "
                "takes that story down:"
            )
            self.stdout.write(f"  http://127.0.0.1:8000{card_address}")
        if findings_draft:
            self.stdout.write("")
            self.stdout.write(
                "A fictional draft story the re-identification check stops (an age, and a "
                "never-publish term recorded with its consent):"
            )
            self.stdout.write(f"  http://127.0.0.1:8000/admin/pages/{findings_draft}/edit/")
        self.stdout.write("")
        self.stdout.write("Sign in to the Wagtail admin at http://127.0.0.1:8000/admin/ with")
        self.stdout.write(f"  username: {username}")
        self.stdout.write(f"  password: {password}")
