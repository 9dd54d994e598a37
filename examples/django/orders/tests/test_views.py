"""The shop on dargah.django, with Django's test client, against the sandbox."""

from __future__ import annotations

import io
from typing import List, Tuple

import dargah
import dargah.django
from dargah.testing import PayOutcome
from django.conf import settings
from django.core.management import call_command
from django.urls import resolve
from django.test import Client

from orders.models import Credit, Order

from .support import MOBILE, SandboxTestCase


class ShopTests(SandboxTestCase):
    def setUp(self) -> None:
        # http callback URLs are allowed to loopback only: be "localhost".
        self.client = Client(HTTP_HOST="localhost")
        # The gateway's page, seen from the shop: no session, CSRF enforced.
        self.gateway_browser = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)

    def checkout(self, gateway: str) -> Order:
        response = self.client.post("/", {"item": "book", "gateway": gateway, "mobile": MOBILE})
        self.assertIn(response.status_code, (200, 302))
        return Order.objects.latest("created_at")

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
        # The callback URL is the app's view, on the request's host.
        order = Order.objects.latest("created_at")
        self.assertTrue(self.payment(order).callback_url.startswith("http://localhost/payments/callback/vandar/"))
        # AtiPay takes a POST: the shop serves a form that submits itself.
        response = self.client.post("/", {"item": "pen", "gateway": "atipay", "mobile": MOBILE})
        self.assertContains(response, f'action="{self.sandbox.base_url}/atipay/v1/redirect-to-gateway"')
        self.assertContains(response, 'name="token"')
        order = Order.objects.latest("created_at")
        self.assertEqual((order.amount, order.status), (480_000, Order.Status.PENDING))
        self.assertIn(order.invoice_id, self.client.session["orders"])

    def test_get_callback_credits_once(self) -> None:
        order = self.checkout("vandar")
        callback = self.sandbox.pay(self.payment(order))
        for _ in range(3):  # the first delivery, then the customer reloads it twice
            response = self.gateway_browser.get(callback.path)
            self.assertRedirects(response, order.get_absolute_url(), status_code=303)
        order.refresh_from_db()
        self.assertEqual(order.status, Order.Status.PAID)
        self.assertEqual(Credit.objects.filter(order=order).count(), 1)
        self.assertEqual(self.sandbox.verify_calls(self.payment(order)), 1)
        self.assertEqual(dargah.django.get_client().unacknowledged(), [], "credited, then acknowledged")
        page = self.client.get(order.get_absolute_url())
        self.assertContains(page, 'data-status="paid"')
        self.assertContains(page, "603799******7890")

    def test_the_callback_views_are_csrf_exempt_and_non_atomic(self) -> None:
        # The shop runs with ATOMIC_REQUESTS; a slow gateway must not hold its transaction.
        self.assertTrue(settings.DATABASES["default"]["ATOMIC_REQUESTS"])
        for gateway in dargah.Gateway:
            view = resolve(f"/payments/callback/{gateway.value}/").func
            self.assertTrue(getattr(view, "csrf_exempt", False))
            self.assertIn("default", getattr(view, "_non_atomic_requests", set()))

    def test_post_callback_needs_no_session_or_csrf_token(self) -> None:
        order = self.checkout("canpay")
        callback = self.sandbox.pay(self.payment(order))
        self.assertEqual(callback.method, "POST")
        for _ in range(2):
            response = self.gateway_browser.post(callback.path, callback.form)
            self.assertRedirects(response, order.get_absolute_url(), status_code=303)
        self.assertEqual(Credit.objects.filter(order=order).count(), 1)
        self.assertEqual(self.sandbox.verify_calls(self.payment(order)), 1)

    def test_conflicting_fields_are_refused(self) -> None:
        order = self.checkout("vandar")
        callback = self.sandbox.pay(self.payment(order))
        forged = callback.path + "&payment_status=FAILED"  # the real one says OK
        with self.assertLogs("dargah.django", "WARNING") as logs:
            response = self.gateway_browser.get(forged)
        self.assertRedirects(response, "/payment-problem/", status_code=303, target_status_code=400)
        self.assertIn("InvalidCallbackError", logs.output[0])
        self.assertFalse(Credit.objects.exists())
        self.assertEqual(self.sandbox.verify_calls(self.payment(order)), 0)

    def test_cancelled_and_declined_payments(self) -> None:
        attempts: List[Tuple[str, PayOutcome]] = [("vandar", "cancel"), ("atipay", "fail"), ("mupra", "fail")]
        for gateway, outcome in attempts:
            order = self.checkout(gateway)
            callback = self.sandbox.pay(self.payment(order), outcome)
            deliver = self.gateway_browser.post if callback.method == "POST" else self.gateway_browser.get
            response = deliver(callback.path, callback.form) if callback.method == "POST" else deliver(callback.path)
            self.assertRedirects(response, order.get_absolute_url(), status_code=303)
            order.refresh_from_db()
            # Still open at the gateway until its deadline: not confirmed yet, never failed for good.
            self.assertEqual(order.status, Order.Status.UNCONFIRMED, (gateway, outcome))
            self.assertContains(self.gateway_browser.get(order.get_absolute_url()), "not confirmed yet")
        self.assertFalse(Credit.objects.exists())

    def test_bad_callbacks(self) -> None:
        with self.assertLogs("dargah.django", "WARNING") as logs:
            response = self.gateway_browser.get("/payments/callback/vandar/?token=forged&payment_status=OK")
            self.assertRedirects(response, "/payment-problem/", status_code=303, target_status_code=400)
        self.assertIn("UnknownPaymentError", logs.output[0])
        self.assertEqual(self.gateway_browser.get("/payments/callback/paypal/?token=x").status_code, 404)
        self.assertEqual(self.gateway_browser.put("/payments/callback/vandar/").status_code, 405)

    def test_a_lost_callback_is_credited_by_the_outbox(self) -> None:
        order = self.checkout("mupra")
        callback = self.sandbox.pay(self.payment(order))
        # The callback reached Dargah but the request died before the signal.
        outcome = dargah.django.get_client().handle_callback("mupra", callback.query)
        self.assertIs(outcome.kind, dargah.OutcomeKind.NEWLY_PAID)
        order.refresh_from_db()
        self.assertEqual(order.status, Order.Status.PENDING)

        output = io.StringIO()
        call_command("dargah_reconcile", stdout=output)
        self.assertIn(f"{outcome.payment_id}: payment_paid delivered, acknowledged", output.getvalue())
        order.refresh_from_db()
        self.assertEqual(order.status, Order.Status.PAID)
        self.assertEqual(Credit.objects.filter(order=order).count(), 1)
        output = io.StringIO()
        call_command("dargah_reconcile", stdout=output)
        self.assertIn("payment_paid delivered 0", output.getvalue(), "nothing left to do")
        self.assertEqual(self.sandbox.verify_calls(self.payment(order)), 1)
