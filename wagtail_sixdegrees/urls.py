"""Public URLs: ``path("giving/", include("wagtail_sixdegrees.urls"))``.

Names (donate, thanks, stripe_webhook, gift, embed_donate) are a public contract;
``cancel_monthly`` is the signed link in monthly receipts; ``update_card`` the signed link in a
failed-payment email; ``my_giving_*`` the pages behind *My giving*; ``withdraw_consent`` and
``withdraw_consent_code`` are a survivor's withdrawal card (its QR link and its typed code). Transparency adds ``need`` (a need's
public page), ``stop_updates`` (the link in update emails) and the read-only API
(``api_needs``, ``api_need``, ``api_causes``, ``api_regions``, ``api_totals`` and the Wagtail
API v2 endpoint ``stories:listing`` / ``stories:detail``). ``health`` answers load balancers
(docs/integrators/deployment.md).
"""

from django.urls import URLPattern, URLResolver, include, path, re_path
from wagtail.utils.urlpatterns import decorate_urlpatterns

from .giving import views
from .giving.views import my_giving as my_giving_views
from .stories import card_views
from .transparency import api, my_data_views, need_choice_views
from .transparency import views as transparency_views

app_name = "wagtail_sixdegrees"

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("needs/", api.needs, name="api_needs"),
    path("needs/<int:pk>/", api.need, name="api_need"),
    path("causes/", api.causes, name="api_causes"),
    path("regions/", api.regions, name="api_regions"),
    path("totals/", api.totals, name="api_totals"),
    path("", include(decorate_urlpatterns(api.router.get_urlpatterns(), api.cors))),
]

# My giving, below the public ``my_giving`` sign-in page (names may change between releases).
my_giving_urlpatterns = [
    path("my/link/<str:token>/", my_giving_views.my_giving_link, name="my_giving_link"),
    path("my/sign-out/", my_giving_views.my_giving_sign_out, name="my_giving_sign_out"),
    path("my/data/", my_data_views.download_data, name="my_giving_data"),
    path("my/erase/", my_data_views.erase_data, name="my_giving_erase"),
    path(
        "my/gifts/<uuid:reference>/receipt/",
        my_giving_views.resend_receipt,
        name="my_giving_receipt",
    ),
    path(
        "my/monthly/<uuid:reference>/amount/",
        my_giving_views.change_amount,
        name="my_giving_amount",
    ),
    path(
        "my/monthly/<uuid:reference>/supports/",
        my_giving_views.change_supports,
        name="my_giving_supports",
    ),
    path("my/monthly/<uuid:reference>/pause/", my_giving_views.pause_gift, name="my_giving_pause"),
    path(
        "my/monthly/<uuid:reference>/resume/", my_giving_views.resume_gift, name="my_giving_resume"
    ),
    path(
        "my/monthly/<uuid:reference>/cancel/", my_giving_views.cancel_gift, name="my_giving_cancel"
    ),
    path(
        "my/monthly/<uuid:reference>/card/",
        my_giving_views.update_card_signed_in,
        name="my_giving_card",
    ),
    path("my/statement/", my_giving_views.my_statement, name="my_statement"),
    path("my/statement.pdf", my_giving_views.my_statement_pdf, name="my_statement_pdf"),
    path("my/choose/<str:token>/", need_choice_views.need_choice, name="need_choice"),
]

urlpatterns = [
    path("donate/", views.donate, name="donate"),
    path("thanks/", views.thanks, name="thanks"),
    path("my/", my_giving_views.my_giving, name="my_giving"),
    *my_giving_urlpatterns,
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("monthly/<str:token>/cancel/", views.cancel_monthly, name="cancel_monthly"),
    path("monthly/<str:token>/card/", my_giving_views.update_card, name="update_card"),
    path("gift/<str:token>/", transparency_views.gift, name="gift"),
    path("embed/donate/", transparency_views.embed_donate, name="embed_donate"),
    path("needs/<int:pk>/", transparency_views.need, name="need"),
    path("updates/<str:token>/stop/", transparency_views.stop_updates, name="stop_updates"),
    path("api/v1/", include(api_urlpatterns)),
    # The survivor's withdrawal card: the QR code's link, and the short address typed by hand.
    path("withdraw/<str:token>/", card_views.withdraw_by_link, name="withdraw_consent"),
    # Typed on a phone keypad: the trailing slash is optional.
    re_path(r"^w/(?P<code>[^/]+)/?$", card_views.withdraw_by_code, name="withdraw_consent_code"),
    # For load balancers and monitors: database, cache, queue and Stripe keys (no secrets).
    path("health/", views.health, name="health"),
]
