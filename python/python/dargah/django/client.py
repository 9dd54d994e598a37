"""The process-wide client, the app's settings, and starting a payment."""

from __future__ import annotations

import os
import threading
from typing import Any, Dict, Mapping, Optional, Tuple, Union
from urllib.parse import urljoin

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.debug import sensitive_variables

import dargah

_client: Optional[dargah.Client] = None
_lock = threading.Lock()


def _new_lock_in_child() -> None:
    # A lock held by another thread at fork() stays held in the child. The
    # client itself survives fork() (it rebuilds its runtime per process).
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_new_lock_in_child)


# sensitive_variables(): every local of this frame and those it calls (the
# configuration, as a dict or as text) is stars in an error report.
@sensitive_variables()
def config() -> Union[Mapping[str, Any], str]:
    """``settings.DARGAH``: what ``dargah.Client`` takes (a dict, or JSON/TOML text)."""
    value = getattr(settings, "DARGAH", None)
    if value is None:
        raise ImproperlyConfigured("dargah.django needs settings.DARGAH (the dargah.Client configuration)")
    if not isinstance(value, (Mapping, str)):
        raise ImproperlyConfigured(f"settings.DARGAH must be a dict or JSON/TOML text, not {type(value).__name__}")
    return value


@sensitive_variables()
def get_client() -> dargah.Client:
    """The one ``dargah.Client`` of this process, made from ``settings.DARGAH``
    on first use. Making it opens the store and brings its tables up to date:
    SQLite opens (or creates) the database file; PostgreSQL and MySQL/MariaDB
    connect to the server (at most 5 s) and migrate under a lock, keeping
    that connection in the process's pool. So a store that cannot be reached
    raises ``dargah.StoreError`` here. It starts no thread and calls no
    gateway. A preloaded gunicorn master may make it: each forked worker
    leaves the master's connections alone, opens its own, and shares the
    client across its threads."""
    global _client
    client = _client
    if client is None:
        with _lock:
            if _client is None:
                _client = dargah.Client(config())
            client = _client
    return client


@receiver(setting_changed)
def _forget_client(setting: str, **kwargs: Any) -> None:
    global _client
    if setting == "DARGAH":
        with _lock:
            _client = None


#: Outcome group -> where the customer lands, when DARGAH_RETURN_URLS does not say.
DEFAULT_RETURN_URLS: Dict[str, str] = {
    "paid": "/",
    "failed": "/",
    "pending": "/",
    "needs_review": "/",
    "error": "/",
}

#: Which group each callback outcome belongs to (an exact kind in DARGAH_RETURN_URLS wins).
OUTCOME_GROUPS: Dict[str, str] = {
    "newly_paid": "paid",
    "already_paid": "paid",
    "failed": "failed",
    "cancelled": "failed",
    "in_progress": "pending",
    "needs_review": "needs_review",
}

RETURN_URL_KEYS = frozenset(DEFAULT_RETURN_URLS) | frozenset(OUTCOME_GROUPS)


def return_urls() -> Dict[str, str]:
    urls = dict(DEFAULT_RETURN_URLS)
    urls.update(getattr(settings, "DARGAH_RETURN_URLS", None) or {})
    return urls


def return_url(kind: str, payment: Optional[dargah.Payment]) -> str:
    """The shop's page for ``kind`` (an outcome kind, a group, or "error"),
    with ``{invoice_id}``, ``{payment_id}``, ``{gateway}`` and ``{kind}`` filled in."""
    urls = return_urls()
    template = urls.get(kind) or urls[OUTCOME_GROUPS.get(kind, "error")]
    if payment is None:
        return template
    return template.format(invoice_id=payment.invoice_id, payment_id=payment.id, gateway=payment.gateway.value, kind=kind)


def account_for(gateway: Union[dargah.Gateway, str]) -> Optional[str]:
    """The merchant account ``settings.DARGAH_ACCOUNTS`` chooses for
    ``gateway`` (``{"vandar": "branch2"}``), or None: the gateway's default."""
    accounts: Mapping[str, str] = getattr(settings, "DARGAH_ACCOUNTS", None) or {}
    name = dargah.Gateway(gateway).value if isinstance(gateway, dargah.Gateway) else str(gateway)
    return accounts.get(name)


def callback_base_url() -> Optional[str]:
    base: Optional[str] = getattr(settings, "DARGAH_CALLBACK_BASE_URL", None)
    return base


def callback_url(gateway: Union[dargah.Gateway, str], request: Optional[HttpRequest] = None) -> str:
    """The absolute URL of this app's callback view for ``gateway``: on
    ``DARGAH_CALLBACK_BASE_URL`` when set (behind a proxy, the request may
    not know it is https), else on the request's own host."""
    try:
        name = dargah.Gateway(gateway).value
    except ValueError:
        raise dargah.InvalidInputError(f"unknown gateway {gateway!r}") from None
    path = reverse(f"dargah:callback-{name}")
    base = callback_base_url()
    if base:
        return urljoin(base.rstrip("/") + "/", path.lstrip("/"))
    if request is None:
        raise ImproperlyConfigured("set DARGAH_CALLBACK_BASE_URL, or pass the request to build the callback URL from")
    return request.build_absolute_uri(path)


def start_payment(
    request: HttpRequest,
    gateway: Union[dargah.Gateway, str],
    invoice_id: str,
    amount: int,
    **options: Any,
) -> Tuple[dargah.CreatedPayment, HttpResponse]:
    """Create the payment (its callback is this app's view) and the response
    that sends the customer to pay: a redirect, or AtiPay's self-submitting form.
    ``options`` are ``create_payment``'s (``mobile``, ``description``, ``vandar``,
    ``account``). Without ``account``, ``settings.DARGAH_ACCOUNTS[gateway]``
    names the merchant account (e.g. ``{"vandar": "branch2"}``), else the
    gateway's default one; the payment keeps it for its callback.
    Errors are ``dargah.DargahError``: ``InvalidInputError`` for the
    customer's input, the others for the gateway."""
    if options.get("account") is None:
        options["account"] = account_for(gateway)
    created = get_client().create_payment(gateway, invoice_id, amount, callback_url(gateway, request), **options)
    if created.redirect.is_post:
        return created, HttpResponse(created.redirect.html)
    return created, HttpResponseRedirect(created.redirect.url)
