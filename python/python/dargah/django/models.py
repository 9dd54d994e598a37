"""Dargah's payments live in Dargah's own store (SQLite, PostgreSQL or
MariaDB, possibly shared with PHP or other hosts), not in Django's database,
so copying them into a model would make a second truth. ``Payment`` is an
unmanaged model with no table, only so the admin has an entry for the
read-only payments page (admin.py) and Django's permissions apply to it:
"view" to see payments, "reconcile" to ask the gateways again. It is never
queried.

``ReviewNotice`` is the one table: not a payment, but the shop's own memory
that its owner was told a payment needs review, so that several web servers
and every reconcile pass send one e-mail per payment."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _


class Payment(models.Model):
    class Meta:
        managed = False
        default_permissions = ("view",)
        permissions = [("reconcile_payment", _("Can check payments again with their gateways"))]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")


class ReviewNotice(models.Model):
    """The owner was told (``mail_admins``) that this payment needs review.
    The unique key makes the telling happen once, whoever gets there first."""

    payment_id: "models.CharField[str, str]" = models.CharField(max_length=64, unique=True)
    gateway: "models.CharField[str, str]" = models.CharField(max_length=16)
    invoice_id: "models.CharField[str, str]" = models.CharField(max_length=255)
    noticed_at: "models.DateTimeField[datetime, datetime]" = models.DateTimeField(auto_now_add=True)

    class Meta:
        default_permissions = ()
        verbose_name = _("review notice")
        verbose_name_plural = _("review notices")

    def __str__(self) -> str:
        return f"{self.payment_id} ({self.invoice_id})"
