"""Public URLs: ``path("giving/", include("wagtail_sixdegrees.urls"))``.

Names (donate, thanks, stripe_webhook, gift, embed_donate) are a public contract;
``cancel_monthly`` is the signed link in monthly receipts.
"""

from django.urls import path

from .giving import views

app_name = "wagtail_sixdegrees"

urlpatterns = [
    path("donate/", views.donate, name="donate"),
    path("thanks/", views.thanks, name="thanks"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("monthly/<str:token>/cancel/", views.cancel_monthly, name="cancel_monthly"),
]
