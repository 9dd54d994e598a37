"""A customer in headless Chromium: the shop, the sandbox's payment page, and
back. The shop runs on localhost and the sandbox on 127.0.0.1, two different
sites, as a real gateway is: its POST back to the shop is cross-site."""

from __future__ import annotations

import io
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Dict

from django.conf import settings
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import LiveServerTestCase, modify_settings, override_settings, tag
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

import dargah.django
import dargah.testing
from orders.models import Credit, Order

from .support import CALLBACKS, use_sandbox

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

PAID = '#status[data-status="paid"]'
#: Where the browser tests leave their screenshots (docs/images/ has copies).
SCREENSHOTS = Path(__file__).resolve().parents[4] / "build" / "screenshots"


def start_chromium(test_class: type[LiveServerTestCase]) -> webdriver.Chrome:
    """Headless Chromium with a profile of its own, quit when the class ends."""
    profile = tempfile.mkdtemp(prefix="shop-chromium-")
    test_class.addClassCleanup(shutil.rmtree, profile, ignore_errors=True)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1280,900"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    test_class.addClassCleanup(driver.quit)
    return driver


@tag("browser")
@modify_settings(MIDDLEWARE={"prepend": "orders.tests.support.record_callbacks"})
class CustomerInChromium(LiveServerTestCase):
    host = "localhost"
    sandbox: dargah.testing.Sandbox
    driver: webdriver.Chrome

    @classmethod
    def setUpClass(cls) -> None:
        cls.sandbox = use_sandbox(cls)
        super().setUpClass()
        cls.driver = start_chromium(cls)

    def setUp(self) -> None:
        CALLBACKS.clear()

    def wait_for(self, css: str) -> None:
        """Wait for an element of the page the browser is going to (a lookup made while it is still
        navigating there is answered "aborted by navigation" by chromedriver, and asked again)."""
        WebDriverWait(self.driver, 30, ignored_exceptions=[WebDriverException]).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))

    def buy(self, gateway: str) -> Order:
        """Check out, pay on the gateway's page, come back to the order page."""
        self.driver.get(self.live_server_url + "/")
        self.driver.find_element(By.ID, "mobile").send_keys("09123456789")
        self.driver.find_element(By.ID, f"pay-{gateway}").click()
        self.wait_for("#card")
        self.assertTrue(self.driver.current_url.startswith(self.sandbox.base_url), self.driver.current_url)
        self.driver.find_element(By.ID, "card").send_keys("6037 9912 3456 7890")
        self.driver.find_element(By.ID, "pay").click()
        self.wait_for(PAID)
        order = Order.objects.get(gateway=gateway)
        self.assertEqual(self.driver.current_url, self.live_server_url + order.get_absolute_url())
        return order

    def assert_credited_once(self, order: Order) -> None:
        order.refresh_from_db()
        self.assertEqual(order.status, Order.Status.PAID)
        self.assertEqual(Credit.objects.filter(order=order).count(), 1)
        self.assertEqual(len(self.driver.find_elements(By.CSS_SELECTOR, ".credit")), 1)
        self.assertEqual(self.sandbox.verify_calls(dargah.django.get_client().payment(order.payment_id)), 1)

    def test_get_callback_and_a_refresh(self) -> None:
        order = self.buy("vandar")
        self.assert_credited_once(order)
        [callback] = CALLBACKS
        self.assertEqual(callback["method"], "GET")
        # The customer reloads the callback address (from history, a bookmark, a second tab).
        self.driver.get(callback["url"])
        self.wait_for(PAID)
        self.driver.refresh()
        self.wait_for(PAID)
        self.assertEqual(len(CALLBACKS), 2)
        self.assert_credited_once(order)

    def assert_cross_site_post(self, callback: Dict[str, Any]) -> None:
        self.assertEqual(callback["method"], "POST")
        self.assertNotIn("sessionid", callback["cookies"])
        self.assertNotIn("csrftoken", callback["cookies"])
        self.assertNotIn("csrfmiddlewaretoken", callback["form"])
        # ... although the customer does have a session and a CSRF cookie with the shop.
        self.assertIsNotNone(self.driver.get_cookie("sessionid"))
        self.assertIsNotNone(self.driver.get_cookie("csrftoken"))

    def test_post_callback_without_session_or_csrf_token(self) -> None:
        order = self.buy("canpay")
        [callback] = CALLBACKS
        self.assert_cross_site_post(callback)
        self.assert_credited_once(order)
        # The gateway's page posts the same callback again (a reload, a retry).
        self.driver.get(self.sandbox.base_url + "/_control/stats")
        self.driver.execute_script(
            """
            const [url, fields] = arguments;
            const form = document.createElement("form");
            form.method = "POST";
            form.action = url;
            for (const [name, value] of Object.entries(fields)) {
                const input = document.createElement("input");
                input.type = "hidden"; input.name = name; input.value = value;
                form.appendChild(input);
            }
            document.body.appendChild(form);
            form.submit();
            """,
            callback["url"],
            callback["form"],
        )
        self.wait_for(PAID)
        self.assertEqual(len(CALLBACKS), 2)
        self.assert_cross_site_post(CALLBACKS[1])
        self.assert_credited_once(order)

    def test_post_redirect_and_post_callback(self) -> None:
        """AtiPay: the shop's self-submitting form to the gateway, and a POST back."""
        order = self.buy("atipay")
        [callback] = CALLBACKS
        self.assert_cross_site_post(callback)
        self.assert_credited_once(order)


