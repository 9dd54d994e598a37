"""Dargah: Iranian payment gateways (Mupra, CanPay, AtiPay, Vandar; Sepal
reporting) with verify-once callback handling, on a Rust core.

    client = dargah.Client({"store": "sqlite:///var/lib/shop/dargah.db", "canpay": {"merchant": "..."}})
    created = client.create_payment("canpay", "order-1001", 250_000, "https://shop.example/pay/callback/canpay")
    # send the customer to created.redirect.url (or serve created.redirect.html)
    outcome = client.handle_callback("canpay", request.GET, request.POST)
    if outcome.is_newly_paid:
        ...  # credit the order, then
        client.acknowledge(outcome.payment_id)
    # Crediting, under the order's lock: does it pay what the order costs now?
    check = dargah.check_amount(outcome.payment, order_total, "IRT")   # or "IRR"

Importing this package starts nothing: no thread, runtime or connection.
Nor does it import what most programs never touch: ``dargah.aio``
(asyncio), ``dargah.django`` (Django) and ``dargah.testing`` (the sandbox)
load on first use, as ``import dargah.aio`` or as the attribute
``dargah.aio``.
"""

from . import _log  # noqa: F401  (the `dargah` logger and its NullHandler)
from ._amount import AmountCheck, Currency, check_amount, to_rial
from ._client import CallbackPart, Client, check_config
from ._errors import (
    ConfigError,
    DargahError,
    DuplicateInvoiceError,
    GatewayRejectedError,
    GatewayTimeoutError,
    GatewayUnavailableError,
    InDoubtError,
    InternalError,
    InvalidCallbackError,
    InvalidInputError,
    MalformedResponseError,
    NetworkError,
    RateLimitedError,
    StoreError,
    UnknownPaymentError,
    UnsupportedError,
)
from ._model import (
    Capabilities,
    CreatedPayment,
    Gateway,
    Outcome,
    OutcomeKind,
    Payment,
    PaymentEvent,
    PaymentState,
    RecoverReport,
    Redirect,
    SepalPaymentState,
    VandarOptions,
)
from ._native import OPERATIONS, __version__

__all__ = [
    "OPERATIONS",
    "AmountCheck",
    "CallbackPart",
    "Capabilities",
    "Client",
    "ConfigError",
    "CreatedPayment",
    "Currency",
    "DargahError",
    "DuplicateInvoiceError",
    "Gateway",
    "GatewayRejectedError",
    "GatewayTimeoutError",
    "GatewayUnavailableError",
    "InDoubtError",
    "InternalError",
    "InvalidCallbackError",
    "InvalidInputError",
    "MalformedResponseError",
    "NetworkError",
    "Outcome",
    "OutcomeKind",
    "Payment",
    "PaymentEvent",
    "PaymentState",
    "RateLimitedError",
    "RecoverReport",
    "Redirect",
    "SepalPaymentState",
    "StoreError",
    "UnknownPaymentError",
    "UnsupportedError",
    "VandarOptions",
    "__version__",
    "check_amount",
    "check_config",
    "to_rial",
]

# The submodules loaded on first use (PEP 562): `dargah.aio` after a bare
# `import dargah` imports it then, so `import dargah` pays for none of them
# (python/tests/test_api.py, test_import_dargah_leaves_the_optional_parts_unloaded).
_ON_FIRST_USE = ("aio", "django", "testing")


def __getattr__(name: str) -> object:
    if name in _ON_FIRST_USE:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_ON_FIRST_USE))


# Public classes show (and pickle) as dargah.X rather than dargah._errors.X.
for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, type) and _value.__module__.startswith(__name__ + "._"):
        _value.__module__ = __name__
del _name, _value
