"""Who is signed in to *My giving*: one donor email address, kept in the session for a short while.

Signing in happens only through the emailed single-use link (``giving/views/my_giving.py``);
everything a donor sees under ``giving/my/`` asks :func:`current_donor_email` and shows that
address's data and nothing else.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from ..conf import get_setting

SESSION_KEY = "wagtail_sixdegrees_donor"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def sign_in(request: HttpRequest, email: str) -> None:
    """Start a donor session for ``email`` (after the emailed link was confirmed)."""
    request.session.cycle_key()  # a fresh session id: no fixation across sign-ins
    expires = time.time() + int(get_setting("DONOR_SESSION_MINUTES")) * 60
    request.session[SESSION_KEY] = {"email": normalise_email(email), "expires": expires}


def sign_out(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def current_donor_email(request: HttpRequest) -> str | None:
    """The signed-in donor's email address, or ``None`` (never signed in, or expired)."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict) or float(data.get("expires", 0)) < time.time():
        return None
    return str(data.get("email") or "") or None


def donor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send a donor who is not signed in to the *My giving* sign-in page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        email = current_donor_email(request)
        if email is None:
            response = HttpResponseRedirect(reverse("wagtail_sixdegrees:my_giving"))
            response.status_code = 303
            return response
        request.donor_email = email  # type: ignore[attr-defined]
        return view(request, email, *args, **kwargs)

    return wrapper
