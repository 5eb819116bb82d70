"""Who may do what in the Giving panel.

Seven model permissions decide everything; each screen and action asks this module, never
``has_perm`` directly, so the rules live in one place:

* ``view_donation`` (Donation): open the Giving panel: dashboard, donations, needs progress,
  runs, ledger, disbursements, audit;
* ``view_donor_personal_data`` (Donor): see donors' names, email addresses and dedications;
* ``export_giving`` (Donation): download listings as CSV and XLSX;
* ``refund_donation`` (Donation): refund a donation through Stripe;
* ``allocate`` (AllocationRun): preview and commit allocation runs, reallocate;
* ``disburse`` (Disbursement): record and reverse disbursements;
* ``record_offline_gift`` (Donation): record, import and void offline gifts (bank transfers,
  cash, cheques, mobile money).

Data migrations create the groups "Giving managers" (all seven) and "Giving viewers" (view and
export: no personal data, no money movement).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet
from wagtail.permission_policies import BasePermissionPolicy

APP = "wagtail_sixdegrees"

VIEW = "view"
VIEW_PERSONAL_DATA = "view_personal_data"
EXPORT = "export"
REFUND = "refund"
ALLOCATE = "allocate"
DISBURSE = "disburse"
RECORD_OFFLINE = "record_offline"

#: Action name -> (model name, permission codename).
PERMISSIONS: dict[str, tuple[str, str]] = {
    VIEW: ("donation", "view_donation"),
    VIEW_PERSONAL_DATA: ("donor", "view_donor_personal_data"),
    EXPORT: ("donation", "export_giving"),
    REFUND: ("donation", "refund_donation"),
    ALLOCATE: ("allocationrun", "allocate"),
    DISBURSE: ("disbursement", "disburse"),
    RECORD_OFFLINE: ("donation", "record_offline_gift"),
}

MANAGERS_GROUP = "Giving managers"
VIEWERS_GROUP = "Giving viewers"
#: What each group created by the data migration holds (besides access to the Wagtail admin).
GROUP_ACTIONS: dict[str, tuple[str, ...]] = {
    MANAGERS_GROUP: (
        VIEW,
        VIEW_PERSONAL_DATA,
        EXPORT,
        REFUND,
        ALLOCATE,
        DISBURSE,
        RECORD_OFFLINE,
    ),
    VIEWERS_GROUP: (VIEW, EXPORT),
}


def perm_name(action: str) -> str:
    """``app_label.codename`` for ``user.has_perm``."""
    return f"{APP}.{PERMISSIONS[action][1]}"


def user_can(user: Any, action: str) -> bool:
    """Whether ``user`` may perform a panel action (``VIEW``, ``REFUND``...)."""
    return bool(user is not None and user.is_active and user.has_perm(perm_name(action)))


def permission_objects(actions: Iterable[str] | None = None) -> QuerySet[Permission]:
    """The ``Permission`` rows behind some (default: all) panel actions."""
    wanted = Q(pk__in=[])
    for action in actions if actions is not None else PERMISSIONS:
        model, codename = PERMISSIONS[action]
        wanted |= Q(content_type__app_label=APP, content_type__model=model, codename=codename)
    return Permission.objects.filter(wanted)


class GivingPermissionPolicy(BasePermissionPolicy):
    """A Wagtail permission policy for one model of the panel.

    Wagtail's generic views ask for actions such as ``view`` or ``add``; this policy answers
    from the panel's permissions. ``aliases`` maps Wagtail's action names to panel actions for
    this model (``add`` on AllocationRun is ``allocate``). Nothing in the panel is ever changed
    or deleted, so ``change`` and ``delete`` are never granted.
    """

    def __init__(self, model: Any, aliases: dict[str, str] | None = None) -> None:
        super().__init__(model)
        self.aliases = aliases or {}

    def _action(self, action: str) -> str | None:
        action = self.aliases.get(action, action)
        return action if action in PERMISSIONS else None

    def user_has_permission(self, user: Any, action: str) -> bool:
        panel_action = self._action(action)
        return panel_action is not None and user_can(user, panel_action)

    def user_has_any_permission(self, user: Any, actions: Iterable[str]) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions: Iterable[str]) -> QuerySet:
        panel_actions = [a for a in (self._action(action) for action in actions) if a is not None]
        users = get_user_model().objects.filter(is_active=True)
        if not panel_actions:
            return users.none()  # not even superusers: nobody edits or deletes money rows
        permissions = permission_objects(panel_actions)
        return users.filter(
            Q(is_superuser=True)
            | Q(user_permissions__in=permissions)
            | Q(groups__permissions__in=permissions)
        ).distinct()


#: The policy of panel screens that are not about one model (dashboard, reallocation, audit).
panel_policy = GivingPermissionPolicy(f"{APP}.Donation")


@functools.cache
def policies() -> dict[Any, GivingPermissionPolicy]:
    """The policy of every model the panel owns (one instance each), for
    ``register_permission_policy``."""
    from ..giving.models import NeedChoice
    from ..models import AllocationRun, Disbursement, Donation, LedgerEntry, OfflineBatch

    return {
        Donation: GivingPermissionPolicy(Donation),
        # Imports show donors' rows as typed: only people who may record offline gifts see them.
        OfflineBatch: GivingPermissionPolicy(
            OfflineBatch, {"view": RECORD_OFFLINE, "add": RECORD_OFFLINE}
        ),
        LedgerEntry: GivingPermissionPolicy(LedgerEntry),
        AllocationRun: GivingPermissionPolicy(AllocationRun, {"add": ALLOCATE}),
        Disbursement: GivingPermissionPolicy(Disbursement, {"add": DISBURSE}),
        # Donors' choices when a need closed: the listing shows donors only with personal data.
        NeedChoice: GivingPermissionPolicy(NeedChoice),
    }


def policy_for(model: Any) -> GivingPermissionPolicy:
    """The one policy instance for a panel model. Wagtail 8 also holds it in its policy registry
    (``wagtail_hooks.py``); Wagtail 7.4 has no registry, so the viewsets ask here."""
    return policies()[model]


def ensure_giving_groups() -> dict[str, Group]:
    """Create (or complete) the two groups the data migration creates. For databases that were
    flushed after migrating (transactional tests); idempotent."""
    access_admin = Permission.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    groups = {}
    for name, actions in GROUP_ACTIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(access_admin, *permission_objects(actions))
        groups[name] = group
    return groups
