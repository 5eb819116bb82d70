"""Every model of wagtail-sixdegrees, importable from one place.

The models live with their domain (``needs/``, and later ``stories/``, ``giving/``,
``allocation/``); this module is the public import path that sites and scripts rely on.
"""

from .needs.models import Cause, Need, Partner, Priority, Region
from .stories.models import (
    StoryConsent,
    StoryIndexPage,
    StoryNeed,
    StorySafetyReviewTask,
    SurvivorStoryPage,
)

__all__ = [
    "Cause",
    "Need",
    "Partner",
    "Priority",
    "Region",
    "StoryConsent",
    "StoryIndexPage",
    "StoryNeed",
    "StorySafetyReviewTask",
    "SurvivorStoryPage",
]
