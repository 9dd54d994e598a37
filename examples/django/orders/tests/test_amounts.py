"""What a paid payment is worth against its order at crediting time: an
order edited after the payment was created goes on hold, never to paid."""

from __future__ import annotations

import dargah
import dargah.django
from django.test import Client

from orders.models import Credit, Order

from .support import MOBILE, SandboxTestCase


class AmountAgainstTheOrder(SandboxTestCase):
    def setUp(self) -> None:
        self.browser = Client(HTTP_HOST="localhost")

    def pay_and_come_back(self, order: Order) -> Order:
        callback = self.sandbox.pay(self.payment(order))
        for _ in range(2):  # the callback, then a reload: one credit either way
            if callback.method == "POST":
                self.browser.post(callback.path, callback.form)
            else:
                self.browser.get(callback.path)
        order.refresh_from_db()
        return order

    def pay_and_come_back_on_hold(self, order: Order) -> Order:
        with self.assertLogs("orders.receivers", "WARNING") as logs:
            order = self.pay_and_come_back(order)
        self.assertEqual(len(logs.output), 1, "one warning: the first delivery decides")
        return order

    def assert_on_hold_and_acknowledged_once(self, order: Order, paid: str, costs: str) -> None:
        self.assertEqual(order.status, Order.Status.ON_HOLD)
        self.assertIn(f"Paid {paid} rial", order.note)
        self.assertIn(f"the order now costs {costs}", order.note)
        [credit] = Credit.objects.filter(order=order)
        self.assertEqual(credit.payment_id, order.payment_id, "the money is recorded")
        self.assertIsNotNone(self.payment(order).acknowledged_at, "the payment is acknowledged")
        self.assertEqual(dargah.django.get_client().unacknowledged(), [])
        self.assertEqual(self.sandbox.verify_calls(self.payment(order)), 1)

    def test_the_right_amount_pays_the_order(self) -> None:
        order = self.pay_and_come_back(self.buy("canpay"))
        self.assertEqual((order.status, order.note), (Order.Status.PAID, ""))

    def test_a_total_edited_after_the_payment_was_created(self) -> None:
        order = self.buy("vandar")  # the customer is sent to pay 1,250,000 rial
        Order.objects.filter(pk=order.pk).update(amount=12_500_000)  # the shop edits the pending order
        order = self.pay_and_come_back_on_hold(order)
        self.assert_on_hold_and_acknowledged_once(order, "1,250,000", "12,500,000 rial")
        self.assertContains(self.browser.get(order.get_absolute_url()), 'data-status="on_hold"')

    def test_a_currency_switched_from_rial_to_toman(self) -> None:
        order = self.buy("mupra")
        # The same number, now toman: ten times the rial.
        Order.objects.filter(pk=order.pk).update(currency=Order.Currency.IRT)
        order = self.pay_and_come_back_on_hold(order)
        self.assert_on_hold_and_acknowledged_once(order, "1,250,000", "12,500,000 rial (1,250,000 IRT)")

    def test_a_toman_order_paid_in_full(self) -> None:
        order = Order.objects.create(item="pen", amount=48_000, currency=Order.Currency.IRT, gateway="vandar")
        request = self.browser.get("/").wsgi_request
        created, _ = dargah.django.start_payment(request, "vandar", order.invoice_id, order.amount_rial, mobile=MOBILE)
        self.assertEqual(created.amount, 480_000)
        Order.objects.filter(pk=order.pk).update(payment_id=created.id)
        order.refresh_from_db()
        self.assertEqual(self.pay_and_come_back(order).status, Order.Status.PAID)

    def test_a_payment_for_part_of_the_order(self) -> None:
        order = Order.objects.create(item="book", amount=1_250_000, gateway="atipay")
        request = self.browser.get("/").wsgi_request
        # A payment of 500,000 rial on an order of 1,250,000.
        created, _ = dargah.django.start_payment(request, "atipay", order.invoice_id, 500_000, mobile=MOBILE)
        Order.objects.filter(pk=order.pk).update(payment_id=created.id)
        order.refresh_from_db()
        order = self.pay_and_come_back_on_hold(order)
        self.assert_on_hold_and_acknowledged_once(order, "500,000", "1,250,000 rial")
        check = dargah.django.check_amount(self.payment(order), order.amount, order.currency)
        self.assertEqual((check.ok, check.verdict, check.difference_rial), (False, "underpaid", -750_000))
