"""Stripe at its HTTP boundary, for tests: stripe-python talks to ``example_site/devstripe.py``
(JSON shaped like Stripe's API reference) through an in-process HTTP client, no socket."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

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


class InProcessStripe(stripe.HTTPClient):
    """stripe-python's HTTP client interface, answered by a :class:`DevStripe`."""

    name = "devstripe-in-process"

    def __init__(self, state: DevStripe) -> None:
        super().__init__()
        self.state = state

    def request(self, method: str, url: str, headers: Any, post_data: Any = None, **kwargs: Any):
        parts = urlsplit(url)
        body = post_data.decode() if isinstance(post_data, bytes) else post_data or ""
        params = decode_form(
            parse_qsl(parts.query, keep_blank_values=True) + parse_qsl(body, keep_blank_values=True)
        )
        status, answer = self.state.handle(
            method, parts.path, params, {key.lower(): value for key, value in dict(headers).items()}
        )
        return json.dumps(answer), status, {"request-id": "req_test"}

    def close(self) -> None:
        pass
