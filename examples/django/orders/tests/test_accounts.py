"""DARGAH_ACCOUNTS: the shop's payments at a gateway go through a named
merchant account, and its callback is verified with that account's
credentials (the sandbox counts calls per credential)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import dargah
import dargah.django
import dargah.testing
from dargah.django.checks import check_accounts
from django.test import Client, TestCase, override_settings

from orders.models import Order

from .support import use_sandbox

MOBILE = "09123456789"


class AccountTests(TestCase):
    sandbox: dargah.testing.Sandbox

    @classmethod
    def setUpClass(cls) -> None:
        cls.sandbox = use_sandbox(cls)
        super().setUpClass()

    def setUp(self) -> None:
        store = Path(tempfile.mkdtemp(prefix="shop-dargah-")) / "dargah.db"
        config = self.sandbox.config(store=f"sqlite://{store}", second_account="branch2")
        accounts = override_settings(DARGAH=config, DARGAH_ACCOUNTS={"canpay": "branch2"})
        accounts.enable()
        self.addCleanup(accounts.disable)
        self.browser = Client(HTTP_HOST="localhost")

    def test_the_setting_chooses_the_account_and_its_credentials_verify(self) -> None:
        before = self.sandbox.credential_calls("sandbox-canpay-merchant-2", "canpay.verify")
        before_default = self.sandbox.credential_calls("sandbox-canpay-merchant", "canpay.verify")
        self.browser.post("/", {"item": "book", "gateway": "canpay", "mobile": MOBILE})
        order = Order.objects.latest("created_at")
        payment = dargah.django.get_client().payment(order.payment_id)
        self.assertEqual(payment.account, "branch2")
        callback = self.sandbox.pay(payment)
        self.browser.post(callback.path, callback.form)
        self.assertEqual(dargah.django.get_client().payment(order.payment_id).state, dargah.PaymentState.PAID)
        self.assertEqual(self.sandbox.credential_calls("sandbox-canpay-merchant-2", "canpay.verify"), before + 1)
        self.assertEqual(self.sandbox.credential_calls("sandbox-canpay-merchant", "canpay.verify"), before_default)
        # Another gateway without an entry uses its default account.
        self.browser.post("/", {"item": "book", "gateway": "vandar", "mobile": MOBILE})
        other = dargah.django.get_client().payment(Order.objects.latest("created_at").payment_id)
        self.assertEqual(other.account, "default")

    def test_manage_py_check_names_an_unknown_account_without_showing_it(self) -> None:
        self.assertEqual(check_accounts(None), [])
        with override_settings(DARGAH_ACCOUNTS={"canpay": "SECRET-looking", "nosuch": "x"}):
            messages = check_accounts(None)
        self.assertEqual(sorted(m.id for m in messages), ["dargah.E008", "dargah.E009"])
        self.assertFalse(any("SECRET" in m.msg for m in messages))
