"""The "Story consent" admin screens, joined to the Giving menu.

Only people with the consent permissions (``view_storyconsent``, ``add_storyconsent``,
``change_storyconsent``, ``withdraw_storyconsent``) see these screens; editors see a status
panel in the story editor instead.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.utils import quote
from django.db.models import OuterRef, Subquery
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters
from wagtail.admin import messages
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import AdminPageChooser
from wagtail.models import Page

from .card_views import IssueCardView, revoke_cards_view
from .consent import StoryConsent
from .finding_views import StoryFindingsView
from .models import story_models, story_pages
from .views import WithdrawConsentView


class WriteOnlyTextarea(forms.Textarea):
    """A textarea that never renders a value, not even after an error: never-publish terms
    are typed once and never shown again."""

    def format_value(self, value: Any) -> None:
        return None


class StoryConsentForm(WagtailAdminModelForm):
    """Records consent for a story; the story is chosen once, when the record is created.

    Never-publish terms are write-only: they are hashed on save (``add_never_publish_terms``)
    and the form can add more or clear them all, but never shows them."""

    story = forms.ModelChoiceField(
        label=_("Story"),
        queryset=Page.objects.none(),
        help_text=_("The story in any of its languages: all translations share this consent."),
    )
    never_publish_terms = forms.CharField(
        label=_("Never-publish terms"),
        required=False,
        strip=False,
        widget=WriteOnlyTextarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"}),
        help_text=_(
            "One per line: the survivor's real name, family names, home village, employer, "
            "school, anything that would identify them. Stories, their translations and need "
            "updates are checked for these before publishing. They are stored only in a form "
            "that cannot be read back and are never shown again, not even here."
        ),
    )
    clear_never_publish_terms = forms.BooleanField(
        label=_("Forget all never-publish terms recorded so far"),
        required=False,
    )

    class Meta:
        model = StoryConsent
        fields = [
            "covers_web",
            "covers_social",
            "covers_print",
            "given_on",
            "expires_on",
            "form_reference",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["story"]
            recorded = self.recorded_terms_count()
            # How many, never which: enough for a caseworker to know the list is not empty.
            self.fields["clear_never_publish_terms"].help_text = ngettext(
                "%(count)s term is recorded.", "%(count)s terms are recorded.", recorded
            ) % {"count": recorded}
            return
        del self.fields["clear_never_publish_terms"]
        taken = StoryConsent.objects.values("translation_key")
        self.fields["story"].queryset = story_pages().exclude(translation_key__in=taken)
        self.fields["story"].widget = AdminPageChooser(target_models=story_models())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        story = cleaned.get("story")
        if story is not None:
            self.instance.translation_key = story.translation_key
        return cleaned

    def recorded_terms_count(self) -> int:
        return self.instance.never_publish_terms.count() if self.instance.pk else 0

    def save(self, commit: bool = True) -> StoryConsent:
        consent = super().save(commit=commit)
        self.terms_cleared = False
        self.terms_added = 0
        if commit:
            if self.cleaned_data.get("clear_never_publish_terms"):
                consent.clear_never_publish_terms()
                self.terms_cleared = True
            terms = (self.cleaned_data.get("never_publish_terms") or "").splitlines()
            if any(term.strip() for term in terms):
                self.terms_added = consent.add_never_publish_terms(terms)
        return consent


def log_terms_change(form: StoryConsentForm, user) -> None:
    """Wagtail's history of the consent says that terms changed and how many: never which."""
    from wagtail.log_actions import log

    from .reidentification_check import LOG_TERMS_CHANGED

    if getattr(form, "terms_cleared", False) or getattr(form, "terms_added", 0):
        log(
            form.instance,
            LOG_TERMS_CHANGED,
            user=user,
            data={"added": form.terms_added, "cleared": form.terms_cleared},
        )


#: Keeps the terms out of Django's error reports (and anything else that honours it).
_sensitive = method_decorator(sensitive_post_parameters("never_publish_terms"), name="dispatch")


@_sensitive
class ConsentCreateView(generic.CreateView):
    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        story_id = self.request.GET.get("story", "")
        if story_id.isdigit():
            initial["story"] = int(story_id)
        return initial

    def save_instance(self):
        self.form.instance.recorded_by = self.request.user
        instance = super().save_instance()
        log_terms_change(self.form, self.request.user)
        return instance

    def get_success_url(self) -> str:
        # Consent recorded: the natural next step is the survivor's withdrawal card, printed
        # while the survivor is still with the caseworker.
        if self.request.user.has_perm("wagtail_sixdegrees.change_storyconsent"):
            return reverse(StoryConsentViewSet.name + ":card", args=[quote(self.object.pk)])
        return super().get_success_url()


@_sensitive
class ConsentEditView(generic.EditView):
    def dispatch(self, request, *args, **kwargs):
        consent = self.get_object()
        if consent.withdrawn_on:
            # Withdrawal is final: a new consent needs a new record.
            messages.error(request, _("This consent was withdrawn and can no longer be changed."))
            return redirect(self.index_url_name)
        return super().dispatch(request, *args, **kwargs)

    def save_instance(self):
        instance = super().save_instance()
        log_terms_change(self.form, self.request.user)
        return instance


class StoryConsentViewSet(ModelViewSet):
    model = StoryConsent
    icon = "lock"
    menu_label = _("Story consent")
    menu_order = 150
    add_to_admin_menu = False
    name = "wagtail_sixdegrees_story_consent"
    url_prefix = "sixdegrees/story-consent"
    add_view_class = ConsentCreateView
    edit_view_class = ConsentEditView
    inspect_view_enabled = True
    inspect_view_fields = [
        *StoryConsentForm.Meta.fields,
        "recorded_by",
        "recorded_at",
        "withdrawn_on",
        "withdrawn_by",
    ]
    list_display = [
        Column("story_title", label=_("Story"), sort_key="annotated_story_title"),
        Column("status", label=_("Status"), accessor="get_status_display"),
        DateColumn("given_on", label=_("Given on"), sort_key="given_on"),
        DateColumn("expires_on", label=_("Expires on"), sort_key="expires_on"),
    ]
    ordering = ["expires_on", "pk"]
    search_fields = ["form_reference"]
    search_backend_name = None

    def get_form_class(self, for_update=False):
        return StoryConsentForm

    def get_queryset(self, request):
        titles = (
            story_pages()
            .filter(translation_key=OuterRef("translation_key"))
            .order_by("pk")
            .values("title")[:1]
        )
        return StoryConsent.objects.annotate(annotated_story_title=Subquery(titles))

    @property
    def withdraw_view(self):
        return WithdrawConsentView.as_view(index_url_name=self.get_url_name("index"))

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("withdraw/<str:pk>/", self.withdraw_view, name="withdraw"),
            path("card/<str:pk>/", IssueCardView.as_view(), name="card"),
            path("card/<str:pk>/revoke/", revoke_cards_view, name="revoke_cards"),
            path("findings/<int:page_pk>/", StoryFindingsView.as_view(), name="findings"),
        ]


def withdraw_url(consent: StoryConsent) -> str:
    return reverse(StoryConsentViewSet.name + ":withdraw", args=[quote(consent.pk)])
