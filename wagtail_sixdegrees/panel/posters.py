"""QR posters and cards: a printable link to a need, a story, a donate page or a campaign.

The QR code holds a plain HTTPS address on the site itself (no redirector, no tracker): the
page's own URL, the deep-link parameters that prepare the gift (``amount``, ``currency``,
``frequency``, ``target``, see docs/integrators/donate-form-contract.md) and, when the site
sets ``POSTER_UTM``, its ``utm_*`` parameters. The same address is printed under the code
without the scheme and the ``utm_*`` parameters, for people who type it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlencode, urlsplit

import segno
from django import forms
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from wagtail.models import Locale, Page, Site

from .. import conf, money
from ..needs.models import Need
from . import permissions

#: The keys POSTER_UTM may set, in the order they are added to the link.
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign")
UTM_MAX_LENGTH = 100
#: The deep-link parameters a poster may carry, in the order they are added to the link.
DEEP_LINK_KEYS = ("amount", "currency", "frequency", "target")
_TARGET = re.compile(r"^(general|(need|cause|region):\d{1,10}|cause:\d{1,10}:region:\d{1,10})$")

FORMATS = {"a4": _("A4 poster"), "card": _("Card (A6)")}


def utm_problems(value: Any) -> list[str]:
    """Why ``POSTER_UTM`` is unusable (empty when it is fine)."""
    if not isinstance(value, dict):
        return ["must be a dict"]
    found = [f"{key!r} is not one of {', '.join(UTM_KEYS)}" for key in value if key not in UTM_KEYS]
    for key, text in value.items():
        if not isinstance(text, str) or not text.strip() or len(text) > UTM_MAX_LENGTH:
            found.append(
                f"{key!r} must be a non-empty string of at most {UTM_MAX_LENGTH} characters"
            )
    return found


def utm_parameters() -> list[tuple[str, str]]:
    value = conf.get_setting("POSTER_UTM") or {}
    return [(key, str(value[key]).strip()) for key in UTM_KEYS if value.get(key)]


class CampaignForm(forms.Form):
    """The deep-link parameters of a campaign link; each is optional."""

    amount = forms.CharField(label=_("Amount"), required=False, max_length=20)
    currency = forms.ChoiceField(label=_("Currency"), required=False)
    frequency = forms.ChoiceField(
        label=_("Frequency"),
        required=False,
        choices=[("", "—"), ("once", _("Once")), ("monthly", _("Monthly"))],
    )
    target = forms.CharField(
        label=_("Supports"),
        required=False,
        max_length=40,
        help_text=_('"need:12", "cause:3", "region:5", "cause:3:region:5" or "general".'),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["currency"]).choices = [("", "—")] + [
            (c, c) for c in conf.currencies()
        ]

    def clean_target(self) -> str:
        target = self.cleaned_data["target"].strip()
        if target and not _TARGET.match(target):
            raise forms.ValidationError(_("Write a target as shown below the field."))
        return target

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        amount = (cleaned.get("amount") or "").strip()
        if amount:
            currency = cleaned.get("currency") or conf.default_currency()
            try:
                minor = money.parse_charge_amount(amount, currency)
            except money.AmountError as error:
                self.add_error("amount", str(error))
            else:
                cleaned["amount"] = money.to_decimal_string(minor, currency)
        return cleaned

    def deep_link(self) -> list[tuple[str, str]]:
        return [
            (key, self.cleaned_data[key]) for key in DEEP_LINK_KEYS if self.cleaned_data.get(key)
        ]


class PosterForm(CampaignForm):
    """What a poster shows: a page or a need, in a language, as a poster or a card."""

    page = forms.ModelChoiceField(
        label=_("Page"), required=False, queryset=Page.objects.none(), widget=forms.HiddenInput
    )
    need = forms.ModelChoiceField(
        label=_("Need"), required=False, queryset=Need.objects.none(), widget=forms.HiddenInput
    )
    locale = forms.ModelChoiceField(
        label=_("Language"), required=False, queryset=Locale.objects.none(), empty_label=None
    )
    line = forms.CharField(
        label=_("Short line"),
        required=False,
        max_length=140,
        help_text=_("Printed under the title, e.g. where the poster hangs or what the gift buys."),
    )
    format = forms.ChoiceField(
        label=_("Format"), required=False, choices=list(FORMATS.items()), initial="a4"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["page"]).queryset = Page.objects.live().exclude(
            depth=1
        )
        cast(forms.ModelChoiceField, self.fields["need"]).queryset = Need.objects.filter(live=True)
        cast(
            forms.ModelChoiceField, self.fields["locale"]
        ).queryset = Locale.objects.all().order_by("language_code")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if bool(cleaned.get("page")) == bool(cleaned.get("need")):
            raise forms.ValidationError(_("Choose a page or a need for the poster."))
        return cleaned


@dataclass
class Poster:
    title: str
    line: str
    link: str  # what the QR code holds
    short: str  # what is printed under it
    language: str
    format: str
    svg: str = field(repr=False, default="")

    @property
    def secure(self) -> bool:
        return self.link.startswith("https://")


def qr_svg(link: str) -> str:
    """The QR code as inline SVG. Error correction M (15%): posters hang in dry places, and a
    long campaign link stays at a version a phone reads from a metre away."""
    code = segno.make(link, error="m", micro=False, boost_error=False)
    return code.svg_inline(scale=1, border=4, omitsize=True, title=str(_("QR code")))


def _site_root(obj: Page | None, request: Any) -> str:
    site = (obj.get_site() if obj is not None else None) or Site.objects.filter(
        is_default_site=True
    ).first()
    if site is not None:
        return site.root_url.rstrip("/")
    return request.build_absolute_uri("/").rstrip("/")


def _in_locale(obj: Any, locale: Locale | None) -> Any:
    if locale is None or not hasattr(obj, "get_translation_or_none"):
        return obj
    return obj.get_translation_or_none(locale) or obj


def build_poster(form: PosterForm, request: Any) -> Poster:
    """The poster a valid :class:`PosterForm` describes."""
    data = form.cleaned_data
    locale: Locale | None = data.get("locale")
    language = locale.language_code if locale else translation.get_language()
    with translation.override(language):
        if data.get("page"):
            page = _in_locale(data["page"].specific, locale)
            address = page.get_full_url(request) or _site_root(page, request) + page.url
            title = page.title
        else:
            need = _in_locale(data["need"], locale)
            address = _site_root(None, request) + reverse("wagtail_sixdegrees:need", args=[need.pk])
            title = need.title
        line = data.get("line") or str(_("Scan the code to give, or type the address."))
    base = address.split("?", 1)[0].split("#", 1)[0]
    deep = form.deep_link()
    link = base + ("?" + urlencode(deep + utm_parameters()) if deep or utm_parameters() else "")
    short = urlsplit(base)._replace(scheme="").geturl().lstrip("/")
    if deep:
        short += "?" + urlencode(deep)
    return Poster(
        title=title,
        line=line,
        link=link,
        short=short,
        language=language,
        format=data.get("format") or "a4",
        svg=qr_svg(link),
    )


def is_giving_manager(user: Any) -> bool:
    """Giving managers (who may allocate) make posters of anything, campaign links included."""
    return permissions.user_can(user, permissions.ALLOCATE)


def may_make_poster(user: Any, *, page: Page | None = None, need: Need | None = None) -> bool:
    """Managers; editors for the pages they may edit and the needs they may change."""
    if user is None or not user.is_active:
        return False
    if is_giving_manager(user):
        return True
    if page is not None:
        return page.permissions_for_user(user).can_edit()
    if need is not None:
        return user.has_perm(f"{need._meta.app_label}.change_need")
    return False


def offers_poster(page: Page) -> bool:
    """Pages a poster button is offered on: donate pages and survivor stories."""
    from ..pages import DonatePage
    from ..stories.models import AbstractSurvivorStoryPage

    return isinstance(page.specific_deferred, DonatePage | AbstractSurvivorStoryPage)
