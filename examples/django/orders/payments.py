"""The shop's side of Dargah: one client per process, crediting an order."""

from __future__ import annotations

import threading
from typing import Any, Optional

import dargah
from django.conf import settings
from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from .models import Credit, Order

_client: Optional[dargah.Client] = None
_lock = threading.Lock()


def client() -> dargah.Client:
    """The Dargah client, made on first use. Making it starts no thread or
    connection, so it is safe in a preloaded gunicorn master too; share it."""
    global _client
    with _lock:
        if _client is None:
            _client = dargah.Client(settings.DARGAH)
        return _client


@receiver(setting_changed)
def _forget_client(setting: str, **kwargs: Any) -> None:
    global _client
    if setting == "DARGAH":
        with _lock:
            _client = None


def credit(order: Order, paid: dargah.Payment) -> None:
    """Record the money and mark the order paid, then tell Dargah the payment
    is fulfilled. Idempotent (a unique key on the payment id), so the outbox
    sweep may repeat it after a crash between the two steps."""
    with transaction.atomic():
        Credit.objects.get_or_create(
            payment_id=paid.id,
            defaults={
                "order": order,
                "amount": paid.verified_amount or paid.amount,
                "reference": paid.reference or "",
                "masked_card": paid.masked_card or "",
            },
        )
        Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID, paid_at=paid.paid_at or timezone.now())
    client().acknowledge(paid.id)


def fulfil_unacknowledged() -> int:
    """Resolve payments left in doubt, then credit every paid payment the shop
    has not acknowledged (a crash after `newly_paid`). Run it every few minutes."""
    dargah_client = client()
    dargah_client.recover()
    done = 0
    for paid in dargah_client.unacknowledged():
        order = Order.objects.filter(payment_id=paid.id).first()
        if order is not None:
            credit(order, paid)
            done += 1
    return done
