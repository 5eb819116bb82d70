"""Giving > QR posters: build a poster of a page, a need or a campaign link, then print it
(A4 or card, HTML with print styles) or download its QR code as SVG."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets import AdminPageChooser
from wagtail.models import Locale

from .. import posters
from ..posters import PosterForm

URL_NAMESPACE = "sixdegrees_posters"


def _form(request: HttpRequest, *, builder: bool = False) -> PosterForm:
    data = request.GET if request.GET else None
    initial = {"locale": Locale.get_active(), "format": "a4"}
    form = PosterForm(data, initial=initial)
    if builder:
        # Chosen here; the print view gets them as hidden ids.
        form.fields["page"].widget = AdminPageChooser()
        need_field = cast(forms.ModelChoiceField, form.fields["need"])
        # A ModelChoiceIterator is a choices iterable; the stubs do not say so.
        need_field.widget = forms.Select(choices=need_field.choices)  # type: ignore[arg-type]
    return form


def _chosen(form: PosterForm, name: str, request: HttpRequest) -> Any:
    """What the request names for the form's ``name`` field, among what the field offers."""
    queryset = cast(forms.ModelChoiceField, form.fields[name]).queryset
    return None if queryset is None else queryset.filter(pk=_pk(request, name)).first()


def _check(request: HttpRequest, form: PosterForm) -> None:
    """403 unless the user may make this poster (decided on what was asked, valid or not)."""
    page = need = None
    if form.is_bound and form.is_valid():
        page, need = form.cleaned_data.get("page"), form.cleaned_data.get("need")
    elif form.is_bound:
        page, need = _chosen(form, "page", request), _chosen(form, "need", request)
    if not posters.may_make_poster(request.user, page=page, need=need):
        raise PermissionDenied


def _pk(request: HttpRequest, name: str) -> int:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 12 else 0


class PosterBuilderView(WagtailAdminTemplateMixin, TemplateView):
    """The form and, once it is valid, the poster with its print and download links."""

    template_name = "wagtail_sixdegrees/panel/poster_builder.html"
    page_title = _("QR posters")
    header_icon = "image"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.form = _form(request, builder=True)
        _check(request, self.form)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["form"] = self.form
        if self.form.is_bound and self.form.is_valid():
            poster = posters.build_poster(self.form, self.request)
            query = {k: v for k, v in self.request.GET.items() if v}
            context.update(
                poster=poster,
                print_urls=[
                    (
                        label,
                        reverse(f"{URL_NAMESPACE}:print")
                        + "?"
                        + urlencode({**query, "format": key}),
                    )
                    for key, label in posters.FORMATS.items()
                ],
                svg_url=reverse(f"{URL_NAMESPACE}:print")
                + "?"
                + urlencode({**query, "download": "svg"}),
            )
        return context


def print_poster(request: HttpRequest) -> HttpResponse:
    """The printable poster (or card), or its QR code as an SVG download."""
    form = _form(request)
    _check(request, form)
    if not form.is_valid():
        return HttpResponse(str(_("This poster's address is not valid.")), status=400)
    poster = posters.build_poster(form, request)
    if request.GET.get("download") == "svg":
        response = HttpResponse(
            '<?xml version="1.0" encoding="utf-8"?>\n' + poster.svg,
            content_type="image/svg+xml; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="qr-code.svg"'
        return response
    return TemplateResponse(
        request, "wagtail_sixdegrees/panel/poster_print.html", {"poster": poster}
    )
