"""Checkout and the order page. The gateways' callback is dargah.django's
view (payments/callback/<gateway>/); it sends the customer to the order page."""

from __future__ import annotations

import logging
import uuid

import dargah
import dargah.django
from dargah.django.labels import gateway_label, isolate
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods

from .models import Order

logger = logging.getLogger(__name__)

#: item -> (name, price in rial). The name is stored in English (and sent to
#: the gateway as the description); pages show it translated.
CATALOG = {
    "book": (gettext_noop("The Shahnameh, illustrated"), 1_250_000),
    "pen": (gettext_noop("A fountain pen"), 480_000),
}
GATEWAYS = [g.value for g in dargah.Gateway]


def _problem(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "orders/problem.html", {"message": message}, status=status)


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        gateways = [(gateway, gateway_label(gateway)) for gateway in GATEWAYS]
        return render(request, "orders/checkout.html", {"catalog": CATALOG, "gateways": gateways})
    item, gateway = request.POST.get("item", ""), request.POST.get("gateway", "")
    mobile = request.POST.get("mobile", "").strip()
    if item not in CATALOG or gateway not in GATEWAYS:
        return _problem(request, _("Please choose an item and a way to pay."), 400)
    name, amount = CATALOG[item]
    order = Order.objects.create(item=name, amount=amount, gateway=gateway)
    request.session["orders"] = [*request.session.get("orders", []), order.invoice_id]
    try:
        # A redirect to the gateway, or (AtiPay) a form that submits itself.
        created, response = dargah.django.start_payment(request, gateway, order.invoice_id, order.amount_rial, mobile=mobile, description=name)
    except dargah.InvalidInputError as e:
        Order.objects.filter(pk=order.pk).update(status=Order.Status.FAILED)
        return _problem(request, _("Please check your details: %(problem)s.") % {"problem": isolate(e.message)}, 400)
    except dargah.DargahError as e:
        logger.warning("order %s: cannot create the %s payment: %r", order.pk, gateway, e)
        Order.objects.filter(pk=order.pk).update(status=Order.Status.FAILED)
        return _problem(request, _("The payment gateway could not be reached. Please try again."), 502)
    Order.objects.filter(pk=order.pk).update(payment_id=created.id)
    return response


def order_page(request: HttpRequest, invoice_id: str) -> HttpResponse:
    """Addressed by the invoice id, which holds an unguessable UUID: the
    customer reaches it without a session (a gateway's POST back carries none)."""
    try:
        reference = uuid.UUID(invoice_id.removeprefix("order-"))
    except ValueError:
        raise Http404("no such order") from None
    order = get_object_or_404(Order, reference=reference)
    return render(request, "orders/order.html", {"order": order, "gateway_label": gateway_label(order.gateway), "credits": order.credits.all()})


def payment_problem(request: HttpRequest) -> HttpResponse:
    return _problem(request, _("This payment link is not valid."), 400)
