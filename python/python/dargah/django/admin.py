"""The read-only payments page in Django's admin, the owner's review queue:
payments by state, ``needs_review`` first, filtered by state and gateway,
each with its reason, its order's page and whether the owner was e-mailed;
each payment's history of gateway answers; and two actions, "check again
with the gateway" and "reconcile now"."""

from __future__ import annotations

from typing import Any, Dict, List, Optional
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.db import DatabaseError
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

import dargah

from .client import get_client
from .delivery import order_url, reconcile_pass
from .labels import gateway_label, state_label
from .models import Payment, ReviewNotice

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

    def _notices(self, payment_ids: List[str]) -> Dict[str, Any]:
        """When the owner was e-mailed about each of these payments."""
        try:
            return dict(ReviewNotice.objects.filter(payment_id__in=payment_ids).values_list("payment_id", "noticed_at"))
        except DatabaseError:  # dargah's migration not applied: no notices to show
            return {}

    def changelist_view(self, request: HttpRequest, extra_context: Optional[Dict[str, Any]] = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        # Filters, from the query: an unknown value is ignored (all states / all gateways).
        state = request.GET.get("state") if request.GET.get("state") in {s.value for s in STATE_ORDER} else None
        gateway = request.GET.get("gateway") if request.GET.get("gateway") in {g.value for g in dargah.Gateway} else None
        client = get_client()
        sections: List[Dict[str, Any]] = []
        for section_state in [dargah.PaymentState(state)] if state else STATE_ORDER:
            payments = client.payments(section_state, limit=PER_STATE)
            full = len(payments) == PER_STATE
            if gateway:
                payments = [p for p in payments if p.gateway.value == gateway]
            if payments:
                rows = [{"payment": p, "order_url": order_url(p), "gateway": gateway_label(p.gateway)} for p in payments]
                sections.append({"state": section_state.value, "label": state_label(section_state), "rows": rows, "full": full})
        unacknowledged = {p.id for p in client.unacknowledged(limit=500)}
        notices = self._notices([r["payment"].id for s in sections if s["state"] == "needs_review" for r in s["rows"]])
        context = {
            **self._context(request, _("Payments")),
            "sections": sections,
            "unacknowledged": unacknowledged,
            "notices": notices,
            "state_filters": self._filters("state", state, [(s.value, state_label(s)) for s in STATE_ORDER], gateway=gateway),
            "gateway_filters": self._filters("gateway", gateway, [(g.value, gateway_label(g)) for g in dargah.Gateway], state=state),
        }
        return TemplateResponse(request, "admin/dargah/payment/change_list.html", context)

    @staticmethod
    def _filters(name: str, chosen: Optional[str], choices: List[Any], **kept: Optional[str]) -> List[Dict[str, Any]]:
        """The links of one filter ("all", then each choice), keeping the other filter's choice."""
        links = []
        for value, label in [(None, _("All")), *choices]:
            query = urlencode({k: v for k, v in {**kept, name: value}.items() if v})
            links.append({"label": label, "query": f"?{query}" if query else "?", "selected": value == chosen})
        return links

    def payment_view(self, request: HttpRequest, payment_id: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        client = get_client()
        try:
            payment = client.payment(payment_id)
        except dargah.UnknownPaymentError:
            raise Http404("no such payment") from None
        notice = self._notices([payment.id]).get(payment.id)
        context = {
            **self._context(request, _("Payment %(id)s") % {"id": payment.id}),
            "payment": payment,
            "state_label": state_label(payment.state),
            "gateway_label": gateway_label(payment.gateway),
            "order_url": order_url(payment),
            "noticed_at": notice,
            "history": [{"event": e, "state_label": state_label(e.state)} for e in client.history(payment.id)],
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
            messages.warning(
                request,
                _("%(id)s is %(state)s: settled, the gateway is not asked again.") % {"id": before.id, "state": state_label(before.state)},
            )
        else:
            done = reconcile_pass(min_age_secs=0)
            after = client.payment(payment_id)
            messages.info(
                request,
                _("%(id)s: %(before)s → %(after)s. %(summary)s")
                % {"id": after.id, "before": state_label(before.state), "after": state_label(after.state), "summary": done.summary()},
            )
        return HttpResponseRedirect(reverse("admin:dargah_payment_detail", args=[payment_id]))

    def reconcile_view(self, request: HttpRequest) -> HttpResponse:
        if not self.can_reconcile(request):
            raise PermissionDenied
        done = reconcile_pass()
        messages.info(request, _("Reconciled: %(summary)s") % {"summary": done.summary()})
        return HttpResponseRedirect(reverse("admin:dargah_payment_changelist"))
