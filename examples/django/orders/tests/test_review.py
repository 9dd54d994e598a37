"""The owner's review queue: a payment that needs review is e-mailed to
ADMINS once (whatever passes and callbacks follow), listed first in the
admin with its reason, its order and its history, and filtered by state and
gateway."""

from __future__ import annotations

import io
import time

import dargah
import dargah.django
import dargah.testing
from dargah.django.models import ReviewNotice
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.test import Client, override_settings

from orders.models import Order

from .support import SandboxTestCase


class ReviewQueue(SandboxTestCase):
    SANDBOX_SETTINGS = {"DARGAH_CALLBACK_BASE_URL": "http://localhost"}

    def setUp(self) -> None:
        # AtiPay verifies only with its callback's referenceNumber: a customer who
        # paid and closed the tab ends needs_review at the deadline (1 s here).
        self.use_fresh_store(atipay_window_secs=1)
        self.browser = Client(HTTP_HOST="localhost")
        self.owner = Client(HTTP_HOST="localhost")
        self.owner.force_login(User.objects.create_superuser("owner", "owner@shop.example", "pw"))

    def needs_review(self) -> tuple[Order, dargah.testing.Callback]:
        order = self.buy("atipay")
        callback = self.sandbox.pay(self.payment(order))  # paid; the callback is not delivered
        time.sleep(1.2)
        return order, callback

    def reconcile(self) -> str:
        output = io.StringIO()
        call_command("dargah_reconcile", "--min-age", "0", stdout=output)
        return output.getvalue()

    def test_one_email_per_payment_after_two_passes_and_a_late_callback(self) -> None:
        order, callback = self.needs_review()
        first = self.reconcile()
        self.assertIn(f"{order.payment_id}: needs review; ADMINS e-mailed", first)
        self.assertEqual(self.payment(order).state, dargah.PaymentState.NEEDS_REVIEW)
        self.reconcile()
        self.browser.post(callback.path, callback.form)  # the customer's callback, late: needs_review again
        [message] = mail.outbox
        self.assertEqual(message.to, ["owner@shop.example"])
        self.assertIn(order.payment_id, message.subject)
        self.assertIn(order.invoice_id, message.subject)
        self.assertIn(f"Reason: {self.payment(order).note}", message.body)
        self.assertIn(f"Order: /orders/{order.invoice_id}/", message.body)
        self.assertIn(f"http://localhost/admin/dargah/payment/{order.payment_id}/", message.body)
        self.assertEqual(ReviewNotice.objects.filter(payment_id=order.payment_id).count(), 1)

    def test_a_mail_that_fails_is_sent_on_the_next_pass(self) -> None:
        order, _ = self.needs_review()
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=9):
            with self.assertLogs("dargah.django", "ERROR") as logs:
                self.reconcile()
        self.assertIn("the e-mail to ADMINS failed", logs.output[0])
        self.assertFalse(ReviewNotice.objects.exists(), "not told: no notice kept")
        self.reconcile()
        self.reconcile()
        self.assertEqual(len(mail.outbox), 1)

    def test_nobody_told_while_admins_is_empty_then_one_mail_once_set(self) -> None:
        order, callback = self.needs_review()
        with override_settings(ADMINS=[]):
            with self.assertLogs("dargah.django", "INFO") as logs:
                output = self.reconcile()  # the pass that finds it needs review
                self.browser.post(callback.path, callback.form)  # a late callback: needs_review again
            self.assertEqual(self.payment(order).state, dargah.PaymentState.NEEDS_REVIEW)
        said = "\n".join(logs.output)
        self.assertNotIn("ADMINS told", said)
        self.assertNotIn("ADMINS e-mailed", output)
        self.assertIn("owner told of 0 needing review", output)
        self.assertIn("1 payment(s) need review, but ADMINS is empty", said)  # the pass
        self.assertIn(f"payment {order.payment_id} ({order.invoice_id}) needs review, but ADMINS is empty", said)  # the callback
        self.assertEqual(mail.outbox, [])
        self.assertFalse(ReviewNotice.objects.exists(), "nobody told: no notice kept")

        # ADMINS set (the shop's settings again): the next pass tells the owner, once.
        self.assertIn(f"{order.payment_id}: needs review; ADMINS e-mailed", self.reconcile())
        self.reconcile()
        [message] = mail.outbox
        self.assertEqual(message.to, ["owner@shop.example"])
        self.assertIn(order.payment_id, message.subject)
        self.assertEqual(ReviewNotice.objects.filter(payment_id=order.payment_id).count(), 1)

    def test_no_mail_when_turned_off(self) -> None:
        self.needs_review()
        with override_settings(DARGAH_REVIEW_MAIL=False):
            self.reconcile()
        self.assertEqual(mail.outbox, [])

    def test_the_admin_queue_filters_reason_order_and_history(self) -> None:
        review, _ = self.needs_review()
        waiting = self.buy("mupra")
        self.reconcile()
        page = self.owner.get("/admin/dargah/payment/")
        self.assertEqual([s["state"] for s in page.context["sections"]][0], "needs_review")
        reason = self.payment(review).note
        assert reason
        self.assertContains(page, reason)
        self.assertContains(page, f'<a class="order" href="/orders/{review.invoice_id}/">')
        self.assertContains(page, 'class="noticed"><bdi>')
        only_review = self.owner.get("/admin/dargah/payment/?state=needs_review&gateway=atipay")
        self.assertEqual([s["state"] for s in only_review.context["sections"]], ["needs_review"])
        self.assertContains(only_review, review.payment_id)
        self.assertNotContains(only_review, waiting.payment_id)
        self.assertContains(only_review, 'href="?gateway=atipay">')  # "all states", keeping the gateway
        self.assertNotContains(self.owner.get("/admin/dargah/payment/?gateway=mupra"), review.payment_id)
        self.assertContains(self.owner.get("/admin/dargah/payment/?state=bogus&gateway=x"), review.payment_id, msg_prefix="unknown filters are ignored")

        detail = self.owner.get(f"/admin/dargah/payment/{review.payment_id}/")
        self.assertContains(detail, f'<a id="order" href="/orders/{review.invoice_id}/">')
        self.assertContains(detail, 'id="noticed"><bdi>')
        self.assertContains(detail, 'class="event"')
        self.assertContains(detail, 'id="review-hint"')
        # "Check again" is for the open payment; the settled one is not asked again.
        self.assertNotContains(detail, 'id="check"')
        open_detail = self.owner.get(f"/admin/dargah/payment/{waiting.payment_id}/")
        self.assertContains(open_detail, 'id="check"')
