"""The embeddable donate widget: who may frame it, and how its form works from another site.

Framing. Only the origins in ``EMBED_ALLOWED_ORIGINS`` may show the widget in an iframe; the
browser enforces it through the CSP ``frame-ancestors`` directive. With none configured the
answer is ``frame-ancestors 'none'`` and Django's ``X-Frame-Options`` stays on; with some, the
widget is exempt from ``X-Frame-Options`` (which cannot name origins and would contradict it).

The form. Browsers do not send our cookies to a third-party iframe, so Django's CSRF cookie
never arrives and a normal CSRF check would refuse every embedded gift. The widget therefore
carries the signed form token of ``giving.form_tokens`` (why that is safe is explained there).
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpResponse

from .. import conf

#: ``scheme://host[:port]``; the host may start with ``*.`` (any subdomain), as CSP allows.
ORIGIN_PATTERN = re.compile(r"^https?://(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$")


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
