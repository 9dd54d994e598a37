"""The shop's views with Django's test client, against the sandbox."""

from __future__ import annotations

import io

import dargah
from django.core.management import call_command
from django.test import Client, TestCase

from orders import payments
from orders.models import Credit, Order

from dargah_sandbox import Sandbox

from .support import use_sandbox

MOBILE = "09123456789"


class ShopTests(TestCase):
    sandbox: Sandbox

    @classmethod
    def setUpClass(cls) -> None:
        cls.sandbox = use_sandbox(cls)
        super().setUpClass()

    def setUp(self) -> None:
        # http callback URLs are allowed to loopback only: be "localhost".
        self.client = Client(HTTP_HOST="localhost")
        # The gateway's page, seen from the shop: no session, CSRF enforced.
        self.gateway_browser = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)

    def checkout(self, gateway: str) -> Order:
        response = self.client.post("/", {"item": "book", "gateway": gateway, "mobile": MOBILE})
        self.assertIn(response.status_code, (200, 302))
        return Order.objects.latest("created_at")

    def token(self, order: Order) -> str:
        return payments.client().payment(order.payment_id).token or ""

    def test_checkout_page_and_csrf(self) -> None:
        page = self.client.get("/")
        self.assertContains(page, "csrfmiddlewaretoken")
        refused = Client(HTTP_HOST="localhost", enforce_csrf_checks=True).post("/", {"item": "book", "gateway": "vandar"})
        self.assertEqual(refused.status_code, 403, "checkout keeps its CSRF protection")
        self.assertFalse(Order.objects.exists())
        self.assertEqual(self.client.post("/", {"item": "car", "gateway": "vandar", "mobile": MOBILE}).status_code, 400)
        bad_mobile = self.client.post("/", {"item": "book", "gateway": "vandar", "mobile": "123"})
        self.assertContains(bad_mobile, "mobile must be 11 digits", status_code=400)

    def test_checkout_sends_the_customer_to_the_gateway(self) -> None:
        response = self.client.post("/", {"item": "pen", "gateway": "vandar", "mobile": MOBILE})
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(self.sandbox.base_url))
        # AtiPay takes a POST: the shop serves a form that submits itself.
        response = self.client.post("/", {"item": "pen", "gateway": "atipay", "mobile": MOBILE})
        self.assertContains(response, f'action="{self.sandbox.base_url}/atipay/v1/redirect-to-gateway"')
        self.assertContains(response, 'name="token"')
        order = Order.objects.latest("created_at")
        self.assertEqual((order.amount, order.status), (480_000, Order.Status.PENDING))
        self.assertIn(str(order.reference), self.client.session["orders"])

    def test_get_callback_credits_once(self) -> None:
        order = self.checkout("vandar")
        callback = self.sandbox.pay("vandar", self.token(order))
        for _ in range(3):  # the first delivery, then the customer reloads it twice
            response = self.gateway_browser.get(callback.path)
            self.assertRedirects(response, order.get_absolute_url(), status_code=303)
        order.refresh_from_db()
        self.assertEqual(order.status, Order.Status.PAID)
        self.assertEqual(Credit.objects.filter(order=order).count(), 1)
        self.assertEqual(self.sandbox.verify_calls("vandar", self.token(order)), 1)
        self.assertEqual(payments.client().unacknowledged(), [], "credited, then acknowledged")
        page = self.client.get(order.get_absolute_url())
        self.assertContains(page, 'data-status="paid"')
        self.assertContains(page, "603799******7890")

    def test_post_callback_needs_no_session_or_csrf_token(self) -> None:
        order = self.checkout("canpay")
        callback = self.sandbox.pay("canpay", self.token(order))
        self.assertEqual(callback.method, "POST")
        for _ in range(2):
            response = self.gateway_browser.post(callback.path, callback.form)
            self.assertRedirects(response, order.get_absolute_url(), status_code=303)
        self.assertEqual(Credit.objects.filter(order=order).count(), 1)
        self.assertEqual(self.sandbox.verify_calls("canpay", self.token(order)), 1)

    def test_conflicting_fields_are_refused(self) -> None:
        order = self.checkout("vandar")
        callback = self.sandbox.pay("vandar", self.token(order))
        forged = callback.path + "&payment_status=FAILED"  # the real one says OK
        with self.assertLogs("orders.views", "WARNING") as logs:
            response = self.gateway_browser.get(forged)
        self.assertContains(response, "not valid", status_code=400)
        self.assertIn("InvalidCallbackError", logs.output[0])
        self.assertFalse(Credit.objects.exists())
        self.assertEqual(self.sandbox.verify_calls("vandar", self.token(order)), 0)

    def test_cancelled_payment(self) -> None:
        order = self.checkout("vandar")
        callback = self.sandbox.pay("vandar", self.token(order), action="cancel")
        response = self.gateway_browser.get(callback.path)
        self.assertRedirects(response, order.get_absolute_url(), status_code=303)
        order.refresh_from_db()
        self.assertEqual(order.status, Order.Status.FAILED)
        self.assertFalse(Credit.objects.exists())

    def test_bad_callbacks(self) -> None:
        with self.assertLogs("orders.views", "WARNING") as logs:
            self.assertEqual(self.gateway_browser.get("/pay/callback/vandar/?token=forged&payment_status=OK").status_code, 400)
            self.assertEqual(self.gateway_browser.get("/pay/callback/paypal/?token=x").status_code, 400)
        unknown_token, unknown_gateway = logs.output
        self.assertIn("UnknownPaymentError", unknown_token)
        self.assertIn("InvalidInputError", unknown_gateway)
        self.assertEqual(self.gateway_browser.put("/pay/callback/vandar/").status_code, 405)

    def test_a_lost_callback_is_credited_by_the_outbox(self) -> None:
        order = self.checkout("mupra")
        callback = self.sandbox.pay("mupra", self.token(order))
        # The callback reached Dargah but the shop died before crediting.
        outcome = payments.client().handle_callback("mupra", dict(callback.query))
        self.assertIs(outcome.kind, dargah.OutcomeKind.NEWLY_PAID)
        order.refresh_from_db()
        self.assertEqual(order.status, Order.Status.PENDING)

        output = io.StringIO()
        call_command("dargah_fulfil", stdout=output)
        self.assertEqual(output.getvalue().strip(), "credited 1 order(s)")
        order.refresh_from_db()
        self.assertEqual(order.status, Order.Status.PAID)
        self.assertEqual(Credit.objects.filter(order=order).count(), 1)
        self.assertEqual(payments.fulfil_unacknowledged(), 0, "nothing left to do")
