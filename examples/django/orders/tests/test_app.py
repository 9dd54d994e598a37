"""dargah.django itself, inside the shop: signals and acknowledgement, the
management commands, the admin page and the system checks."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

import dargah
import dargah.django
import dargah.testing
from dargah.django.signals import payment_failed, payment_needs_review, payment_paid
from django.contrib.auth.models import User
from django.core.checks import Error, Warning
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client, TestCase, override_settings

from orders.models import Credit, Order

from .support import SandboxTestCase, use_sandbox


class Received:
    """Records what the app's signals delivered; can be told to raise."""

    def __init__(self) -> None:
        self.paid: List[Dict[str, Any]] = []
        self.failed: List[Dict[str, Any]] = []
        self.review: List[Dict[str, Any]] = []
        self.raise_on_paid = False

    def on_paid(self, sender: str, payment: dargah.Payment, source: str, **kwargs: Any) -> None:
        if self.raise_on_paid:
            raise RuntimeError("the warehouse is down")
        self.paid.append({"gateway": sender, "id": payment.id, "source": source})

    def on_failed(self, sender: str, payment: dargah.Payment, source: str, kind: str, final: bool, **kwargs: Any) -> None:
        self.failed.append({"id": payment.id, "kind": kind, "source": source, "final": final})

    def on_review(self, sender: str, payment: dargah.Payment, source: str, **kwargs: Any) -> None:
        self.review.append({"id": payment.id, "source": source})


