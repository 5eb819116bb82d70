"""``sixdegrees_devstripe``: the package's Stripe stand-in, run beside an integrator's site."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from tests.postgres import free_port
from wagtail_sixdegrees.management.commands import sixdegrees_devstripe

KEYS = {"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_dev"}


@override_settings(DEBUG=False, WAGTAIL_SIXDEGREES=KEYS)
def test_devstripe_refuses_to_start_when_debug_is_off():
    port = free_port()

    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("sixdegrees_devstripe", "--port", str(port))

    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/checkout/sessions/x", timeout=2)


@pytest.mark.parametrize(
    ("debug", "flags"), [(True, []), (False, ["--i-know-this-is-not-production"])]
)
def test_devstripe_answers_like_stripe_with_debug_on_or_the_explicit_flag(
    monkeypatch, capsys, debug, flags
):
    port = free_port()
    answers = []

    def talk_to_it(self, server):
        try:
            urllib.request.urlopen(
                f"http://127.0.0.1:{port}/v1/checkout/sessions/cs_unknown", timeout=5
            )
        except urllib.error.HTTPError as error:
            answers.append((error.code, json.loads(error.read())))

    monkeypatch.setattr(sixdegrees_devstripe.Command, "wait_until_stopped", talk_to_it)
    with override_settings(DEBUG=debug, WAGTAIL_SIXDEGREES=KEYS):
        call_command("sixdegrees_devstripe", "--port", str(port), *flags)

    out = capsys.readouterr().out
    # No API key sent: Stripe's own answer.
    assert answers == [
        (401, {"error": {"type": "authentication_error", "message": "Invalid API Key provided."}})
    ]
    assert "http://127.0.0.1:8000/giving/stripe/webhook/" in out
    assert f'STRIPE_API_BASE"] = "http://127.0.0.1:{port}"' in out
