"""Giving models, split by what they describe. Import them from ``wagtail_sixdegrees.models``."""

from .changes import DonorSignInLink, GiftChange
from .donations import (
    OFFLINE_CHANNELS,
    Channel,
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
from .offline import OfflineBatch, OfflineGift
from .site_settings import GivingSettings

__all__ = [
    "OFFLINE_CHANNELS",
    "Channel",
    "DedicationKind",
    "Donation",
    "Donor",
    "DonorSignInLink",
    "Frequency",
    "GiftChange",
    "GivingSettings",
    "OfflineBatch",
    "OfflineGift",
    "Preference",
    "PreferenceKind",
    "RecurringGift",
    "RecurringPreference",
    "StripeEvent",
]
