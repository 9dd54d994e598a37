"""Sending the signals, and acknowledging what ``payment_paid`` delivered.
Shared by the callback views, the management commands and the admin."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

from django.conf import settings
from django.core.mail import mail_admins
from django.db import DatabaseError, IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

import dargah

from .client import callback_base_url, get_client
from .labels import gateway_label, note_label
from .signals import payment_failed, payment_needs_review, payment_paid

logger = logging.getLogger("dargah.django")

#: A paid payment younger than this is left to the request that was told
#: NEWLY_PAID (its receivers may still be running); the outbox takes it after.
DEFAULT_OUTBOX_GRACE_SECS = 60


def deliver_paid(payment: dargah.Payment, source: str) -> bool:
    """Send ``payment_paid``; acknowledge the payment if every receiver
    returned. False (and each error logged) leaves it in the outbox."""
    responses = payment_paid.send_robust(sender=payment.gateway.value, payment=payment, source=source)
    errors = [(r, e) for r, e in responses if isinstance(e, Exception)]
    for receiver, error in errors:
        logger.error(
            "payment %s (%s): payment_paid receiver %r raised; it stays unacknowledged and is sent again",
            payment.id,
            payment.invoice_id,
            receiver,
            exc_info=error,
        )
    if errors:
        return False
    try:
        get_client().acknowledge(payment.id)
    except dargah.DargahError as e:
        # Delivered, but the store did not take the acknowledgement: the
        # outbox sends it again later, and the receivers are idempotent.
        logger.warning("payment %s: delivered, but the acknowledgement failed: %r", payment.id, e)
    return True


def _send_robust(signal: Any, payment: dargah.Payment, source: str, **extra: Any) -> None:
    for receiver, error in signal.send_robust(sender=payment.gateway.value, payment=payment, source=source, **extra):
        if isinstance(error, Exception):
            logger.error("payment %s: receiver %r raised", payment.id, receiver, exc_info=error)


def announce(outcome: dargah.Outcome, source: str, *, tell: bool = True) -> bool:
    """The signal an outcome calls for (and, for ``needs_review``, the
    owner's e-mail unless ``tell`` is False: a reconcile pass tells them all
    at its end). True unless a ``payment_paid`` receiver raised."""
    kind, payment = outcome.kind, outcome.payment
    if kind is dargah.OutcomeKind.NEWLY_PAID:
        return deliver_paid(payment, source)
    if kind in (dargah.OutcomeKind.FAILED, dargah.OutcomeKind.CANCELLED):
        reported = "expired" if payment.state is dargah.PaymentState.EXPIRED else kind.value
        # Told failed while still open: the gateway may confirm it before its deadline.
        final = payment.state in (dargah.PaymentState.FAILED, dargah.PaymentState.CANCELLED, dargah.PaymentState.EXPIRED)
        _send_robust(payment_failed, payment, source, kind=reported, final=final)
    elif kind is dargah.OutcomeKind.NEEDS_REVIEW:
        _send_robust(payment_needs_review, payment, source)
        if tell:
            tell_owner(payment)
    return True


def review_mail_enabled() -> bool:
    return bool(getattr(settings, "DARGAH_REVIEW_MAIL", True))


def nobody_to_tell() -> bool:
    """``ADMINS`` is empty: ``mail_admins`` would send nothing, so no notice
    is recorded and the payment is told once ``ADMINS`` is set."""
    return not getattr(settings, "ADMINS", None)


def _admin_link(payment: dargah.Payment) -> str:
    try:
        path = reverse("admin:dargah_payment_detail", args=[payment.id])
    except NoReverseMatch:  # the admin is not mounted
        return ""
    base = callback_base_url()
    return base.rstrip("/") + path if base else path


def tell_owner(payment: dargah.Payment) -> bool:
    """E-mail ``ADMINS`` (``mail_admins``) that ``payment`` needs review,
    once per payment: a ``ReviewNotice`` row, written in the same transaction
    as the sending, is the memory. Whichever web server or reconcile pass gets
    there first sends it; the others find the row. A mail that fails rolls the
    row back, so the next pass tries again. With ``ADMINS`` empty nothing is
    sent or recorded (a warning is logged): a pass after ``ADMINS`` is set
    sends it. True if this call sent it."""
    if not review_mail_enabled() or payment.state is not dargah.PaymentState.NEEDS_REVIEW:
        return False
    if nobody_to_tell():
        logger.warning(
            "payment %s (%s) needs review, but ADMINS is empty: nobody was e-mailed; it is sent once ADMINS is set",
            payment.id,
            payment.invoice_id,
        )
        return False
    from .models import ReviewNotice  # models import the app registry: not at module load

    facts = {"id": payment.id, "invoice": payment.invoice_id, "gateway": gateway_label(payment.gateway), "amount": f"{payment.amount:,}"}
    subject = _("Payment %(id)s needs review (order %(invoice)s, %(gateway)s)") % facts
    lines = [
        _("Payment %(id)s of order %(invoice)s (%(gateway)s, %(amount)s rial) needs review.") % facts,
        _("Reason: %(reason)s") % {"reason": note_label(payment.note) or "-"},
        _(
            "Dargah does not ask the gateway again: look the payment up in the gateway's panel; "
            "if it was paid, fulfil the order by hand or refund it there."
        ),
    ]
    order_link = order_url(payment)
    if order_link:
        lines.append(_("Order: %(url)s") % {"url": order_link})
    admin_link = _admin_link(payment)
    if admin_link:
        lines.append(_("Payment and its history: %(url)s") % {"url": admin_link})
    try:
        with transaction.atomic():
            ReviewNotice.objects.create(payment_id=payment.id, gateway=payment.gateway.value, invoice_id=payment.invoice_id)
            mail_admins(subject, "\n\n".join(lines), fail_silently=False)
    except IntegrityError:
        return False  # told already (another server, an earlier pass)
    except DatabaseError as e:
        logger.warning("payment %s needs review; the notice was not recorded (run migrate for dargah): %r", payment.id, e)
        return False
    except Exception as e:  # the mail server; the row was rolled back with it
        logger.error("payment %s needs review; the e-mail to ADMINS failed, tried again on the next pass: %r", payment.id, e)
        return False
    logger.info("payment %s (%s) needs review: ADMINS told", payment.id, payment.invoice_id)
    return True


def tell_owner_of_every_review(limit: int = 200) -> List[str]:
    """``tell_owner`` for every payment in ``needs_review`` that has no
    notice yet (one that ended so on another host, or in PHP): run by each
    reconcile pass. The ids told now."""
    if not review_mail_enabled():
        return []
    from .models import ReviewNotice

    waiting = get_client().payments(dargah.PaymentState.NEEDS_REVIEW, limit=limit)
    try:
        told = set(ReviewNotice.objects.filter(payment_id__in=[p.id for p in waiting]).values_list("payment_id", flat=True))
    except DatabaseError as e:
        logger.warning("review notices cannot be read (run migrate for dargah): %r", e)
        return []
    untold = [p for p in waiting if p.id not in told]
    if untold and nobody_to_tell():
        # One line per pass, not one per payment.
        logger.warning(
            "%d payment(s) need review, but ADMINS is empty: nobody was e-mailed; they are sent once ADMINS is set",
            len(untold),
        )
        return []
    return [p.id for p in untold if tell_owner(p)]


def order_url(payment: dargah.Payment) -> str:
    """The shop's page for the payment's order, from ``DARGAH_ORDER_URL``
    (``"/admin/orders/order/?q={invoice_id}"``; the placeholders of
    ``DARGAH_RETURN_URLS``), or "" when it is not set."""
    template: Optional[str] = getattr(settings, "DARGAH_ORDER_URL", None)
    if not template:
        return ""
    return template.format(invoice_id=payment.invoice_id, payment_id=payment.id, gateway=payment.gateway.value, kind=payment.state.value)


def outbox_grace() -> timedelta:
    return timedelta(seconds=getattr(settings, "DARGAH_OUTBOX_GRACE_SECS", DEFAULT_OUTBOX_GRACE_SECS))


def drain_outbox(limit: int = 100, now: Optional[datetime] = None) -> "Drained":
    """``payment_paid`` for every paid payment not acknowledged yet and paid
    longer ago than ``DARGAH_OUTBOX_GRACE_SECS``."""
    drained = Drained()
    cutoff = (now or datetime.now(timezone.utc)) - outbox_grace()
    for payment in get_client().unacknowledged(limit):
        if payment.paid_at is not None and payment.paid_at > cutoff:
            drained.waiting.append(payment.id)
        elif deliver_paid(payment, "outbox"):
            drained.delivered.append(payment.id)
        else:
            drained.failed.append(payment.id)
    return drained


@dataclass
class Drained:
    delivered: List[str] = field(default_factory=list)
    #: A receiver raised: sent again on the next pass.
    failed: List[str] = field(default_factory=list)
    #: Paid moments ago: the callback request's own delivery may still be running.
    waiting: List[str] = field(default_factory=list)


@dataclass
class Pass:
    """One ``reconcile_pass``: what recover and reconcile resolved, and the outbox."""

    resolved: Dict[str, int]
    still_waiting: int
    in_doubt: int
    drained: Drained
    outcomes: List[dargah.Outcome]
    #: Payments whose owner was e-mailed in this pass: they need review.
    told: List[str] = field(default_factory=list)

    def summary(self) -> str:
        counts = " / ".join(f"{kind} {n}" for kind, n in self.resolved.items())
        d = self.drained
        return (
            f"resolved {counts}; still waiting {self.still_waiting}; in doubt {self.in_doubt}; "
            f"payment_paid delivered {len(d.delivered)}, receiver failed {len(d.failed)}, paid moments ago {len(d.waiting)}; "
            f"owner told of {len(self.told)} needing review"
        )


def reconcile_pass(*, min_age_secs: int = 120, limit: int = 200) -> Pass:
    """Recover in-doubt payments, reconcile those whose customer never came
    back, signal what they resolved, then drain the outbox."""
    client = get_client()
    recovered = client.recover(limit)
    report = client.reconcile(min_age_secs=min_age_secs, limit=limit)
    outcomes = list(recovered.outcomes) + [dargah.Outcome._from_core(o) for o in report.get("outcomes", [])]
    drained = Drained()
    for outcome in outcomes:
        delivered = announce(outcome, "outbox", tell=False)
        if outcome.is_newly_paid:
            (drained.delivered if delivered else drained.failed).append(outcome.payment_id)
    # Paid payments the pass did not just deliver (a raising receiver is not retried in the same pass).
    seen = set(drained.delivered) | set(drained.failed)
    later = drain_outbox(limit)
    drained.delivered += [p for p in later.delivered if p not in seen]
    drained.failed += [p for p in later.failed if p not in seen]
    drained.waiting += later.waiting
    told = tell_owner_of_every_review(limit)
    resolved = {k: int(report.get(k, 0)) for k in ("paid", "failed", "cancelled", "expired", "needs_review")}
    resolved["paid"] += sum(1 for o in recovered.outcomes if o.is_newly_paid)
    return Pass(resolved, int(report.get("still_waiting", 0)), int(report.get("in_doubt", 0)) + len(recovered.errors), drained, outcomes, told)
