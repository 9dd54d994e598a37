"""What the app tells the shop. Every signal's ``sender`` is the gateway name
("vandar"); keyword arguments ``payment`` (``dargah.Payment``) and ``source``:
"callback" (the customer's browser came back), "outbox" (``dargah_reconcile``
delivering a paid payment whose request died, or which it resolved itself)
or "admin" (the admin's actions).

``payment_paid`` — credit the order. Sent once per payment: the app
acknowledges the payment once every receiver returned. A receiver that raises
leaves it unacknowledged, and ``dargah_reconcile`` sends it again later, so
credit idempotently (a unique key on ``payment.id``): a process killed between
your receiver and the acknowledgement also means a second delivery.

``payment_failed`` — the customer cancelled, or the gateway declined
(``kind`` "failed", "cancelled" or "expired"), and ``final``. With ``final``
False (a callback said failed or cancelled and the gateway did not
contradict it) the payment stays open until its deadline: it is not
confirmed yet, never failed for good — the gateway may still confirm it, and
``payment_paid`` then follows. Tell the customer it is not confirmed yet.
With ``final`` True (failed, cancelled or expired for good) the order may be
closed.

``payment_needs_review`` — not paid, and a person must look (an amount or
identity mismatch, a receipt already used, AtiPay without a callback). The
admin lists these first.
"""

from __future__ import annotations

from django.dispatch import Signal

payment_paid = Signal()
payment_failed = Signal()
payment_needs_review = Signal()
