"""bench/webhooks.py's URLs: the package's, and a view that does nothing to compare with."""

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def noop(request):
    request.body  # read it, as the webhook does  # noqa: B018
    return HttpResponse(status=200)


urlpatterns = [
    path("noop/", noop),
    path("giving/", include("wagtail_sixdegrees.urls")),
]
