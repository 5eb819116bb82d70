"""Registrations with Wagtail, and nothing else."""

from wagtail.snippets.models import register_snippet

from .panel.viewsets import GivingViewSetGroup

register_snippet(GivingViewSetGroup)
