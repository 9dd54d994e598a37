"""The read-only payments page in Django's admin: payments by state,
``needs_review`` first, each payment's history of gateway answers, and two
actions, "check again with the gateway" and "reconcile now"."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

import dargah

from .client import get_client
from .delivery import reconcile_pass
from .models import Payment

#: The order of the page: what needs a person first, then what is still open, then the settled.
STATE_ORDER = [
    dargah.PaymentState.NEEDS_REVIEW,
    dargah.PaymentState.IN_DOUBT,
    dargah.PaymentState.VERIFYING,
    dargah.PaymentState.AWAITING,
    dargah.PaymentState.CREATED,
    dargah.PaymentState.PAID,
    dargah.PaymentState.FAILED,
    dargah.PaymentState.CANCELLED,
    dargah.PaymentState.EXPIRED,
]
OPEN_STATES = {dargah.PaymentState.IN_DOUBT, dargah.PaymentState.VERIFYING, dargah.PaymentState.AWAITING, dargah.PaymentState.CREATED}
PER_STATE = 50


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Optional[Any] = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Optional[Any] = None) -> bool:
        return False

    def can_reconcile(self, request: HttpRequest) -> bool:
        return request.user.has_perm("dargah.reconcile_payment")  # type: ignore[union-attr]

    def get_urls(self) -> List[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("", wrap(self.changelist_view), name="dargah_payment_changelist"),
            path("reconcile/", wrap(require_POST(self.reconcile_view)), name="dargah_payment_reconcile"),
            path("<str:payment_id>/", wrap(self.payment_view), name="dargah_payment_detail"),
            path("<str:payment_id>/check/", wrap(require_POST(self.check_view)), name="dargah_payment_check"),
        ]

    def _context(self, request: HttpRequest, title: str) -> Dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "can_reconcile": self.can_reconcile(request),
        }

    def changelist_view(self, request: HttpRequest, extra_context: Optional[Dict[str, Any]] = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        client = get_client()
        sections = []
        for state in STATE_ORDER:
            payments = client.payments(state, limit=PER_STATE)
            if payments:
                sections.append({"state": state.value, "payments": payments, "full": len(payments) == PER_STATE})
        unacknowledged = {p.id for p in client.unacknowledged(limit=500)}
        context = {**self._context(request, "Payments"), "sections": sections, "unacknowledged": unacknowledged}
        return TemplateResponse(request, "admin/dargah/payment/change_list.html", context)

    def payment_view(self, request: HttpRequest, payment_id: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        client = get_client()
        try:
            payment = client.payment(payment_id)
        except dargah.UnknownPaymentError:
            raise Http404("no such payment") from None
        context = {
            **self._context(request, f"Payment {payment.id}"),
            "payment": payment,
            "history": client.history(payment.id),
            "is_open": payment.state in OPEN_STATES,
            "unacknowledged": payment.state is dargah.PaymentState.PAID and payment.acknowledged_at is None,
        }
        return TemplateResponse(request, "admin/dargah/payment/detail.html", context)

    def check_view(self, request: HttpRequest, payment_id: str) -> HttpResponse:
        """Ask the gateway about this payment now. The core resolves open
        payments only within a reconciliation pass, so this runs one with no
        minimum age (every open payment is asked, this one included) and
        reports what became of this one."""
        if not self.can_reconcile(request):
            raise PermissionDenied
        client = get_client()
        try:
            before = client.payment(payment_id)
        except dargah.UnknownPaymentError:
            raise Http404("no such payment") from None
        if before.state not in OPEN_STATES:
            messages.warning(request, f"{before.id} is {before.state.value}: settled, the gateway is not asked again.")
        else:
            done = reconcile_pass(min_age_secs=0)
            after = client.payment(payment_id)
            messages.info(request, f"{after.id}: {before.state.value} → {after.state.value}. {done.summary()}")
        return HttpResponseRedirect(reverse("admin:dargah_payment_detail", args=[payment_id]))

    def reconcile_view(self, request: HttpRequest) -> HttpResponse:
        if not self.can_reconcile(request):
            raise PermissionDenied
        done = reconcile_pass()
        messages.info(request, f"Reconciled: {done.summary()}")
        return HttpResponseRedirect(reverse("admin:dargah_payment_changelist"))