@tag("browser")
class OwnerInChromium(StaticLiveServerTestCase):  # the admin's own CSS, from the app folders
    """The owner's review queue as a browser shows it, in English and in
    Persian (right to left, the card mask and ids kept left to right), with
    a screenshot of each in build/screenshots/."""

    host = "localhost"
    sandbox: dargah.testing.Sandbox
    driver: webdriver.Chrome

    @classmethod
    def setUpClass(cls) -> None:
        cls.sandbox = use_sandbox(cls)
        super().setUpClass()
        cls.driver = start_chromium(cls)

    def test_the_review_queue_in_english_and_persian(self) -> None:
        assert isinstance(settings.DARGAH, dict)  # use_sandbox gives a dict
        config = dict(settings.DARGAH)
        config["atipay"] = {**config["atipay"], "refund_window_secs": 1}
        with override_settings(DARGAH=config):
            client = dargah.django.get_client()
            callback_url = self.live_server_url + "/payments/callback/atipay/"
            review = client.create_payment("atipay", "order-review-1", 1_250_000, callback_url, mobile="09123456789")
            paid = client.create_payment("vandar", "order-paid-1", 480_000, self.live_server_url + "/payments/callback/vandar/")
            self.sandbox.pay(review)  # the customer closed the tab: AtiPay cannot verify, needs review at the deadline
            callback = self.sandbox.pay(paid)
            client.handle_callback("vandar", callback.query, callback.form)
            time.sleep(1.2)
            call_command("dargah_reconcile", "--min-age", "0", stdout=io.StringIO())

            owner = User.objects.create_superuser("owner", "owner@shop.example", "pw")
            self.client.force_login(owner)
            self.driver.get(self.live_server_url + "/admin/login/")
            self.driver.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": self.client.cookies[settings.SESSION_COOKIE_NAME].value, "path": "/"})
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            for language, needs_review in (("en", "Needs review"), ("fa", "نیاز به بررسی")):
                self.driver.add_cookie({"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "path": "/"})
                self.driver.get(self.live_server_url + "/admin/dargah/payment/")
                WebDriverWait(self.driver, 30).until(expected_conditions.presence_of_element_located((By.ID, "state-needs_review")))
                self.assertTrue(self.driver.find_element(By.ID, "state-needs_review").text.startswith(needs_review))
                direction = self.driver.execute_script("return getComputedStyle(document.body).direction")
                self.assertEqual(direction, "rtl" if language == "fa" else "ltr")
                self.driver.save_screenshot(str(SCREENSHOTS / f"django-review-queue-{language}.png"))

                self.driver.get(self.live_server_url + f"/admin/dargah/payment/{paid.id}/")
                card = self.driver.find_element(By.CSS_SELECTOR, "#payment bdi[dir=ltr]")
                self.assertEqual(card.text, "603799******7890")
                self.assertEqual(self.driver.execute_script("return getComputedStyle(arguments[0]).direction", card), "ltr")
                self.driver.get(self.live_server_url + f"/admin/dargah/payment/{review.id}/")
                WebDriverWait(self.driver, 30).until(expected_conditions.presence_of_element_located((By.ID, "review-hint")))
                self.driver.save_screenshot(str(SCREENSHOTS / f"django-review-payment-{language}.png"))
