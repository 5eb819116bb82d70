"""The example site's demo gives a giving manager a whole month of work, and running it again
adds nothing. Runs the real ``manage.py`` on a throwaway SQLite database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE_SITE = Path(__file__).resolve().parent.parent / "example_site"

FACTS = """
import json
from wagtail_sixdegrees.allocation import balances, ledger
from wagtail_sixdegrees.allocation.audit import run_audit
from wagtail_sixdegrees.models import AllocationRun, Disbursement, Donation, RecurringGift, WithdrawalCard
from wagtail_sixdegrees.models import Need, NeedChoice
from wagtail_sixdegrees.giving import statements
from django.contrib.auth.models import Group
from wagtail_sixdegrees.models import SurvivorStoryPage
from wagtail_sixdegrees.stories.reidentification_check import NeverPublishTerm, unresolved_findings
draft = SurvivorStoryPage.objects.get(slug="ploys-story-draft")


def poster_status():
    from django.contrib.auth import get_user_model
    from django.test import Client
    from demo.content.methods import demo_poster_path
    from demo.content.site import DEMO_USERNAME

    client = Client(HTTP_HOST="localhost")
    client.force_login(get_user_model().objects.get(username=DEMO_USERNAME))
    response = client.get(demo_poster_path())
    return [response.status_code, "data-sd-poster-link" in response.content.decode()]



paid = Donation.objects.filter(paid_at__isnull=False)
pools = balances.pools()
print(json.dumps({
    "paid currencies": sorted(set(paid.values_list("currency", flat=True))),
    "donations": Donation.objects.count(),
    "refunded": paid.filter(status="refunded").count(),
    "disputed": paid.filter(status="disputed").count(),
    "committed runs": AllocationRun.objects.filter(status="committed").count(),
    "disbursements": Disbursement.objects.count(),
    "general pools": sorted(r.currency for r in pools if r.kind == "general"),
    "restricted pools": len([r for r in pools if r.kind == "restricted"]),
    "preview currencies": sorted({
        p.account.currency for p in ledger.plan_allocation().postings if p.account.need_id
    }),
    "audit ok": run_audit().ok,
    "withdrawal cards": list(WithdrawalCard.objects.active().values_list("language", flat=True)),
    "never-publish terms": NeverPublishTerm.objects.count(),
    "draft findings": sorted(f.kind for f in unresolved_findings(draft)),
    "draft live": draft.live,
    "groups": sorted(Group.objects.filter(name__startswith="Giving").values_list("name", flat=True)),
    "promptpay thb paid": paid.filter(payment_method_type="promptpay", currency="THB").count(),
    "poster": poster_status(),
    "my giving donor": list(RecurringGift.objects.filter(
        donor__email="demo-donor-dara@example.org", status="active"
    ).exclude(stripe_subscription_id="").values_list("stripe_subscription_id", flat=True)),
    "need choices waiting": list(NeedChoice.objects.filter(decided_at__isnull=True).values_list(
        "donor__email", "amount", "currency"
    )),
    "closed need in thai": list(Need.objects.filter(
        locale__language_code="th", live=True, title__startswith="จักรยาน"
    ).values_list("translation_key", flat=True)) == list(Need.objects.filter(
        title="Bicycles for the school run (fictional, closed)"
    ).values_list("translation_key", flat=True)),
    "statement gifts": sum(t.gifts for t in statements.build(
        "demo-donor-dara@example.org", *[(p.start, p.end) for p in statements.periods()][0]
    ).totals),
    "payment problem": list(RecurringGift.objects.filter(status="past_due").values_list(
        "donor__email", flat=True
    )),
    "units by language": {code: sorted(Need.objects.filter(
        locale__language_code=code, unit_cost__isnull=False
    ).values_list("unit_name", flat=True)) for code in ("en", "th", "vi")},
    "offline gifts": sorted(
        Donation.objects.exclude(channel="online").values_list("channel", "currency", "status")
    ),
}))
"""


def manage(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=EXAMPLE_SITE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.slow
def test_the_demo_holds_a_month_of_giving_work_and_is_idempotent(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DEVSTRIPE_STATE": str(tmp_path / "devstripe.json"),
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage("migrate", "--noinput", "-v0", env=env)
    manage("sixdegrees_demo", env=env)
    first = json.loads(manage("shell", "-v0", "-c", FACTS, env=env).strip().splitlines()[-1])
    manage("sixdegrees_demo", env=env)
    second = json.loads(manage("shell", "-v0", "-c", FACTS, env=env).strip().splitlines()[-1])

    assert first == second
    assert first["paid currencies"] == ["THB", "USD", "VND"]
    # A draft story the re-identification check stops: a recorded term and an age.
    assert (first["never-publish terms"], first["draft live"]) == (1, False)
    assert first["draft findings"] == ["age", "term"]
    assert (first["refunded"], first["disputed"]) == (1, 1)
    assert first["committed runs"] == 1
    assert first["disbursements"] >= 1
    assert first["general pools"] == ["THB", "USD", "VND"]
    assert first["restricted pools"] >= 1
    # A need opened after the committed run: the manager's next preview has money to place.
    assert first["preview currencies"] == ["VND"]
    assert first["audit ok"] is True
    # A THB gift through (simulated) PromptPay, and a need's QR poster in the admin.
    assert first["promptpay thb paid"] == 1
    # A monthly gift whose renewal the card refused, for the panel and My giving to repair.
    assert first["payment problem"] == ["demo-donor-eka@example.org"]
    assert first["poster"] == [200, True]
    # Every demo page answers in each language the demo is translated into (as CI checks).
    assert "pages answer in en, th, vi" in manage("sixdegrees_demo_check", env=env)
    assert first["groups"] == ["Giving managers", "Giving viewers"]
    # A story with a survivor's withdrawal card, in Thai.
    assert first["withdrawal cards"] == ["th"]
    assert (tmp_path / "devstripe.json").exists()
    # My giving's demo donor has a running monthly gift that devstripe can change (its
    # subscription item has an id and a product, as Stripe's do).
    (subscription_id,) = first["my giving donor"]
    state = json.loads((tmp_path / "devstripe.json").read_text())
    (item,) = state["objects"][subscription_id]["items"]["data"]
    assert item["id"].startswith("si_") and item["price"]["product"].startswith("prod_")
    # ... a choice waiting for them (a need closed with their money in it), and a statement.
    # Its 30.00 USD gift, net of Stripe's fee (allocation rule 1), waits for their choice.
    ((email, waiting, currency),) = first["need choices waiting"]
    assert (email, currency) == ("demo-donor-dara@example.org", "USD")
    assert 0 < waiting < 3_000
    assert first["statement gifts"] >= 2
    # The closed need has a live Thai translation: Thai readers see its choice in Thai.
    assert first["closed need in thai"] is True
    # Thai and Vietnamese readers see what a gift buys in their own words.
    assert first["units by language"] == {
        "en": ["counselling session", "night of safe shelter"],
        "th": ["ครั้งการให้คำปรึกษา", "คืนในที่พักพิงปลอดภัย"],
        "vi": ["buổi tư vấn", "đêm ở nơi trú ẩn an toàn"],
    }
    # A small offline batch (bank transfer, cash, cheque), imported once and allocated.
    assert first["offline gifts"] == [
        ["bank_transfer", "THB", "paid"],
        ["cash", "USD", "paid"],
        ["cheque", "THB", "paid"],
    ]
