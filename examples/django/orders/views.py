"""Checkout, the gateways' callback, and the order page."""

from __future__ import annotations

import logging
import uuid

import dargah
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import payments
from .models import Order

logger = logging.getLogger(__name__)

#: item -> (name, price in rial)
CATALOG = {
    "book": ("The Shahnameh, illustrated", 1_250_000),
    "pen": ("A fountain pen", 480_000),
}
GATEWAYS = [g.value for g in dargah.Gateway]


def _problem(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "orders/problem.html", {"message": message}, status=status)


@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "orders/checkout.html", {"catalog": CATALOG, "gateways": GATEWAYS})
    item, gateway = request.POST.get("item", ""), request.POST.get("gateway", "")
    mobile = request.POST.get("mobile", "").strip()
    if item not in CATALOG or gateway not in GATEWAYS:
        return _problem(request, "Please choose an item and a way to pay.", 400)
    name, amount = CATALOG[item]
    order = Order.objects.create(item=name, amount=amount, gateway=gateway)
    request.session["orders"] = [*request.session.get("orders", []), str(order.reference)]

    callback_url = request.build_absolute_uri(reverse("callback", args=[gateway]))
    try:
        created = payments.client().create_payment(
            gateway, order.invoice_id, amount, callback_url, mobile=mobile, description=name
        )
    except dargah.InvalidInputError as e:
        Order.objects.filter(pk=order.pk).update(status=Order.Status.FAILED)
        return _problem(request, f"Please check your details: {e.message}.", 400)
    except dargah.DargahError as e:
        logger.warning("order %s: cannot create the %s payment: %r", order.pk, gateway, e)
        Order.objects.filter(pk=order.pk).update(status=Order.Status.FAILED)
        return _problem(request, "The payment gateway could not be reached. Please try again.", 502)
    Order.objects.filter(pk=order.pk).update(payment_id=created.id)

    if created.redirect.is_post:
        return HttpResponse(created.redirect.html)  # a form that submits itself (AtiPay)
    return HttpResponseRedirect(created.redirect.url)


# The gateway's page sends the customer here from the gateway's own site: a
# cross-site POST carries neither our CSRF token nor the (SameSite=Lax) session
# cookie. So this one view is exempt from CSRF and needs no session; what makes
# it safe is that Dargah verifies the payment with the gateway itself, once.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest, gateway: str) -> HttpResponse:
    try:
        outcome = payments.client().handle_callback(gateway, request.GET, request.POST)
    except (dargah.InvalidCallbackError, dargah.UnknownPaymentError, dargah.InvalidInputError) as e:
        logger.warning("refused a %s callback: %r", gateway, e)
        return _problem(request, "This payment link is not valid.", 400)
    except dargah.DargahError as e:
        # The gateway did not answer clearly: the payment stays in doubt and
        # `manage.py dargah_fulfil` (recover, then the outbox) settles it.
        logger.warning("a %s callback is in doubt: %r", gateway, e)
        return _problem(request, "We could not confirm your payment yet. If you paid, your order will be updated shortly.", 503)

    order = get_object_or_404(Order, payment_id=outcome.payment_id)
    logger.info("order %s: %s callback: %s", order.pk, gateway, outcome.kind)
    if outcome.is_newly_paid:
        payments.credit(order, outcome.payment)
    elif outcome.kind in (dargah.OutcomeKind.FAILED, dargah.OutcomeKind.CANCELLED):
        Order.objects.filter(pk=order.pk, status=Order.Status.PENDING).update(status=Order.Status.FAILED)
    # 303: the browser follows with a GET, so reloading the order page never
    # re-sends the callback.
    response = HttpResponseRedirect(order.get_absolute_url())
    response.status_code = 303
    return response


def order_page(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    order = get_object_or_404(Order, reference=reference)
    return render(request, "orders/order.html", {"order": order, "credits": order.credits.all()})
