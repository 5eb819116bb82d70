"""Every model of wagtail-sixdegrees, importable from one place.

The models live with their domain (``needs/``, ``giving/``, ``stories/``, ``allocation/``,
``transparency/``); this module is the public import path that sites and scripts rely on
(docs/concepts.md#public-contracts).
"""

from .allocation.models import (
    AccountBalance,
    AllocationRun,
    Disbursement,
    LedgerEntry,
    UnallocatedMoney,
)
from .display import DisplayVersion
from .giving.models import (
    Donation,
    Donor,
    DonorSignInLink,
    GiftChange,
    GivingSettings,
    NeedChoice,
    OfflineBatch,
    OfflineGift,
    Preference,
    RecurringGift,
    RecurringPreference,
    StripeEvent,
)
from .needs.models import Cause, Need, Partner, Priority, Region
from .pages import DonatePage
from .stories.cards import WithdrawalCard
from .stories.models import (
    StoryConsent,
    StoryIndexPage,
    StoryNeed,
    StorySafetyReviewTask,
    SurvivorStoryPage,
)
from .transparency.models import DonorErasure, NeedUpdate, NeedUpdateNotice, TransparencyPage

__all__ = [
    "AccountBalance",
    "AllocationRun",
    "Cause",
    "Disbursement",
    "DisplayVersion",
    "DonatePage",
    "Donation",
    "Donor",
    "DonorErasure",
    "DonorSignInLink",
    "GiftChange",
    "GivingSettings",
    "LedgerEntry",
    "Need",
    "NeedChoice",
    "NeedUpdate",
    "NeedUpdateNotice",
    "OfflineBatch",
    "OfflineGift",
    "Partner",
    "Preference",
    "Priority",
    "RecurringGift",
    "RecurringPreference",
    "Region",
    "StoryConsent",
    "StoryIndexPage",
    "StoryNeed",
    "StorySafetyReviewTask",
    "StripeEvent",
    "SurvivorStoryPage",
    "TransparencyPage",
    "UnallocatedMoney",
    "WithdrawalCard",
]
