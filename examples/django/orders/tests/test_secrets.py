"""Error reports never show Dargah's secrets: the store is unreachable, a
page fails, and neither the debug page (DEBUG on) nor the e-mail to ADMINS
(DEBUG off) holds the store password, a merchant code, an API key or the
token encryption key, whether DARGAH is a dict, JSON text or TOML text."""

from __future__ import annotations

import json
import sys
from typing import Any, Dict, List

import dargah
import dargah.django
from dargah.django.reporting import DargahExceptionReporterFilter, mask_url_secrets
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client, RequestFactory, TestCase, override_settings
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter, get_default_exception_reporter_filter

SECRETS = {
    "store password": "Store-Pw-canary-1",
    "CanPay merchant code": "canpay-merchant-canary-2",
    "Mupra API key": "mupra-key-canary-3",
    "AtiPay API key": "atipay-key-canary-4",
    "Vandar API key": "vandar-key-canary-5",
    "Vandar refresh token": "vandar-refresh-canary-6",
    "Sepal password": "sepal-password-canary-7",
    "token encryption key": "token-encryption-canary-8-at-least-32-characters-long",
}
S = SECRETS
UNREACHABLE = "http://127.0.0.1:9"
#: A PostgreSQL store nobody listens on: every payment call fails.
CONFIG: Dict[str, Any] = {
    "store": f"postgres://shop:{S['store password']}@127.0.0.1:9/shop",
    "token_encryption_key": S["token encryption key"],
    "canpay": {"merchant": S["CanPay merchant code"], "base_url": f"{UNREACHABLE}/canpay/api/ipg/"},
    "mupra": {"api_key": S["Mupra API key"], "base_url": f"{UNREACHABLE}/mupra/restapi/api/ipg/"},
    "atipay": {"apiKey": S["AtiPay API key"], "terminalId": "12345678", "base_url": f"{UNREACHABLE}/atipay/v1/"},
    "vandar": {"api_key": S["Vandar API key"], "refresh_token": S["Vandar refresh token"], "business": "shop", "ipg_base_url": f"{UNREACHABLE}/vandar/ipg"},
    "sepal": {"api_key": "sepal-key", "mobile": "09120000000", "password": S["Sepal password"], "base_url": f"{UNREACHABLE}/sepal"},
}


def toml(config: Dict[str, Any]) -> str:
    top = [f"{k} = {json.dumps(v)}" for k, v in config.items() if not isinstance(v, dict)]
    tables = [f"[{name}]\n" + "\n".join(f"{k} = {json.dumps(v)}" for k, v in table.items()) for name, table in config.items() if isinstance(table, dict)]
    return "\n".join(top) + "\n\n" + "\n\n".join(tables) + "\n"


FORMS: Dict[str, Any] = {"a dict": CONFIG, "JSON text": json.dumps(CONFIG), "TOML text": toml(CONFIG)}


class ErrorReportsKeepSecrets(TestCase):
    def setUp(self) -> None:
        self.owner = Client(HTTP_HOST="localhost", raise_request_exception=False)
        self.owner.force_login(User.objects.create_superuser("owner", "owner@shop.example", "pw"))

    def assert_no_secret(self, text: str, where: str) -> None:
        shown = [name for name, value in SECRETS.items() if value in text]
        self.assertEqual(shown, [], f"{where} shows {', '.join(shown)}")

    def test_the_shop_uses_the_filter(self) -> None:
        self.assertIsInstance(get_default_exception_reporter_filter(), DargahExceptionReporterFilter)

    def test_the_debug_page_with_the_store_down(self) -> None:
        for form, config in FORMS.items():
            with self.subTest(form), override_settings(DEBUG=True, DARGAH=config):
                with self.assertLogs("django.request", "ERROR"):
                    page = self.owner.get("/admin/dargah/payment/")
                self.assertEqual(page.status_code, 500)
                text = page.content.decode()
                self.assertIn("StoreError", text, "Django's technical 500 page")
                self.assertIn("DARGAH", text, "the setting is listed, as stars")
                self.assert_no_secret(text, f"the debug page ({form})")

    def test_the_error_email_to_admins_with_the_store_down(self) -> None:
        for form, config in FORMS.items():
            with self.subTest(form), override_settings(DEBUG=False, DARGAH=config, ADMINS=[("Owner", "owner@shop.example")]):
                mail.outbox.clear()
                # Through Django's own logging (the "django" logger's mail_admins handler), as in production.
                self.assertEqual(self.owner.get("/admin/dargah/payment/").status_code, 500)
                [message] = mail.outbox
                self.assertIn("StoreError", message.body)
                self.assertIn("DARGAH", message.body, "the text report lists the settings")
                alternatives: List[Any] = getattr(message, "alternatives", [])
                for text in [str(message.subject), str(message.body), *(str(content) for content, _ in alternatives)]:
                    self.assert_no_secret(text, f"the e-mail ({form})")

    def test_a_shops_own_frame_holding_the_configuration(self) -> None:
        """The shop's code may hold the configuration in a local: a dict, its text, or one secret by name."""
        request = RequestFactory().get("/checkout/")
        for form, config in FORMS.items():
            with self.subTest(form), override_settings(DEBUG=True, DARGAH=config):
                try:
                    dargah_config = config  # noqa: F841  (shown in the report's frame)
                    copied = dict(config) if isinstance(config, dict) else config[:]  # noqa: F841
                    merchant = S["CanPay merchant code"]  # noqa: F841
                    raise dargah.StoreError("the store does not answer")
                except dargah.StoreError:
                    reporter = ExceptionReporter(request, *sys.exc_info())
                self.assert_no_secret(reporter.get_traceback_html(), f"the HTML report ({form})")
                self.assert_no_secret(reporter.get_traceback_text(), f"the text report ({form})")

    def test_django_alone_would_show_them(self) -> None:
        """The test can see a leak: Django's own filter shows the store password and CanPay's merchant code."""
        with override_settings(DEBUG=True, DARGAH=CONFIG):
            shown = SafeExceptionReporterFilter().get_safe_settings()["DARGAH"]
            self.assertIn(S["store password"], shown["store"])
            self.assertEqual(shown["canpay"]["merchant"], S["CanPay merchant code"])
            ours = DargahExceptionReporterFilter().get_safe_settings()
            self.assertEqual(ours["DARGAH"], DargahExceptionReporterFilter.cleansed_substitute)

    def test_passwords_in_urls_are_masked(self) -> None:
        stars = "****"
        self.assertEqual(mask_url_secrets("postgres://shop:pw@db:5432/shop", stars), "postgres://shop:****@db:5432/shop")
        self.assertEqual(mask_url_secrets("mysql://db/shop?user=a&password=pw&sslkey=k", stars), "mysql://db/shop?user=a&password=****&sslkey=****")
        self.assertEqual(mask_url_secrets("https://shop.example/orders/1/", stars), "https://shop.example/orders/1/")
