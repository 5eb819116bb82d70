import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import panel_user
from tests.panel.test_query_budget import SCREENS, busy_site  # noqa

pytestmark = pytest.mark.django_db


def test_measure(busy_site, client):
    for role in ("manager", "viewer", "superuser"):
        client.force_login(panel_user(role))
        for label, name, query in SCREENS:
            t = time.perf_counter()
            with CaptureQueriesContext(connection) as ctx:
                r = client.get(reverse(name) + query)
            print(role, label, len(ctx.captured_queries), round(time.perf_counter() - t, 3))
