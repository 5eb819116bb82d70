from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WagtailSixDegreesConfig(AppConfig):
    name = "wagtail_sixdegrees"
    label = "wagtail_sixdegrees"
    verbose_name = _("Six Degrees giving")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401  (registers the system checks)
            display,
        )
        from .allocation import balances
        from .allocation import receivers as allocation_receivers
        from .i18n import register_language_info
        from .needs import progress
        from .needs.models import Cause, Need, Partner, Region
        from .stories.consent import StoryConsent
        from .stories.receivers import connect_receivers as connect_story_receivers
        from .transparency import receivers as transparency_receivers
        from .transparency.models import NeedUpdate

        register_language_info()
        # Needs show figures the allocation layer keeps; it registers as their reader here, so
        # imports point one way (see needs/progress.py).
        progress.register_reader(balances)
        allocation_receivers.connect()
        connect_story_receivers()
        transparency_receivers.connect()
        # Story pages are cached under a version these writes renew (see display.py).
        display.connect(Cause, Need, Partner, Region, StoryConsent, NeedUpdate)
