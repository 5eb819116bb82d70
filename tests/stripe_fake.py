"""Stripe at its HTTP boundary, for tests: stripe-python talks to ``example_site/devstripe.py``
(JSON shaped like Stripe's API reference) through an in-process HTTP client, no socket."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_PATH = Path(__file__).resolve().parent.parent / "example_site" / "devstripe.py"


def _load_devstripe():
    if "devstripe" in sys.modules:
        return sys.modules["devstripe"]
    spec = importlib.util.spec_from_file_location("devstripe", _PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules["devstripe"] = module
    spec.loader.exec_module(module)
    return module


devstripe = _load_devstripe()
DevStripe = devstripe.DevStripe
StripeFailure = devstripe.StripeFailure
sign = devstripe.sign
decode_form = devstripe.decode_form


#: stripe-python's HTTP client interface, answered by a :class:`DevStripe`.
InProcessStripe = devstripe.in_process_client
