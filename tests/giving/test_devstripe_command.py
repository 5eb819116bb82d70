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


def test_devstripe_keeps_a_connection_alive_across_requests_whatever_their_body():
    """Like Stripe's API, the stand-in answers HTTP/1.1 and keeps the connection open; a POST
    body its route does not read (a checkout page's Cancel form) is not taken for the next
    request on the same connection."""
    import http.client

    from wagtail_sixdegrees import devstripe

    server = devstripe.serve(free_port(), [])
    try:
        session = server.stripe.create_session(
            {
                "mode": "payment",
                "success_url": "http://127.0.0.1/thanks/",
                "cancel_url": "http://127.0.0.1/cancelled/",
                "line_items": [
                    {"price_data": {"currency": "usd", "unit_amount": 2500}, "quantity": 1}
                ],
            }
        )
        connection = http.client.HTTPConnection(*server.server_address, timeout=5)
        connection.request("POST", f"/checkout/{session['id']}/cancel", body=b"ignored=body")
        cancelled = connection.getresponse()
        cancelled.read()
        connection.request(
            "GET",
            f"/v1/checkout/sessions/{session['id']}",
            headers={"Authorization": "Bearer sk_test_x"},
        )
        answer = connection.getresponse()
        body = json.loads(answer.read())
        connection.close()
    finally:
        server.shutdown()
        server.server_close()
    assert (cancelled.status, cancelled.getheader("Location")) == (
        303,
        "http://127.0.0.1/cancelled/",
    )
    assert cancelled.version == 11 and not cancelled.will_close
    assert (answer.status, body["id"]) == (200, session["id"])
