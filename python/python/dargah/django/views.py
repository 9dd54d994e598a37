"""The gateways' callback: one view, mounted once per gateway."""

from __future__ import annotations

import logging
from typing import Optional

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

import dargah

from .client import get_client, return_url
from .delivery import announce

logger = logging.getLogger("dargah.django")


def _see_other(url: str) -> HttpResponse:
    # 303: the browser follows with a GET, so reloading the shop's page never re-sends the callback.
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


@sensitive_variables()
def _payment_of(request: HttpRequest) -> Optional[dargah.Payment]:
    """The payment a callback names by Dargah's own reference, if it exists."""
    ref = request.GET.get("dargah_ref")
    if not ref:
        return None
    try:
        return get_client().payment(ref)
    except dargah.DargahError:
        return None


# The gateway's page sends the customer back from the gateway's own site: a
# cross-site POST carries neither the shop's CSRF token nor its (SameSite=Lax)
# session cookie, so this view needs neither. What makes it safe is that
# Dargah asks the gateway itself, once. Not atomic: a slow gateway must never
# hold a database transaction (ATOMIC_REQUESTS) open. Its form (the gateway's
# tokens and receipts) and every local below it are stars in an error report.
@csrf_exempt
@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters()
@sensitive_variables()
def callback(request: HttpRequest, gateway: str) -> HttpResponse:
    try:
        outcome = get_client().handle_callback(gateway, request.GET, request.POST)
    except (dargah.InvalidCallbackError, dargah.UnknownPaymentError, dargah.InvalidInputError) as e:
        logger.warning("refused a %s callback: %r", gateway, e)
        return _see_other(return_url("error", None))
    except dargah.DargahError as e:
        # The gateway did not answer clearly: the payment stays in doubt and
        # dargah_reconcile settles it (and sends payment_paid if it was paid).
        logger.warning("a %s callback is in doubt: %r", gateway, e)
        payment = _payment_of(request)
        return _see_other(return_url("in_progress" if payment else "error", payment))
    logger.info("payment %s (%s): %s callback: %s", outcome.payment_id, outcome.invoice_id, gateway, outcome.kind.value)
    announce(outcome, "callback")
    return _see_other(return_url(outcome.kind.value, outcome.payment))