class AppTests(SandboxTestCase):
    def setUp(self) -> None:
        self.use_fresh_store()
        self.received = Received()
        for signal, receiver in ((payment_paid, self.received.on_paid), (payment_failed, self.received.on_failed), (payment_needs_review, self.received.on_review)):
            signal.connect(receiver)
            self.addCleanup(signal.disconnect, receiver)
        self.browser = Client(HTTP_HOST="localhost")

    def deliver(self, callback: dargah.testing.Callback) -> None:
        if callback.method == "POST":
            self.browser.post(callback.path, callback.form)
        else:
            self.browser.get(callback.path)

    def test_payment_paid_is_sent_once_then_acknowledged(self) -> None:
        order = self.buy("canpay")
        callback = self.sandbox.pay(self.payment(order))
        for _ in range(3):
            self.deliver(callback)
        self.assertEqual(self.received.paid, [{"gateway": "canpay", "id": order.payment_id, "source": "callback"}])
        self.assertIsNotNone(self.payment(order).acknowledged_at)
        call_command("dargah_reconcile", stdout=io.StringIO())
        self.assertEqual(len(self.received.paid), 1, "the outbox has nothing to send again")

    def test_a_raising_receiver_leaves_the_payment_in_the_outbox(self) -> None:
        order = self.buy("vandar")
        callback = self.sandbox.pay(self.payment(order))
        self.received.raise_on_paid = True
        with self.assertLogs("dargah.django", "ERROR") as logs:
            self.deliver(callback)
        self.assertIn("stays unacknowledged", logs.output[0])
        self.assertEqual([p.id for p in dargah.django.get_client().unacknowledged()], [order.payment_id])
        # The customer reloads: already paid, and the app does not send it again from the request.
        self.deliver(callback)
        self.assertEqual(self.received.paid, [])
        # A reconcile pass while the receiver still fails, then once it works.
        with self.assertLogs("dargah.django", "ERROR"):
            call_command("dargah_reconcile", stdout=io.StringIO(), stderr=io.StringIO())
        self.received.raise_on_paid = False
        output = io.StringIO()
        call_command("dargah_reconcile", stdout=output)
        self.assertIn("payment_paid delivered 1", output.getvalue())
        self.assertEqual(self.received.paid, [{"gateway": "vandar", "id": order.payment_id, "source": "outbox"}])
        self.assertEqual(dargah.django.get_client().unacknowledged(), [])
        self.assertEqual(self.sandbox.verify_calls(self.payment(order)), 1)

    def test_payment_failed(self) -> None:
        order = self.buy("atipay")
        self.deliver(self.sandbox.pay(self.payment(order), "cancel"))
        self.assertEqual(self.received.failed, [{"id": order.payment_id, "kind": "cancelled", "source": "callback", "final": False}])

    def test_a_customer_who_never_came_back_is_reconciled(self) -> None:
        order = self.buy("mupra")
        self.sandbox.pay(self.payment(order))  # paid, then the tab was closed: no callback
        output = io.StringIO()
        call_command("dargah_reconcile", "--min-age", "0", stdout=output)
        self.assertIn(f"{order.payment_id} mupra {order.invoice_id}: newly_paid", output.getvalue())
        self.assertEqual(self.received.paid, [{"gateway": "mupra", "id": order.payment_id, "source": "outbox"}])
        self.assertEqual(Credit.objects.filter(order=order).count(), 1)

    def test_one_client_per_process_across_fork(self) -> None:
        """gunicorn --preload: the master made the client; a forked worker uses it."""
        client = dargah.django.get_client()
        self.assertIs(dargah.django.get_client(), client)
        order = self.buy("mupra")
        callback = self.sandbox.pay(self.payment(order))
        pid = os.fork()
        if pid == 0:  # the worker: the same client object, working
            try:
                same = dargah.django.get_client() is client
                outcome = dargah.django.get_client().handle_callback("mupra", callback.query)
                os._exit(0 if same and outcome.is_newly_paid else 1)
            finally:
                os._exit(2)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        self.assertEqual(self.payment(order).state, dargah.PaymentState.PAID)
        self.assertEqual(self.sandbox.verify_calls(self.payment(order)), 1)

    def test_reconcile_watch_runs_a_pass_every_few_seconds(self) -> None:
        store = Path(tempfile.mkdtemp(prefix="shop-dargah-")) / "dargah.db"
        env = {**os.environ, "DARGAH_CONFIG": json.dumps(self.sandbox.config(store=f"sqlite://{store}"))}
        manage = Path(__file__).resolve().parents[2] / "manage.py"
        watcher = subprocess.Popen(
            [sys.executable, str(manage), "dargah_reconcile", "--watch", "1"], env=env, stdout=subprocess.PIPE, text=True
        )
        stuck = threading.Timer(120, watcher.kill)  # a hung command fails the test instead of hanging it
        stuck.start()
        try:
            assert watcher.stdout is not None
            passes = [watcher.stdout.readline() for _ in range(2)]
        finally:
            stuck.cancel()
            watcher.terminate()
            watcher.wait(timeout=10)
        for line in passes:
            self.assertTrue(line.startswith("reconcile: resolved paid 0"), line)

    def test_dargah_recover_settles_an_in_doubt_callback(self) -> None:
        order = self.buy("vandar")
        callback = self.sandbox.pay(self.payment(order))
        # Vandar's verify fails before it is processed (a lost answer could never be credited:
        # Vandar answers once, and only its verify body is proof).
        self.sandbox.fault("vandar.verify", status=503, count=1)
        with self.assertLogs("dargah.django", "WARNING"):
            response = self.browser.get(callback.path)
        self.assertRedirects(response, order.get_absolute_url(), status_code=303)  # "pending": the order page
        self.assertEqual(self.payment(order).state, dargah.PaymentState.IN_DOUBT)
        output = io.StringIO()
        call_command("dargah_recover", stdout=output)
        self.assertIn("newly_paid", output.getvalue())
        self.assertEqual(self.received.paid, [{"gateway": "vandar", "id": order.payment_id, "source": "outbox"}])
        self.assertEqual(self.sandbox.verify_calls(self.payment(order), processed=True), 1)

    def test_needs_review_and_expired_at_the_deadline(self) -> None:
        store = Path(tempfile.mkdtemp(prefix="shop-dargah-")) / "dargah.db"
        config = self.sandbox.config(store=f"sqlite://{store}")
        for gateway in ("atipay", "mupra"):
            config[gateway]["refund_window_secs"] = 1
        with override_settings(DARGAH=config):
            atipay, mupra = self.buy("atipay"), self.buy("mupra")
            self.sandbox.pay(self.payment(atipay))  # AtiPay cannot verify without its callback
            time.sleep(1.2)
            call_command("dargah_reconcile", "--min-age", "0", stdout=io.StringIO())
            self.assertEqual(self.received.review, [{"id": atipay.payment_id, "source": "outbox"}])
            self.assertEqual(self.received.failed, [{"id": mupra.payment_id, "kind": "expired", "source": "outbox", "final": True}])
            mupra.refresh_from_db()
            self.assertEqual(mupra.status, Order.Status.FAILED)

            admin = User.objects.create_superuser("admin", "admin@shop.example", "pw")
            self.browser.force_login(admin)
            page = self.browser.get("/admin/dargah/payment/")
            self.assertEqual(page.status_code, 200)
            states = [section["state"] for section in page.context["sections"]]
            self.assertEqual(states[0], "needs_review")
            self.assertContains(page, atipay.payment_id)
            detail = self.browser.get(f"/admin/dargah/payment/{atipay.payment_id}/")
            self.assertContains(detail, 'id="review-hint"')
            self.assertNotContains(detail, 'id="check"')

    def test_payments_command_lists_and_shows_history(self) -> None:
        order = self.buy("vandar")
        self.deliver(self.sandbox.pay(self.payment(order)))
        listing = io.StringIO()
        call_command("dargah_payments", "list", "--state", "paid", stdout=listing)
        self.assertIn(order.payment_id, listing.getvalue())
        shown = io.StringIO()
        call_command("dargah_payments", "show", order.payment_id, stdout=shown)
        text = shown.getvalue()
        self.assertIn("state            paid", text)
        self.assertIn("history (1):", text)
        self.assertIn('"verify"', text, "the gateway's raw answers")

    def test_admin_check_again_and_reconcile_now(self) -> None:
        admin = User.objects.create_superuser("admin", "admin@shop.example", "pw")
        staff = Client(HTTP_HOST="localhost")
        staff.force_login(admin)
        order = self.buy("canpay")
        self.sandbox.pay(self.payment(order))  # paid at the gateway; no callback yet
        detail = staff.get(f"/admin/dargah/payment/{order.payment_id}/")
        self.assertContains(detail, "Check again with the gateway")
        response = staff.post(f"/admin/dargah/payment/{order.payment_id}/check/", follow=True)
        self.assertContains(response, "Awaiting the customer → Paid")
        self.assertEqual(self.received.paid, [{"gateway": "canpay", "id": order.payment_id, "source": "outbox"}])
        self.assertContains(response, '<td id="state" data-state="paid">Paid</td>', html=False)
        self.assertContains(response, 'class="event"')

        response = staff.post("/admin/dargah/payment/reconcile/", follow=True)
        self.assertContains(response, "Reconciled: resolved")
        # Read-only: no add, change or delete; staff without the permission see nothing.
        self.assertEqual(staff.get("/admin/dargah/payment/add/").status_code, 404)
        clerk = User.objects.create_user("clerk", password="pw", is_staff=True)
        staff.force_login(clerk)
        self.assertEqual(staff.get("/admin/dargah/payment/").status_code, 403)
        self.assertEqual(staff.post("/admin/dargah/payment/reconcile/").status_code, 403)


