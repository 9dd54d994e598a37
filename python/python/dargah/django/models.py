"""No tables. Dargah's payments live in Dargah's own store (SQLite,
PostgreSQL or MariaDB, possibly shared with PHP or other hosts), not in
Django's database, so copying them into a model would make a second truth.
``Payment`` is an unmanaged model with no table, only so the admin has an
entry for the read-only payments page (admin.py) and Django's permissions
apply to it: "view" to see payments, "reconcile" to ask the gateways again.
It is never queried."""

from __future__ import annotations

from django.db import models


class Payment(models.Model):
    class Meta:
        managed = False
        default_permissions = ("view",)
        permissions = [("reconcile_payment", "Can check payments again with their gateways")]
        verbose_name = "payment"
        verbose_name_plural = "payments"
