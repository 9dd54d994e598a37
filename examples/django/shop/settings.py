"""Settings for the example shop. Everything that differs per deployment
comes from the environment; the defaults run against `dargah sandbox`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-shop-only-not-for-production")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",  # the admin's CSS and scripts
    # Callback views, signals, dargah_* commands, the payments admin page, system checks.
    "dargah.django",
    "orders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's language: the payments admin is in English or Persian.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # On for every view; only the gateway callback is exempt (see orders/views.py).
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

STATIC_URL = "static/"

# ATOMIC_REQUESTS: every view in a transaction, except Dargah's callback
# views (non-atomic: a slow gateway never holds a database transaction).
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3", "ATOMIC_REQUESTS": True}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The customer's session cookie is SameSite=Lax (Django's default): a gateway
# page that POSTs back to us from its own site does not send it, so the
# callback view must not need it.
SESSION_COOKIE_SAMESITE = "Lax"

USE_TZ = True
TIME_ZONE = "Asia/Tehran"
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fa", "فارسی")]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        name: {"handlers": ["console"], "level": os.environ.get("SHOP_LOG_LEVEL", "WARNING")} for name in ("orders", "dargah.django")
    },
}

# Dargah's configuration: JSON in DARGAH_CONFIG (or a file named by
# DARGAH_CONFIG_FILE, JSON or TOML), else every gateway of a local
# `dargah sandbox --port 8700`.
_SANDBOX = "http://127.0.0.1:8700"
DARGAH: Dict[str, Any] | str
if "DARGAH_CONFIG" in os.environ:
    DARGAH = json.loads(os.environ["DARGAH_CONFIG"])
elif "DARGAH_CONFIG_FILE" in os.environ:
    DARGAH = Path(os.environ["DARGAH_CONFIG_FILE"]).read_text()
else:
    DARGAH = {
        "store": f"sqlite://{BASE_DIR / 'dargah.db'}",
        "mupra": {"api_key": "sandbox-mupra-api-key", "base_url": f"{_SANDBOX}/mupra/restapi/api/ipg/"},
        "canpay": {"merchant": "sandbox-canpay-merchant", "base_url": f"{_SANDBOX}/canpay/api/ipg/"},
        "atipay": {"apiKey": "sandbox-atipay-api-key", "terminalId": "12345678", "base_url": f"{_SANDBOX}/atipay/v1/"},
        "vandar": {"api_key": "sandbox-vandar-ipg-api-key", "ipg_base_url": f"{_SANDBOX}/vandar/ipg"},
    }

# Where gateways send the customer back (https in production: `manage.py
# check` says so); unset, callback URLs are built from the checkout request.
DARGAH_CALLBACK_BASE_URL = os.environ.get("DARGAH_CALLBACK_BASE_URL") or None

# Where the customer lands after the callback: the order page, whatever happened.
DARGAH_RETURN_URLS = {
    "paid": "/orders/{invoice_id}/",
    "failed": "/orders/{invoice_id}/",
    "pending": "/orders/{invoice_id}/",
    "needs_review": "/orders/{invoice_id}/",
    "error": "/payment-problem/",
}

# The order's page, linked from the payments admin and the review e-mail.
DARGAH_ORDER_URL = "/orders/{invoice_id}/"

# Who is e-mailed when a payment needs review (once per payment), and errors.
ADMINS = [("Shop owner", os.environ.get("SHOP_OWNER_EMAIL", "owner@shop.example"))]

# Debug pages and the error e-mails to ADMINS never show DARGAH (the store
# password, merchant codes, API keys), even with DEBUG on.
DEFAULT_EXCEPTION_REPORTER_FILTER = "dargah.django.reporting.DargahExceptionReporterFilter"

TEST_RUNNER = "shop.test_runner.Runner"
