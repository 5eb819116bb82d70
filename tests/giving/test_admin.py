"""Editors' screens: the giving settings and a donate page with its block, in the Wagtail admin."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import Site

from tests.factories import make_superuser

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    user = make_superuser("editor")
    client.force_login(user)
    return client


def test_giving_settings_edit_in_the_admin(editor_client):
    site = Site.objects.get(is_default_site=True)
    url = reverse("wagtailsettings:edit", args=["wagtail_sixdegrees", "givingsettings", site.pk])
    response = editor_client.get(url)
    assert response.status_code == 200
    assert "Suggested amounts and the fixed part of the fee" in response.content.decode()


def test_editors_can_add_a_donate_page_with_the_donate_block(editor_client):
    parent = Site.objects.get(is_default_site=True).root_page
    url = reverse("wagtailadmin_pages:add", args=["wagtail_sixdegrees", "donatepage", parent.pk])
    response = editor_client.get(url)
    assert response.status_code == 200
    assert "Donate form" in response.content.decode()
