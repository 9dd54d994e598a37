"""An order, and the money received for it."""

from __future__ import annotations

import uuid

import dargah
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for payment")
        #: The customer came back without a confirmed payment, and it is still open at the gateway.
        UNCONFIRMED = "unconfirmed", _("Payment not confirmed yet: if you paid, this page shows it once the gateway confirms")
        PAID = "paid", _("Paid")
        #: Paid, but not what the order costs now (its total or currency was
        #: edited after the payment was created): the shop must look.
        ON_HOLD = "on_hold", _("Payment received, the shop is checking it")
        FAILED = "failed", _("Payment did not go through")

    class Currency(models.TextChoices):
        IRR = "IRR", _("rial")
        IRT = "IRT", _("toman")

    #: The order page's address: unguessable, so the customer can reach it
    #: without a session (a gateway's POST back to us carries none).
    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    item = models.CharField(max_length=100)
    #: The total in ``currency``; the shop may edit it while the order is pending.
    amount = models.PositiveBigIntegerField(help_text="in the order's currency")
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.IRR)
    gateway = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    #: Dargah's id of the payment the customer was sent to pay.
    payment_id = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    #: Why the order is on hold (both amounts), for the owner.
    note = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.item} ({self.invoice_id})"

    @property
    def invoice_id(self) -> str:
        """The id the gateway sees: unique per order, for ever."""
        return f"order-{self.reference.hex}"

    @property
    def amount_rial(self) -> int:
        """What the customer is asked to pay, in rial."""
        return dargah.to_rial(self.amount, self.currency)

    def get_absolute_url(self) -> str:
        return reverse("order", args=[self.invoice_id])


class Credit(models.Model):
    """Money received for an order. One row per paid payment (a unique key),
    so an order can never be credited twice for one payment, even by mistake."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="credits")
    payment_id = models.CharField(max_length=64, unique=True)
    amount = models.PositiveBigIntegerField(help_text="rial")
    reference = models.CharField(max_length=100, blank=True)
    masked_card = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.amount} rial for {self.order}"
