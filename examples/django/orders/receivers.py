"""The shop's side of Dargah: what an order becomes when its payment is paid or fails.

dargah.django sends ``payment_paid`` once per paid payment, from the callback
view or, if that request died, from ``manage.py dargah_reconcile``; it
acknowledges the payment once this receiver returned. Crediting is keyed on
the payment id anyway (a unique key), so a second delivery changes nothing.

Dargah proves the gateway verified the amount the payment was created with;
the order may have changed since (its total edited, its currency switched).
So the credit compares, under the order's row lock, what was paid with what
the order costs at that moment: a difference puts the order on hold with a
note naming both amounts. The receiver still returns, so the payment is
acknowledged (once): the money is recorded, a person decides the rest.
"""

from __future__ import annotations

import logging
from typing import Any

import dargah
import dargah.django
from dargah.django.signals import payment_failed, payment_paid
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from .models import Credit, Order

logger = logging.getLogger(__name__)


@receiver(payment_paid)
def credit(sender: str, payment: dargah.Payment, **kwargs: Any) -> None:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(payment_id=payment.id)
        check = dargah.django.check_amount(payment, order.amount, order.currency)
        _, first_delivery = Credit.objects.get_or_create(
            payment_id=payment.id,
            defaults={
                "order": order,
                "amount": check.paid_rial,
                "reference": payment.reference or "",
                "masked_card": payment.masked_card or "",
            },
        )
        if not first_delivery:
            return  # delivered again: what the first delivery decided stands (a person may have changed it since)
        if check.ok:
            Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID, paid_at=payment.paid_at or timezone.now())
        else:
            logger.warning("order %s: %s (payment %s)", order.invoice_id, check.note, payment.id)
            Order.objects.filter(pk=order.pk).update(status=Order.Status.ON_HOLD, note=check.note, paid_at=payment.paid_at or timezone.now())


@receiver(payment_failed)
def mark_failed(sender: str, payment: dargah.Payment, final: bool = True, **kwargs: Any) -> None:
    # Never a paid order: a late "failed" never undoes a payment. A payment still
    # open (`final` False) is only not confirmed yet: the gateway may still confirm it.
    status = Order.Status.FAILED if final else Order.Status.UNCONFIRMED
    Order.objects.filter(payment_id=payment.id, status__in=[Order.Status.PENDING, Order.Status.UNCONFIRMED]).update(status=status)
