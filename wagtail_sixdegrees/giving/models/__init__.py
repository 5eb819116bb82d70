"""Giving models, split by what they describe. Import them from ``wagtail_sixdegrees.models``."""

from .changes import DonorSignInLink, GiftChange
from .donations import (
    DedicationKind,
    Donation,
    Frequency,
    Preference,
    PreferenceKind,
    RecurringGift,
    RecurringPreference,
)
from .donors import Donor
from .events import StripeEvent
from .need_choices import NeedChoice
from .site_settings import GivingSettings

__all__ = [
    "DedicationKind",
    "Donation",
    "Donor",
    "DonorSignInLink",
    "Frequency",
    "GiftChange",
    "GivingSettings",
    "NeedChoice",
    "Preference",
    "PreferenceKind",
    "RecurringGift",
    "RecurringPreference",
    "StripeEvent",
]