class SystemChecks(TestCase):
    sandbox: dargah.testing.Sandbox

    @classmethod
    def setUpClass(cls) -> None:
        # Tests run with DEBUG off, as production does: give the https base URL.
        cls.sandbox = use_sandbox(cls, DARGAH_CALLBACK_BASE_URL="https://shop.example")
        super().setUpClass()

    def ids(self, messages: List[Any]) -> List[str]:
        return [m.id for m in messages]

    def run_checks(self) -> List[Any]:
        from django.core.checks import run_checks

        return [m for m in run_checks(tags=["dargah"])]

    def test_a_good_configuration_passes(self) -> None:
        self.assertEqual(self.run_checks(), [])
        call_command("check", stdout=io.StringIO())

    def test_a_configuration_that_does_not_parse(self) -> None:
        with override_settings(DARGAH={"store": "sqlite:///tmp/x.db", "vandar": {"api_kee": "x"}}):
            [message] = self.run_checks()
            self.assertIsInstance(message, Error)
            self.assertEqual(message.id, "dargah.E002")
            with self.assertRaises(SystemCheckError):
                call_command("check", stdout=io.StringIO(), stderr=io.StringIO())

    def test_an_unreachable_store(self) -> None:
        with override_settings(DARGAH=self.sandbox.config(store="postgres://shop:pw@127.0.0.1:9/shop")):
            self.assertEqual(self.ids(self.run_checks()), ["dargah.E003"])

    def test_callbacks_over_https_in_production(self) -> None:
        with override_settings(DEBUG=False, DARGAH_CALLBACK_BASE_URL="http://shop.example"):
            self.assertEqual(self.ids(self.run_checks()), ["dargah.E005"])
        with override_settings(DEBUG=False, DARGAH_CALLBACK_BASE_URL=None):
            [message] = self.run_checks()
            self.assertIsInstance(message, Warning)
            self.assertEqual(message.id, "dargah.W001")
        with override_settings(DEBUG=False, DARGAH_CALLBACK_BASE_URL="https://shop.example"):
            self.assertEqual(self.run_checks(), [])
            self.assertEqual(dargah.django.callback_url("atipay"), "https://shop.example/payments/callback/atipay/")

    def test_the_exception_reporter_filter(self) -> None:
        with override_settings(DEFAULT_EXCEPTION_REPORTER_FILTER="django.views.debug.SafeExceptionReporterFilter"):
            [message] = self.run_checks()
            self.assertEqual((type(message), message.id), (Warning, "dargah.W003"))

    def test_review_mail_with_nobody_to_tell(self) -> None:
        with override_settings(ADMINS=[]):
            [message] = self.run_checks()
            self.assertEqual((type(message), message.id), (Warning, "dargah.W004"))
            self.assertIn("ADMINS is empty", message.msg)
            with override_settings(DARGAH_REVIEW_MAIL=False):
                self.assertEqual(self.run_checks(), [], "no e-mail wanted: nobody to miss")
        self.assertEqual(self.run_checks(), [], "the shop's ADMINS")

    def test_return_urls(self) -> None:
        with override_settings(DARGAH_RETURN_URLS={"paid": "/", "sucess": "/"}):
            self.assertEqual(self.ids(self.run_checks()), ["dargah.E006"])
        with override_settings(DARGAH_RETURN_URLS={"paid": "/orders/{order_id}/"}):
            self.assertEqual(self.ids(self.run_checks()), ["dargah.E007"])
        with override_settings(DARGAH_ORDER_URL="/admin/orders/order/?q={order}"):
            [message] = self.run_checks()
            self.assertEqual(message.id, "dargah.E007")
            self.assertIn("DARGAH_ORDER_URL", message.msg)
