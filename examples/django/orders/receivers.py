"""The shop's side of Dargah: what an order becomes when its payment is paid or fails.

dargah.django sends ``payment_paid`` once per paid payment, from the callback
view or, if that request died, from ``manage.py dargah_reconcile``; it
acknowledges the payment once this receiver returned. Crediting is keyed on
the payment id anyway (a unique key), so a second delivery changes nothing.
"""

from __future__ import annotations

from typing import Any

import dargah
from dargah.django.signals import payment_failed, payment_paid
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from .models import Credit, Order


@receiver(payment_paid)
def credit(sender: str, payment: dargah.Payment, **kwargs: Any) -> None:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(payment_id=payment.id)
        Credit.objects.get_or_create(
            payment_id=payment.id,
            defaults={
                "order": order,
                "amount": payment.verified_amount or payment.amount,
                "reference": payment.reference or "",
                "masked_card": payment.masked_card or "",
            },
        )
        Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID, paid_at=payment.paid_at or timezone.now())


@receiver(payment_failed)
def mark_failed(sender: str, payment: dargah.Payment, final: bool = True, **kwargs: Any) -> None:
    # Never a paid order: a late "failed" never undoes a payment. A payment still
    # open (`final` False) is only not confirmed yet: the gateway may still confirm it.
    status = Order.Status.FAILED if final else Order.Status.UNCONFIRMED
    Order.objects.filter(payment_id=payment.id, status__in=[Order.Status.PENDING, Order.Status.UNCONFIRMED]).update(status=status)
