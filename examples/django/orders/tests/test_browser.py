"""A customer in headless Chromium: the shop, the sandbox's payment page, and
back. The shop runs on localhost and the sandbox on 127.0.0.1, two different
sites, as a real gateway is: its POST back to the shop is cross-site."""

from __future__ import annotations

import shutil
import tempfile
from typing import Any, Dict

from django.test import LiveServerTestCase, modify_settings, tag
from selenium import webdriver
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
        profile = tempfile.mkdtemp(prefix="shop-chromium-")
        cls.addClassCleanup(shutil.rmtree, profile, ignore_errors=True)
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        cls.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        cls.addClassCleanup(cls.driver.quit)

    def setUp(self) -> None:
        CALLBACKS.clear()

    def wait_for(self, css: str) -> None:
        WebDriverWait(self.driver, 30).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))

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
