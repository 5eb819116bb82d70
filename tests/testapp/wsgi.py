"""The WSGI application for gunicorn: ``gunicorn tests.testapp.wsgi:application``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.testapp.settings_scale")

application = get_wsgi_application()
