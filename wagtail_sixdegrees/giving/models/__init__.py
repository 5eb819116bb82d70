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
from .need_choices import NeedChoice
from .offline import OfflineBatch, OfflineGift
from .rollups import DonationDay
from .site_settings import GivingSettings

__all__ = [
    "OFFLINE_CHANNELS",
    "Channel",
    "DedicationKind",
    "Donation",
    "DonationDay",
    "Donor",
    "DonorSignInLink",
    "Frequency",
    "GiftChange",
    "GivingSettings",
    "NeedChoice",
    "OfflineBatch",
    "OfflineGift",
    "Preference",
    "PreferenceKind",
    "RecurringGift",
    "RecurringPreference",
    "StripeEvent",
]
