"""What a gift can be for: parsing the form contract's ``target`` values and listing choices.

Spellings (docs/integrators/donate-form-contract.md): ``need:<pk>``, ``cause:<pk>``, ``region:<pk>``,
``cause:<pk>:region:<pk>`` and ``general`` ("where most needed").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from wagtail.models import Locale

from ..needs.models import Cause, Need, Region
from .models.donations import PreferenceKind, target_label, target_value

_TARGET = re.compile(
    r"^(?:(?P<general>general)|need:(?P<need>\d{1,18})|region:(?P<region>\d{1,18})"
    r"|cause:(?P<cause>\d{1,18})(?::region:(?P<cause_region>\d{1,18}))?)$"
)


class TargetError(ValueError):
    """A target the donor cannot choose, with a message they can read."""


@dataclass(frozen=True)
class Target:
    """A resolved, valid choice: the model rows a Preference will point at."""

    kind: str
    need: Need | None = None
    cause: Cause | None = None
    region: Region | None = None

    @property
    def value(self) -> str:
        return target_value(
            self.kind,
            getattr(self.need, "pk", None),
            getattr(self.cause, "pk", None),
            getattr(self.region, "pk", None),
        )

    @property
    def label(self) -> str:
        return target_label(self.kind, self.need, self.cause, self.region)

    def preference_fields(self) -> dict:
        return {"kind": self.kind, "need": self.need, "cause": self.cause, "region": self.region}


GENERAL = Target(PreferenceKind.GENERAL)


def resolve(text: str) -> Target:
    """Turn one posted ``target`` value into a :class:`Target`, or raise :class:`TargetError`."""
    match = _TARGET.match(str(text).strip())
    if not match:
        raise TargetError(_("That is not a choice this form offers."))
    if match["general"]:
        return GENERAL
    if match["need"]:
        need = Need.objects.select_related("cause", "region").filter(pk=match["need"]).first()
        if need is None or not need.is_open():
            raise TargetError(_("That need is no longer open for gifts. Please choose another."))
        return Target(PreferenceKind.NEED, need=need)
    if match["region"]:
        region = Region.objects.filter(pk=match["region"]).first()
        if region is None:
            raise TargetError(_("That region is not one we support."))
        return Target(PreferenceKind.REGION, region=region)
    cause = Cause.objects.filter(pk=match["cause"]).first()
    if cause is None:
        raise TargetError(_("That cause is not one we support."))
    if match["cause_region"]:
        region = Region.objects.filter(pk=match["cause_region"]).first()
        if region is None:
            raise TargetError(_("That region is not one we support."))
        return Target(PreferenceKind.CAUSE_REGION, cause=cause, region=region)
    return Target(PreferenceKind.CAUSE, cause=cause)


@dataclass(frozen=True)
class ChoiceGroup:
    """Options shown together (a fieldset of radios, an optgroup of a select)."""

    label: str
    options: list[Target]


def _in_locale(queryset, locale: Locale | None):
    """Objects in the visitor's language, falling back to the default language."""
    if locale is not None:
        localised = queryset.filter(locale=locale)
        if localised.exists():
            return localised
    return queryset.filter(locale=Locale.get_default())


def open_needs(needs: Sequence[Need] | None, locale: Locale | None) -> list[Need]:
    """The needs to offer: the editor's picks that are still open, or every open need."""
    if needs:
        return [need for need in needs if need is not None and need.is_open()]
    return list(
        _in_locale(Need.objects.open(), locale).select_related("cause", "region").in_fill_order()
    )


def choice_groups(
    *,
    needs: Iterable[Need],
    causes: bool,
    regions: bool,
    cause_regions: bool,
    general: bool,
    locale: Locale | None,
) -> list[ChoiceGroup]:
    """Every option a donor may pick, grouped for display; "where most needed" first."""
    needs = list(needs)
    groups: list[ChoiceGroup] = []
    if general:
        groups.append(ChoiceGroup(str(_("Where most needed")), [GENERAL]))
    if needs:
        groups.append(
            ChoiceGroup(
                str(_("A specific need")),
                [Target(PreferenceKind.NEED, need=need) for need in needs],
            )
        )
    if causes:
        options = [
            Target(PreferenceKind.CAUSE, cause=cause) for cause in _in_locale(Cause.objects, locale)
        ]
        if options:
            groups.append(ChoiceGroup(str(_("A cause")), options))
    if regions:
        options = [
            Target(PreferenceKind.REGION, region=region)
            for region in _in_locale(Region.objects, locale)
        ]
        if options:
            groups.append(ChoiceGroup(str(_("A region")), options))
    if cause_regions:
        # Only the combinations some open need actually serves.
        pairs = {(need.cause, need.region) for need in needs} if needs else set()
        options = [
            Target(PreferenceKind.CAUSE_REGION, cause=cause, region=region)
            for cause, region in sorted(pairs, key=lambda pair: (pair[0].name, pair[1].name))
        ]
        if options:
            groups.append(ChoiceGroup(str(_("A cause in a region")), options))
    return groups
