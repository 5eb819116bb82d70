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
from .pages import DonatePage
from .site_settings import GivingSettings

__all__ = [
    "DedicationKind",
    "DonatePage",
    "Donation",
    "Donor",
    "DonorSignInLink",
    "Frequency",
    "GiftChange",
    "GivingSettings",
    "Preference",
    "PreferenceKind",
    "RecurringGift",
    "RecurringPreference",
    "StripeEvent",
]
