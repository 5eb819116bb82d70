"""The embeddable donate widget: who may frame it, and how its form works from another site.

Framing. Only the origins in ``EMBED_ALLOWED_ORIGINS`` may show the widget in an iframe; the
browser enforces it through the CSP ``frame-ancestors`` directive. With none configured the
answer is ``frame-ancestors 'none'`` and Django's ``X-Frame-Options`` stays on; with some, the
widget is exempt from ``X-Frame-Options`` (which cannot name origins and would contradict it).

The form. Browsers do not send our cookies to a third-party iframe, so Django's CSRF cookie
never arrives and a normal CSRF check would refuse every embedded gift. The widget therefore
carries a signed, short-lived token bound to its one-time ``submission`` nonce, and the donate
view accepts that token *instead of* the cookie. Every other form keeps normal CSRF. Forging a
request this way gains an attacker nothing they could not get by loading the widget: a pending
donation and a Checkout page that only the person in front of it can pay.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from .. import conf
from .tokens import embed_form_token_matches

#: ``scheme://host[:port]``; the host may start with ``*.`` (any subdomain), as CSP allows.
ORIGIN_PATTERN = re.compile(r"^https?://(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$")
TOKEN_FIELD = "embed_token"  # noqa: S105 (a form field name, not a secret)


def allowed_origins() -> list[str]:
    return [str(origin).rstrip("/").lower() for origin in conf.get_setting("EMBED_ALLOWED_ORIGINS")]


def invalid_origins(origins: list[Any]) -> list[str]:
    """Entries that are not an origin a CSP source list can name (for the system check)."""
    return [str(origin) for origin in origins if not ORIGIN_PATTERN.match(str(origin).lower())]


def frame_ancestors() -> str:
    origins = allowed_origins()
    if not origins:
        return "frame-ancestors 'none'"
    return "frame-ancestors 'self' " + " ".join(origins)


def apply_frame_policy(response: HttpResponse) -> HttpResponse:
    """Let exactly the configured origins frame ``response``."""
    response["Content-Security-Policy"] = frame_ancestors()
    if allowed_origins():
        response.xframe_options_exempt = True
    return response


def accepts_embed_token(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """CSRF protection as usual, except that a POST carrying a valid embed token for its own
    ``submission`` nonce passes without the CSRF cookie (see the module docstring)."""
    protected = csrf_protect(view)

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST" and embed_form_token_matches(
            request.POST.get(TOKEN_FIELD, ""), request.POST.get("submission", "")
        ):
            return view(request, *args, **kwargs)
        return protected(request, *args, **kwargs)

    return csrf_exempt(wrapped)
