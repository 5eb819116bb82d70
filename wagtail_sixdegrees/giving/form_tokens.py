"""A signed form token that stands in for the CSRF cookie where a donate form cannot have one.

Two kinds of form never get a CSRF token: the embedded widget (browsers do not send our cookies
to a third-party iframe) and a donate block a site renders without its request, which is how
``{{ page.body }}``, ``{{ block }}`` in a loop and ``render_as_block()`` render it. Such a form
carries a signed, time-limited token bound to its one-time ``submission`` nonce instead, and the
donate view accepts that token *in place of* the cookie. Forms rendered with a request keep
normal CSRF.

Why this is safe for this one endpoint: a CSRF token protects actions taken with the visitor's
authority (their session or cookies). The donate POST uses none: it creates a *pending* donation
from what the form says and redirects to Stripe Checkout, where only the person in front of the
screen can pay. An attacker who forges a POST gains nothing they could not get by loading the
page and submitting the form themselves; the rate limit still applies to every POST.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from .. import conf

#: The field the token is posted in (the name the embedded widget has always used).
TOKEN_FIELD = "embed_token"  # noqa: S105 (a form field name, not a secret)
# The salt predates blocks using the token: keeping it keeps widgets already on screen working.
SALT = "wagtail_sixdegrees.transparency.embed-form"


def form_token(submission: str) -> str:
    """A token for one rendered form, bound to its one-time ``submission`` nonce."""
    return signing.dumps(submission, salt=SALT)


def form_token_matches(token: str, submission: str) -> bool:
    """Whether ``token`` was signed by us for this form within ``EMBED_FORM_MAX_AGE`` seconds."""
    try:
        value = signing.loads(
            str(token), salt=SALT, max_age=int(conf.get_setting("EMBED_FORM_MAX_AGE"))
        )
    except (signing.BadSignature, ValueError, TypeError):
        return False
    return bool(submission) and isinstance(value, str) and value == submission


def _csrf_refuses(request: HttpRequest) -> bool:
    """Whether Django's CSRF check refuses ``request`` (it records a pass on the request)."""
    return (
        CsrfViewMiddleware(lambda request: HttpResponse()).process_view(
            request,
            None,  # type: ignore[arg-type]  # the check never calls the view
            (),
            {},
        )
        is not None
    )


def accepts_form_token(
    stale: Callable[[HttpRequest], HttpResponse],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """CSRF protection as usual, except that a POST carrying a valid form token for its own
    ``submission`` nonce passes without the CSRF cookie (see the module docstring).

    A POST whose token we no longer accept (expired, or another form's) and without a valid
    CSRF cookie either goes to ``stale``, which shows the form again to send once more and
    stores nothing: a donor who left the page open too long gets their form back, not a 403.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        protected = csrf_protect(view)

        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST" and TOKEN_FIELD in request.POST:
                if form_token_matches(
                    request.POST.get(TOKEN_FIELD, ""), request.POST.get("submission", "")
                ):
                    return view(request, *args, **kwargs)
                if _csrf_refuses(request):
                    return stale(request)
            return protected(request, *args, **kwargs)

        return csrf_exempt(wrapped)

    return decorator
