"""``dargah.django``: Dargah as a reusable Django app (``pip install dargah[django]``).

    INSTALLED_APPS += ["dargah.django"]
    DARGAH = {"store": "sqlite:///var/lib/shop/dargah.db", "vandar": {"api_key": "..."}}   # as dargah.Client takes
    DARGAH_CALLBACK_BASE_URL = "https://shop.example"       # where gateways send the customer back
    DARGAH_RETURN_URLS = {"paid": "/orders/{invoice_id}/", "failed": "/orders/{invoice_id}/?retry=1", ...}
    DARGAH_ACCOUNTS = {"vandar": "branch2"}   # optional: the merchant account per gateway ([vandar.accounts.branch2])

    # urls.py
    path("payments/", include("dargah.django.urls"))

    # checkout view
    created, response = dargah.django.start_payment(request, "vandar", order.invoice_id, order.total, mobile=order.mobile)
    order.payment_id = created.id; order.save()
    return response

    # receivers.py (imported from your AppConfig.ready)
    @receiver(dargah.django.signals.payment_paid)
    def credit(sender, payment, **kwargs):
        with transaction.atomic():
            order = Order.objects.select_for_update().get(invoice_id=payment.invoice_id)
            check = dargah.django.check_amount(payment, order.total, order.currency)   # what it costs now
            order.status, order.note = ("paid", "") if check.ok else ("on_hold", check.note)
            order.save()

The callback views verify each payment once and send ``payment_paid`` for
it; ``manage.py dargah_reconcile --watch 60`` resolves payments whose
customer never came back and delivers, through the same signal, every paid
payment whose request died before the receivers finished. The admin lists
payments by state (``needs_review`` first, filtered by state and gateway)
with their reason, order and history; ``ADMINS`` are e-mailed once about each
payment that needs review. ``DEFAULT_EXCEPTION_REPORTER_FILTER =
"dargah.django.reporting.DargahExceptionReporterFilter"`` keeps ``DARGAH`` out
of error reports. ``manage.py check`` checks the configuration, the callback
base URL and the store.
"""

from __future__ import annotations

from .._amount import AmountCheck, Currency, check_amount, to_rial
from .client import callback_url, get_client, start_payment

__all__ = ["AmountCheck", "Currency", "callback_url", "check_amount", "get_client", "start_payment", "to_rial"]
