"""Stripe at its HTTP boundary, for tests: stripe-python talks to ``wagtail_sixdegrees.devstripe``
(the package's development stand-in, JSON shaped like Stripe's API reference) through an
in-process HTTP client, no socket. The same module integrators run with ``sixdegrees_devstripe``."""

from __future__ import annotations

from wagtail_sixdegrees import devstripe

DevStripe = devstripe.DevStripe
StripeFailure = devstripe.StripeFailure
sign = devstripe.sign
decode_form = devstripe.decode_form


#: stripe-python's HTTP client interface, answered by a :class:`DevStripe`.
InProcessStripe = devstripe.in_process_client
