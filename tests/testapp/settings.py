"""Settings for the package's own test suite.

SQLite in memory by default; ``SIXDEGREES_TEST_DB=postgres`` starts a throwaway PostgreSQL
cluster on loopback for the run (tests/postgres.py).
"""

import os
import tempfile

import django

DEBUG = False
SECRET_KEY = "tests-only-not-a-secret"
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("th", "Thai"),
    ("vi", "Vietnamese"),
]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES

TEST_DB = os.environ.get("SIXDEGREES_TEST_DB", "sqlite")
if TEST_DB == "postgres":
    from tests.postgres import database_settings

    DATABASES = {"default": database_settings()}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

INSTALLED_APPS = [
    "wagtail_sixdegrees",
    "tests.testapp",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.locales",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Cached story pages before Wagtail routes them (PAGE_CACHE_SECONDS).
    "wagtail_sixdegrees.middleware.PageCacheMiddleware",
]

ROOT_URLCONF = "tests.testapp.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(os.path.dirname(__file__), "templates")],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

STATIC_URL = "/static/"
STATIC_ROOT = os.path.join(tempfile.gettempdir(), "sixdegrees-test-static")
# Each run gets its own media folder; conftest.py points it at pytest's tmp_path per test.
MEDIA_ROOT = tempfile.mkdtemp(prefix="sixdegrees-test-media-")
MEDIA_URL = "/media/"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if django.VERSION >= (6, 1):
    # Django 6.1 replaces EMAIL_BACKEND with MAILERS; the test runner swaps in locmem either way.
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

WAGTAIL_SITE_NAME = "Six Degrees tests"
WAGTAILADMIN_BASE_URL = "http://testserver"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

WAGTAIL_SIXDEGREES = {
    "STRIPE_SECRET_KEY": "sk_test_sixdegrees_tests",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_sixdegrees_tests",
    "STRIPE_WEBHOOK_SECRET": "whsec_sixdegrees_tests",
    "CURRENCIES": ["USD", "THB", "VND", "JPY", "KWD"],
    # Stripe publishes no fixed KWD minimum; about 0.50 USD.
    "MINIMUM_AMOUNTS": {"KWD": 150},
    # No page cache in tests but the ones about it (the page_cache fixture turns it on).
    "PAGE_CACHE_SECONDS": 0,
}
