"""Public URLs: ``path("giving/", include("wagtail_sixdegrees.urls"))``.

Names (donate, thanks, stripe_webhook, gift, embed_donate) are a public contract; the giving
views arrive with the Giving feature.
"""

app_name = "wagtail_sixdegrees"

urlpatterns: list = []
