"""*My giving*: a donor's own gifts, by emailed link. (Being built under issue #15; this module
is the home of its views: the sign-in page at ``giving/my/`` is the public URL name
``my_giving``.)"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def my_giving(request: HttpRequest) -> HttpResponse:
    raise Http404
