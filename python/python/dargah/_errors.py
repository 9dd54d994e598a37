"""The exceptions: one base class, one subclass per core error kind.

The Rust extension raises them through ``_from_core``, so this module is the
only table of kinds and classes. Messages come from the core, which never puts
credentials or request bodies into them.
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, Optional, Tuple, Type


class DargahError(Exception):
    """Base of every error Dargah raises.

    ``message`` says what went wrong; for a gateway's own refusal
    ``gateway_code`` and ``gateway_message`` are what the gateway said and
    ``http_status`` its HTTP status. ``kind`` and ``kind_code`` are the core's
    stable error kind (the same names and numbers as the C and PHP bindings).
    """

    kind: ClassVar[str] = "error"
    kind_code: ClassVar[int] = 0
    #: True when the gateway may or may not have acted (a timeout, a reset, a
    #: 5xx, an unreadable answer): never guess the outcome. A payment whose
    #: verify ended so is kept in doubt, and ``Client.recover()`` finds out later.
    in_doubt: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        gateway_code: Optional[str] = None,
        gateway_message: Optional[str] = None,
        http_status: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.gateway_code = gateway_code
        self.gateway_message = gateway_message
        self.http_status = http_status

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        extras = "".join(
            f", {name}={value!r}"
            for name, value in (
                ("gateway_code", self.gateway_code),
                ("gateway_message", self.gateway_message),
                ("http_status", self.http_status),
            )
            if value is not None
        )
        return f"{type(self).__name__}({self.message!r}{extras})"

    def __reduce__(self) -> Tuple[Any, ...]:
        # Keyword-only arguments do not survive the default pickling, and
        # errors cross process boundaries (multiprocessing, Celery).
        return (_rebuild, (type(self), self.message, self.gateway_code, self.gateway_message, self.http_status))


def _rebuild(
    cls: Type[DargahError],
    message: str,
    gateway_code: Optional[str],
    gateway_message: Optional[str],
    http_status: Optional[int],
) -> DargahError:
    return cls(message, gateway_code=gateway_code, gateway_message=gateway_message, http_status=http_status)


class InvalidInputError(DargahError, ValueError):
    """An argument is invalid (amount, mobile, URL, gateway name...). Nothing was sent."""

    kind, kind_code = "invalid_input", 1


class ConfigError(DargahError):
    """The configuration is missing or wrong (unknown key, bad base URL, unconfigured gateway)."""

    kind, kind_code = "config", 2


class UnknownPaymentError(DargahError):
    """No stored payment matches the id, token or reference."""

    kind, kind_code = "unknown_payment", 3


class DuplicateInvoiceError(DargahError):
    """The invoice id was already used with this gateway."""

    kind, kind_code = "duplicate_invoice", 4


class InvalidCallbackError(DargahError):
    """The callback is malformed, contradicts itself or does not match its payment."""

    kind, kind_code = "invalid_callback", 5


class GatewayRejectedError(DargahError):
    """The gateway refused the request; see ``gateway_code``, ``gateway_message``, ``http_status``."""

    kind, kind_code = "gateway_rejected", 6


class MalformedResponseError(DargahError):
    """The gateway answered something that is not its documented format."""

    kind, kind_code, in_doubt = "malformed_response", 7, True


class GatewayUnavailableError(DargahError):
    """The gateway answered 5xx or was otherwise unavailable."""

    kind, kind_code, in_doubt = "gateway_unavailable", 8, True


class NetworkError(DargahError):
    """Connecting to or talking with the gateway failed."""

    kind, kind_code, in_doubt = "network", 9, True


class GatewayTimeoutError(DargahError):
    """The gateway did not answer in time (``http.request_timeout_ms``)."""

    kind, kind_code, in_doubt = "timeout", 10, True


class StoreError(DargahError):
    """The payment store failed (unreadable file, locked too long, corrupt row)."""

    kind, kind_code = "store", 11


class UnsupportedError(DargahError):
    """The gateway cannot do this operation."""

    kind, kind_code = "unsupported", 12


class InternalError(DargahError):
    """A bug in Dargah; please report it."""

    kind, kind_code = "internal", 13


class InDoubtError(DargahError):
    """A money-moving call was sent before under the same idempotency key and
    its result is unknown, so it is not sent again: check the gateway's statement."""

    kind, kind_code, in_doubt = "in_doubt", 14, True


class RateLimitedError(DargahError):
    """The gateway's rate limit did not free a slot within the wait allowed."""

    kind, kind_code = "rate_limited", 15


ERRORS_BY_KIND: Dict[str, Type[DargahError]] = {
    cls.kind: cls
    for cls in (
        InvalidInputError,
        ConfigError,
        UnknownPaymentError,
        DuplicateInvoiceError,
        InvalidCallbackError,
        GatewayRejectedError,
        MalformedResponseError,
        GatewayUnavailableError,
        NetworkError,
        GatewayTimeoutError,
        StoreError,
        UnsupportedError,
        InternalError,
        InDoubtError,
        RateLimitedError,
    )
}


def _from_core(
    kind: str,
    message: str,
    gateway_code: Optional[str] = None,
    gateway_message: Optional[str] = None,
    http_status: Optional[int] = None,
) -> DargahError:
    """The exception for a core error (called by the extension)."""
    cls = ERRORS_BY_KIND.get(kind)
    if cls is None:
        # A kind newer than this table: still a DargahError, and still says what happened.
        cls, message = DargahError, f"{kind}: {message}"
    return cls(message, gateway_code=gateway_code, gateway_message=gateway_message, http_status=http_status)
