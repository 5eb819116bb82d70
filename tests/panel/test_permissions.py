"""Who may open which screen and do which action: one table, every role against every URL.

Roles: nobody signed in, a Wagtail editor (admin access, no giving permissions), a giving
viewer and a giving manager (the groups the data migration creates), and a superuser. A refused
request changes nothing: no ledger line, run, disbursement or Stripe request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_need, make_paid_donation, panel_user
from tests.fixtures.people import ROLES
from wagtail_sixdegrees.allocation import ledger
from wagtail_sixdegrees.allocation.engine import Account
from wagtail_sixdegrees.giving import offline
from wagtail_sixdegrees.models import AllocationRun, Disbursement, LedgerEntry
from wagtail_sixdegrees.panel import permissions
from wagtail_sixdegrees.panel.viewsets import GivingViewSetGroup

pytestmark = pytest.mark.django_db

VIEWERS = {"viewer", "manager", "superuser"}
MANAGERS = {"manager", "superuser"}


@pytest.fixture
def world(pay):
    """A paid gift in the general pool (refundable at the fake Stripe), a need holding some of
    it, a disbursement from that need, and a preview run waiting for commit."""
    need = make_need(target_amount=100_000, currency="USD")
    donation = pay(amount="50", target="general")
    ledger.reallocate(Account.general("USD"), need, 1_000, actor=None, reason="set up")
    disbursement = ledger.record_disbursement(
        need, 500, paid_on=timezone.localdate(), actor=None, reference="T-1"
    )
    make_paid_donation(3_000, preferences=[{"kind": "need", "need": need, "share_bps": 10_000}])
    run = ledger.preview_run()
    gift = offline.record_gift(
        offline.read_gift(
            {
                "received_on": timezone.localdate().isoformat(),
                "channel": "cash",
                "amount": "12",
                "currency": "USD",
                "reference": "RECEIPT-1",
                "donor_email": "cash-donor@example.org",
            }
        ),
        actor=None,
    )
    batch = offline.preview_import("gifts.csv", OFFLINE_FILE, actor=None)
    return {
        "need": need,
        "donation": donation,
        "disbursement": disbursement,
        "run": run,
        "offline_gift": gift,
        "batch": batch,
    }


@dataclass(frozen=True)
class Url:
    name: str
    args: tuple = ()
    query: Any = ""  # a string, or a function of the world

    def __call__(self, world: dict[str, Any]) -> str:
        query = self.query(world) if callable(self.query) else self.query
        return reverse(self.name, args=[arg(world) for arg in self.args]) + query


def _url(name: str, *args: Any, query: Any = "") -> Url:
    return Url(name, args, query)


DONATION = lambda w: w["donation"].pk  # noqa: E731
RUN = lambda w: w["run"].pk  # noqa: E731
DISBURSEMENT = lambda w: w["disbursement"].pk  # noqa: E731
OFFLINE_GIFT = lambda w: w["offline_gift"].pk  # noqa: E731
BATCH = lambda w: w["batch"].pk  # noqa: E731
OFFLINE_FILE = b"received_on,channel,amount,currency,reference\r\n2020-01-02,cheque,5,USD,CHQ-1\r\n"

#: (action, method, url, form data, roles allowed). Every other role is refused.
MATRIX = [
    ("dashboard", "get", _url("sixdegrees_dashboard:index"), None, VIEWERS),
    (
        "dashboard, a page of restricted pools",
        "get",
        _url("sixdegrees_dashboard:index", query="?pools=2"),
        None,
        VIEWERS,
    ),
    ("donations", "get", _url("sixdegrees_donations:index"), None, VIEWERS),
    ("donations search", "get", _url("sixdegrees_donations:index", query="?q=ch_x"), None, VIEWERS),
    (
        "donations csv",
        "get",
        _url("sixdegrees_donations:index", query="?export=csv"),
        None,
        VIEWERS,
    ),
    (
        "donations xlsx",
        "get",
        _url("sixdegrees_donations:index", query="?export=xlsx"),
        None,
        VIEWERS,
    ),
    ("donation", "get", _url("sixdegrees_donations:inspect", DONATION), None, VIEWERS),
    ("refund form", "get", _url("sixdegrees_donations:refund", DONATION), None, MANAGERS),
    (
        "refund",
        "post",
        _url("sixdegrees_donations:refund", DONATION),
        lambda w: {
            "amount": "5",
            "stripe_reason": "requested_by_customer",
            "reason": "The donor asked.",
            "request_key": str(uuid.uuid4()),
        },
        MANAGERS,
    ),
    (
        "resolve a payment that did not match",
        "post",
        _url("sixdegrees_donations:resolve_mismatch", DONATION),
        lambda w: {"note": "Refunded in Stripe."},
        MANAGERS,
    ),
    ("needs progress", "get", _url("sixdegrees_needs_progress:index"), None, VIEWERS),
    (
        "needs progress csv",
        "get",
        _url("sixdegrees_needs_progress:index", query="?export=csv"),
        None,
        VIEWERS,
    ),
    ("runs", "get", _url("sixdegrees_runs:index"), None, VIEWERS),
    ("runs csv", "get", _url("sixdegrees_runs:index", query="?export=csv"), None, VIEWERS),
    ("run", "get", _url("sixdegrees_runs:inspect", RUN), None, VIEWERS),
    ("preview form", "get", _url("sixdegrees_runs:add"), None, MANAGERS),
    ("preview", "post", _url("sixdegrees_runs:add"), lambda w: {}, MANAGERS),
    ("commit", "post", _url("sixdegrees_runs:commit", RUN), lambda w: {}, MANAGERS),
    ("reallocate form", "get", _url("sixdegrees_reallocate:index"), None, MANAGERS),
    (
        "reallocate",
        "post",
        _url("sixdegrees_reallocate:index"),
        lambda w: {
            "source": "general:USD",
            "target": w["need"].pk,
            "amount": "1",
            "reason": "Urgent.",
        },
        MANAGERS,
    ),
    ("disbursements", "get", _url("sixdegrees_disbursements:index"), None, VIEWERS),
    (
        "disbursements csv",
        "get",
        _url("sixdegrees_disbursements:index", query="?export=csv"),
        None,
        VIEWERS,
    ),
    (
        "disbursement",
        "get",
        _url("sixdegrees_disbursements:inspect", DISBURSEMENT),
        None,
        VIEWERS,
    ),
    ("record form", "get", _url("sixdegrees_disbursements:add"), None, MANAGERS),
    (
        "record",
        "post",
        _url("sixdegrees_disbursements:add"),
        lambda w: {
            "need": w["need"].pk,
            "amount": "1",
            "paid_on": timezone.localdate().isoformat(),
            "reference": "T-2",
        },
        MANAGERS,
    ),
    (
        "reverse form",
        "get",
        _url("sixdegrees_disbursements:reverse", DISBURSEMENT),
        None,
        MANAGERS,
    ),
    (
        "reverse",
        "post",
        _url("sixdegrees_disbursements:reverse", DISBURSEMENT),
        lambda w: {"reason": "The transfer bounced."},
        MANAGERS,
    ),
    ("ledger", "get", _url("sixdegrees_ledger:index"), None, VIEWERS),
    ("ledger csv", "get", _url("sixdegrees_ledger:index", query="?export=csv"), None, VIEWERS),
    ("audit", "get", _url("sixdegrees_audit:index"), None, VIEWERS),
    ("qr posters", "get", _url("sixdegrees_posters:index"), None, MANAGERS),
    (
        "qr poster of a need",
        "get",
        _url("sixdegrees_posters:print", query=lambda w: f"?need={w['need'].pk}&amount=5"),
        None,
        MANAGERS,
    ),
    ("offline gifts", "get", _url("sixdegrees_offline:index"), None, MANAGERS),
    ("record offline gift form", "get", _url("sixdegrees_offline:add"), None, MANAGERS),
    (
        "record offline gift",
        "post",
        _url("sixdegrees_offline:add"),
        lambda w: {
            "channel": "bank_transfer",
            "received_on": timezone.localdate().isoformat(),
            "amount": "25.50",
            "currency": "USD",
            "reference": "TRF-42",
            "target_1": "general",
        },
        MANAGERS,
    ),
    ("import form", "get", _url("sixdegrees_offline:upload"), None, MANAGERS),
    (
        "import",
        "post",
        _url("sixdegrees_offline:upload"),
        lambda w: {"file": SimpleUploadedFile("gifts.csv", OFFLINE_FILE, "text/csv")},
        MANAGERS,
    ),
    ("import preview", "get", _url("sixdegrees_offline:preview", BATCH), None, MANAGERS),
    ("import commit", "post", _url("sixdegrees_offline:preview", BATCH), lambda w: {}, MANAGERS),
    ("import template", "get", _url("sixdegrees_offline:template"), None, MANAGERS),
    ("void form", "get", _url("sixdegrees_donations:void", OFFLINE_GIFT), None, MANAGERS),
    (
        "void",
        "post",
        _url("sixdegrees_donations:void", OFFLINE_GIFT),
        lambda w: {"reason": "Typed twice."},
        MANAGERS,
    ),
    ("need choices", "get", _url("sixdegrees_need_choices:index"), None, VIEWERS),
    (
        "need choices of a need",
        "get",
        _url("sixdegrees_need_choices:index", query=lambda w: f"?need={w['need'].pk}&state=asked"),
        None,
        VIEWERS,
    ),
    (
        "need choices csv",
        "get",
        _url("sixdegrees_need_choices:index", query="?export=csv"),
        None,
        VIEWERS,
    ),
]

CASES = [
    pytest.param(action, method, url, data, role, role in allowed, id=f"{action}-{role}")
    for action, method, url, data, allowed in MATRIX
    for role in ROLES
]


def _money_rows() -> tuple[int, int, int]:
    return (
        LedgerEntry.objects.count(),
        Disbursement.objects.count(),
        AllocationRun.objects.filter(status=AllocationRun.Status.COMMITTED).count()
        + AllocationRun.objects.count(),
    )


@pytest.mark.parametrize(("action", "method", "url", "data", "role", "allowed"), CASES)
def test_permission_matrix(
    client, login_as, world, stripe_api, action, method, url, data, role, allowed
):
    address = url(world)
    login_as(role)
    before, stripe_calls = _money_rows(), len(stripe_api.requests)

    response = client.get(address) if method == "get" else client.post(address, data(world))

    if allowed:
        if method == "get":
            assert response.status_code == 200, response.content[:300]
        else:
            assert response.status_code == 302, response.content.decode()[:3000]
            assert response["Location"] not in (reverse("wagtailadmin_home"),)
            assert not response["Location"].startswith(reverse("wagtailadmin_login"))
        return
    assert response.status_code == 302
    if role == "anonymous":
        assert response["Location"].startswith(reverse("wagtailadmin_login"))
    else:
        assert response["Location"] == reverse("wagtailadmin_home")
    assert _money_rows() == before, "a refused request changed money rows"
    assert len(stripe_api.requests) == stripe_calls, "a refused request called Stripe"


def test_the_matrix_covers_every_panel_url():
    """A new screen or action must join the table above."""
    from django.urls import get_resolver

    resolver = get_resolver()
    names = {
        f"{viewset.url_namespace}:{pattern.name}"
        for viewset in GivingViewSetGroup().registerables
        if viewset.url_namespace.startswith("sixdegrees_")
        for pattern in resolver.namespace_dict[viewset.url_namespace][1].url_patterns
        if pattern.name != "index_results"
    }
    tested = {url.name for _action, _method, url, _data, _roles in MATRIX}
    assert names == tested


def test_matrix_size():
    assert len(CASES) == len(MATRIX) * len(ROLES)


# --- The groups ---------------------------------------------------------------------------------


def _codenames(group: Group) -> set[str]:
    return set(group.permissions.values_list("content_type__app_label", "codename"))


def test_migration_creates_the_two_groups_with_exactly_their_permissions():
    # Wagtail's own later migrations give every group "choose" on images and documents.
    for name, actions in permissions.GROUP_ACTIONS.items():
        expected = {(permissions.APP, permissions.PERMISSIONS[action][1]) for action in actions}
        held = _codenames(Group.objects.get(name=name))
        assert {perm for perm in held if perm[0] == permissions.APP} == expected
        assert ("wagtailadmin", "access_admin") in held


def test_viewers_see_no_personal_data_and_move_no_money():
    viewers = _codenames(Group.objects.get(name=permissions.VIEWERS_GROUP))
    for action in ("view_personal_data", "refund", "allocate", "disburse", "record_offline"):
        assert (permissions.APP, permissions.PERMISSIONS[action][1]) not in viewers


def test_editors_and_moderators_get_nothing_from_the_panel():
    panel = {(permissions.APP, codename) for _model, codename in permissions.PERMISSIONS.values()}
    for name in ("Editors", "Moderators"):
        assert not _codenames(Group.objects.get(name=name)) & panel


def test_running_the_group_migration_again_adds_nothing_and_removes_nothing():
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        next(module for module in _migration_modules() if module.endswith("_giving_groups"))
    )
    managers = Group.objects.get(name=permissions.MANAGERS_GROUP)
    extra = Permission.objects.get(codename="view_need")
    managers.permissions.add(extra)  # a site gave its managers more: that stays
    before = _codenames(managers)
    migration.create_giving_groups(apps, None)
    assert _codenames(managers) == before
    assert Group.objects.filter(name__in=permissions.GROUP_ACTIONS).count() == 2


def _migration_modules() -> list[str]:
    import pkgutil

    import wagtail_sixdegrees.migrations as package

    return [f"{package.__name__}.{info.name}" for info in pkgutil.iter_modules(package.__path__)]


def test_panel_permissions_are_offered_in_wagtails_group_editor(admin_client):
    response = admin_client.get(reverse("wagtailusers_groups:add"))
    content = response.content.decode()
    for label in (
        "Can refund donations through Stripe",
        "Can export giving data as CSV and XLSX",
        "Can see donors&#x27; names, email addresses and dedications",
        "Can preview and commit allocation runs and reallocate",
        "Can record and reverse disbursements",
        "Can record, import and void offline gifts",
    ):
        assert label in content


# --- The menu ---------------------------------------------------------------------------------


MENU = {
    "Dashboard": VIEWERS,
    "Donations": VIEWERS,
    "Offline gifts": MANAGERS,
    "Needs progress": VIEWERS,
    "Allocation runs": VIEWERS,
    "Reallocate": MANAGERS,
    "Disbursements": VIEWERS,
    "Ledger": VIEWERS,
    "Audit": VIEWERS,
}


@pytest.mark.parametrize("role", ["editor", "viewer", "manager", "superuser"])
def test_menu_shows_only_what_each_role_may_open(client, login_as, role):
    from wagtail.admin.menu import admin_menu

    user = login_as(role)
    request = client.get(reverse("wagtailadmin_home")).wsgi_request
    request.user = user
    giving = next(
        (
            item
            for item in admin_menu.menu_items_for_request(request)
            if item.name == "sixdegrees-giving"
        ),
        None,
    )
    shown = (
        {str(item.label) for item in giving.menu.menu_items_for_request(request)}
        if giving
        else set()
    )
    expected = {label for label, roles in MENU.items() if role in roles}
    assert shown & set(MENU) == expected


def test_a_viewer_without_the_export_permission_cannot_download(client, world):
    user = panel_user("staff")
    user.user_permissions.add(permissions.permission_objects([permissions.VIEW]).get())
    client.force_login(user)
    listing = client.get(reverse("sixdegrees_donations:index"))
    assert listing.status_code == 200
    assert "export=csv" not in listing.content.decode()
    response = client.get(reverse("sixdegrees_donations:index") + "?export=csv")
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")


def test_the_policy_lists_who_may_do_an_action():
    from wagtail_sixdegrees.models import Donation

    people = {role: panel_user(role) for role in ("editor", "viewer", "manager", "superuser")}
    policy = permissions.policies()[Donation]
    viewers = set(policy.users_with_any_permission(["view"]))
    refunders = set(policy.users_with_any_permission(["refund"]))
    assert viewers == {people["viewer"], people["manager"], people["superuser"]}
    assert refunders == {people["manager"], people["superuser"]}
    assert not policy.users_with_any_permission(["change", "delete"]).exists()
