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
from .rollups import DonationDay
from .site_settings import GivingSettings

__all__ = [
    "DedicationKind",
    "Donation",
    "DonationDay",
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
