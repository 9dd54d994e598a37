"""``manage.py check``: the configuration parses, callbacks reach the shop
over https in production, the store answers."""

from __future__ import annotations

from typing import Any, List, Mapping, Optional, Sequence
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.checks import CheckMessage, Error, Warning, register
from django.utils.module_loading import import_string
from django.urls import NoReverseMatch, reverse
from django.views.decorators.debug import sensitive_variables

import dargah

from . import client


@register("dargah")
@sensitive_variables()  # the configuration is a local below
def check_config(app_configs: Optional[Sequence[AppConfig]], **kwargs: Any) -> List[CheckMessage]:
    if getattr(settings, "DARGAH", None) is None:
        return [Error("settings.DARGAH is not set", hint="DARGAH = {...}: what dargah.Client takes.", id="dargah.E001")]
    try:
        dargah.check_config(client.config())
    except (dargah.DargahError, TypeError, ImproperlyConfigured) as e:
        return [Error(f"settings.DARGAH does not parse: {e}", id="dargah.E002")]
    return []


@register("dargah")
@sensitive_variables()  # the configuration is a local below
def check_store(app_configs: Optional[Sequence[AppConfig]], **kwargs: Any) -> List[CheckMessage]:
    if check_config(app_configs):
        return []  # reported above
    try:
        client.get_client().payments(limit=1)
    except dargah.DargahError as e:
        return [Error(f"the Dargah store does not answer: {e}", hint="settings.DARGAH['store']", id="dargah.E003")]
    return []


@register("dargah")
def check_callback_urls(app_configs: Optional[Sequence[AppConfig]], **kwargs: Any) -> List[CheckMessage]:
    messages: List[CheckMessage] = []
    base = client.callback_base_url()
    if base is not None and urlsplit(base).scheme not in ("http", "https"):
        messages.append(Error(f"DARGAH_CALLBACK_BASE_URL {base!r} is not an http(s) URL", id="dargah.E004"))
    elif not settings.DEBUG:
        if base is None:
            messages.append(
                Warning(
                    "DARGAH_CALLBACK_BASE_URL is not set: callback URLs are built from each request",
                    hint="Set it to the shop's https address (behind a proxy, a request may not know it is https).",
                    id="dargah.W001",
                )
            )
        elif urlsplit(base).scheme != "https":
            messages.append(
                Error(
                    f"DARGAH_CALLBACK_BASE_URL is {base!r}: gateways must call the shop back over https in production",
                    id="dargah.E005",
                )
            )
    try:
        reverse("dargah:callback-vandar")
    except NoReverseMatch:
        messages.append(
            Warning(
                "the callback views are not mounted",
                hint='Add path("payments/", include("dargah.django.urls")) to the root URLconf.',
                id="dargah.W002",
            )
        )
    order_url = getattr(settings, "DARGAH_ORDER_URL", None)
    for key, template in [*client.return_urls().items(), *([("DARGAH_ORDER_URL", order_url)] if order_url else [])]:
        try:
            template.format(invoice_id="order-1", payment_id="dp_1", gateway="vandar", kind="newly_paid")
        except (KeyError, ValueError, IndexError, AttributeError) as e:
            messages.append(
                Error(
                    f"{key if key == 'DARGAH_ORDER_URL' else f'DARGAH_RETURN_URLS[{key!r}]'} = {template!r} does not format: {e!r}",
                    hint="Placeholders: {invoice_id}, {payment_id}, {gateway}, {kind}.",
                    id="dargah.E007",
                )
            )
    unknown = set(client.return_urls()) - client.RETURN_URL_KEYS
    if unknown:
        messages.append(
            Error(
                f"DARGAH_RETURN_URLS has unknown keys: {', '.join(sorted(unknown))}",
                hint=f"Use {', '.join(sorted(client.RETURN_URL_KEYS))}.",
                id="dargah.E006",
            )
        )
    return messages


@register("dargah")
@sensitive_variables()  # the configuration is a local below
def check_accounts(app_configs: Optional[Sequence[AppConfig]], **kwargs: Any) -> List[CheckMessage]:
    """``DARGAH_ACCOUNTS`` names, per gateway, a merchant account the configuration has."""
    accounts = getattr(settings, "DARGAH_ACCOUNTS", None) or {}
    if not isinstance(accounts, Mapping):
        return [Error("DARGAH_ACCOUNTS must be a dict of gateway -> account name", id="dargah.E008")]
    if check_config(app_configs):
        return []  # reported above
    messages: List[CheckMessage] = []
    configured = client.config()
    for gateway, account in accounts.items():
        try:
            name = dargah.Gateway(gateway).value
        except ValueError:
            messages.append(Error(f"DARGAH_ACCOUNTS has an unknown gateway {gateway!r}", hint="mupra, canpay, atipay or vandar", id="dargah.E008"))
            continue
        table = configured.get(name) if isinstance(configured, Mapping) else None
        known = ["default"] + sorted((table or {}).get("accounts", {})) if isinstance(configured, Mapping) else None
        if not isinstance(account, str) or (known is not None and account not in known):
            # The value itself is not shown: it may be a credential put in the wrong place.
            messages.append(
                Error(
                    f"DARGAH_ACCOUNTS[{gateway!r}] is not an account of {name}",
                    hint=f"Name one of {', '.join(known)} (the [{name}.accounts.NAME] tables of settings.DARGAH)." if known else None,
                    id="dargah.E009",
                )
            )
    return messages


@register("dargah")
def check_review_mail(app_configs: Optional[Sequence[AppConfig]], **kwargs: Any) -> List[CheckMessage]:
    """The review e-mail goes to ``ADMINS``: with none, nobody is told."""
    from .delivery import nobody_to_tell, review_mail_enabled

    if not review_mail_enabled() or not nobody_to_tell():
        return []
    return [
        Warning(
            "payments that need review are e-mailed to ADMINS, but ADMINS is empty: nobody is told",
            hint="Set ADMINS (each payment waiting is then e-mailed once, by the next dargah_reconcile pass), "
            "or DARGAH_REVIEW_MAIL = False to turn the e-mail off.",
            id="dargah.W004",
        )
    ]


@register("dargah")
def check_exception_reporter_filter(app_configs: Optional[Sequence[AppConfig]], **kwargs: Any) -> List[CheckMessage]:
    """Error reports (debug pages, the e-mails to ADMINS) must not show ``DARGAH``."""
    from .reporting import DargahExceptionReporterFilter

    try:
        configured = import_string(settings.DEFAULT_EXCEPTION_REPORTER_FILTER)
    except ImportError:
        return []  # Django reports it itself
    if isinstance(configured, type) and issubclass(configured, DargahExceptionReporterFilter):
        return []
    return [
        Warning(
            "error reports may show settings.DARGAH: the store password, merchant codes and API keys",
            hint='DEFAULT_EXCEPTION_REPORTER_FILTER = "dargah.django.reporting.DargahExceptionReporterFilter" (or a subclass)',
            id="dargah.W003",
        )
    ]
