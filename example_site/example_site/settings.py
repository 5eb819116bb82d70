"""Settings for the example site.

Everything a deployer changes comes from the environment; the defaults run a local demo on
SQLite with Stripe test-mode placeholders. See docs/install.md for a real installation.
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

import django

BASE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = BASE_DIR / "example_site"


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


def database_from_url(url: str) -> dict:
    """Read a DATABASE_URL such as postgres://user:pass@host:5432/name or sqlite:///path."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": parsed.path[1:] or ":memory:"}
    if parsed.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": parsed.path.lstrip("/"),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
        }
    raise ValueError(f"Unsupported DATABASE_URL scheme: {parsed.scheme}")


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("Set DJANGO_SECRET_KEY when DJANGO_DEBUG is off.")
    SECRET_KEY = "example-site-development-only"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
CSRF_TRUSTED_ORIGINS = [
    origin for origin in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if origin
]

INSTALLED_APPS = [
    "home",
    "demo",
    "wagtail_sixdegrees",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    # wagtail-localize replaces wagtail.locales, as its documentation asks.
    "wagtail_localize",
    "wagtail_localize.locales",
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
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Readers are often on slow mobile networks: compress pages (a proxy can take this over).
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Cached story pages before Wagtail routes them (PAGE_CACHE_SECONDS).
    "wagtail_sixdegrees.middleware.PageCacheMiddleware",
]

ROOT_URLCONF = "example_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = "example_site.wsgi.application"

DATABASES = {
    "default": database_from_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("th", "ภาษาไทย"),
    ("vi", "Tiếng Việt"),
    ("km", "ភាសាខ្មែរ"),
    ("my", "မြန်မာဘာသာ"),
    ("id", "Bahasa Indonesia"),
    ("tl", "Filipino"),
    ("lo", "ພາສາລາວ"),
]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Asia/Bangkok")
USE_I18N = True
USE_TZ = True

STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STATICFILES_DIRS = [PROJECT_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "static"))
STATIC_URL = "/static/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

_email_backend = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": _email_backend}}
else:
    EMAIL_BACKEND = _email_backend
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "giving@example.org")

WAGTAIL_SITE_NAME = "Six Degrees example site"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "txt", "xlsx"]

# Background work (receipts, allocation, consent enforcement). The immediate backend needs no
# worker; see docs/integrators/scale.md to run django-tasks-db or RQ workers instead.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

STRIPE_PLACEHOLDER_KEY = "sk_test_example_site_placeholder"
# Without real Stripe test keys, `make demo` gives through wagtail_sixdegrees.devstripe, a local
# Stripe-compatible checkout on 127.0.0.1 (development only; it moves no money).
DEVSTRIPE_PORT = int(os.environ.get("DEVSTRIPE_PORT", "8421"))
# The demo's payments are made in devstripe's state, kept here, so the running devstripe knows
# them (a giving manager can refund a demo donation from the panel).
DEVSTRIPE_STATE = os.environ.get("DEVSTRIPE_STATE", str(BASE_DIR / ".devstripe-state.json"))
USE_DEVSTRIPE = (
    DEBUG
    and os.environ.get("STRIPE_SECRET_KEY", STRIPE_PLACEHOLDER_KEY) == STRIPE_PLACEHOLDER_KEY
    and not os.environ.get("STRIPE_API_BASE")
)

WAGTAIL_SIXDEGREES = {
    # Test-mode placeholders: set the real values in the environment.
    "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", STRIPE_PLACEHOLDER_KEY),
    "STRIPE_PUBLISHABLE_KEY": os.environ.get(
        "STRIPE_PUBLISHABLE_KEY", "pk_test_example_site_placeholder"
    ),
    "STRIPE_WEBHOOK_SECRET": os.environ.get(
        "STRIPE_WEBHOOK_SECRET", "whsec_example_site_placeholder"
    ),
    "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE")
    or (f"http://127.0.0.1:{DEVSTRIPE_PORT}" if USE_DEVSTRIPE else None),
    "CURRENCIES": os.environ.get("SIXDEGREES_CURRENCIES", "USD,THB,VND").split(","),
    # Sites that may show the donate widget in an iframe. In development, the fictional partner
    # page in example_site/partner/ (python -m http.server 8001 --bind 127.0.0.1).
    "EMBED_ALLOWED_ORIGINS": [
        origin
        for origin in os.environ.get(
            "SIXDEGREES_EMBED_ORIGINS", "http://127.0.0.1:8001" if DEBUG else ""
        ).split(",")
        if origin
    ],
    # Sites whose browser scripts may read the JSON API (CORS); none unless listed.
    "API_CORS_ORIGINS": [
        origin for origin in os.environ.get("SIXDEGREES_API_CORS_ORIGINS", "").split(",") if origin
    ],
    # Thai donors may pay one-off gifts with PromptPay (devstripe simulates it); monthly gifts
    # are paid by card. Other currencies: whatever the Stripe dashboard enables.
    "PAYMENT_METHODS": {"THB": ["card", "promptpay"]},
    # QR posters' links say where the visit came from (no tracker: plain parameters).
    "POSTER_UTM": {"utm_source": "poster", "utm_medium": "print"},
}
