"""Public URLs: ``path("giving/", include("wagtail_sixdegrees.urls"))``.

Names (donate, thanks, stripe_webhook, gift, embed_donate) are a public contract;
``cancel_monthly`` is the signed link in monthly receipts; ``withdraw_consent`` and
``withdraw_consent_code`` are a survivor's withdrawal card (its QR link and its typed code). Transparency adds ``need`` (a need's
public page), ``stop_updates`` (the link in update emails) and the read-only API
(``api_needs``, ``api_need``, ``api_causes``, ``api_regions``, ``api_totals`` and the Wagtail
API v2 endpoint ``stories:listing`` / ``stories:detail``).
"""

from django.urls import include, path, re_path
from wagtail.utils.urlpatterns import decorate_urlpatterns

from .giving import views
from .giving.views import my_giving as my_giving_views
from .stories import card_views
from .transparency import api
from .transparency import views as transparency_views

app_name = "wagtail_sixdegrees"

api_urlpatterns = [
    path("needs/", api.needs, name="api_needs"),
    path("needs/<int:pk>/", api.need, name="api_need"),
    path("causes/", api.causes, name="api_causes"),
    path("regions/", api.regions, name="api_regions"),
    path("totals/", api.totals, name="api_totals"),
    path("", include(decorate_urlpatterns(api.router.get_urlpatterns(), api.cors))),
]

urlpatterns = [
    path("donate/", views.donate, name="donate"),
    path("thanks/", views.thanks, name="thanks"),
    path("my/", my_giving_views.my_giving, name="my_giving"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("monthly/<str:token>/cancel/", views.cancel_monthly, name="cancel_monthly"),
    path("gift/<str:token>/", transparency_views.gift, name="gift"),
    path("embed/donate/", transparency_views.embed_donate, name="embed_donate"),
    path("needs/<int:pk>/", transparency_views.need, name="need"),
    path("updates/<str:token>/stop/", transparency_views.stop_updates, name="stop_updates"),
    path("api/v1/", include(api_urlpatterns)),
    # The survivor's withdrawal card: the QR code's link, and the short address typed by hand.
    path("withdraw/<str:token>/", card_views.withdraw_by_link, name="withdraw_consent"),
    # Typed on a phone keypad: the trailing slash is optional.
    re_path(r"^w/(?P<code>[^/]+)/?$", card_views.withdraw_by_code, name="withdraw_consent_code"),
]
