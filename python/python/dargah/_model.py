"""The typed values the client returns, built from the core's JSON shapes."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from enum import Enum
from typing import TYPE_CHECKING, Any, Dict, List, Literal, Mapping, Optional, Tuple, Type, TypedDict, TypeVar

from ._errors import DargahError, _from_core

if TYPE_CHECKING:
    from dataclasses import dataclass
else:  # the same frozen dataclasses, without compiling six methods per class at import (_frozen.py)
    from ._frozen import dataclass


class _StrEnum(str, Enum):
    """A str enum whose str() is its value on every Python version."""

    def __str__(self) -> str:
        return str(self.value)


class Gateway(_StrEnum):
    """The payment gateways. Methods also accept the plain names ("canpay")."""

    MUPRA = "mupra"
    CANPAY = "canpay"
    ATIPAY = "atipay"
    VANDAR = "vandar"


class PaymentState(_StrEnum):
    """A payment's stored state (see the state machine in DESIGN.md)."""

    CREATED = "created"
    AWAITING = "awaiting"
    VERIFYING = "verifying"
    IN_DOUBT = "in_doubt"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    NEEDS_REVIEW = "needs_review"


class OutcomeKind(_StrEnum):
    """What a callback means for the shop."""

    #: Credit the order now: exactly one caller ever gets this for a payment.
    NEWLY_PAID = "newly_paid"
    #: Paid before; do not credit again.
    ALREADY_PAID = "already_paid"
    FAILED = "failed"
    CANCELLED = "cancelled"
    #: Another worker is verifying right now, or the gateway's answer is pending.
    IN_PROGRESS = "in_progress"
    #: Not paid: a person must look (amount or identity mismatch, a replayed receipt).
    NEEDS_REVIEW = "needs_review"


class VandarOptions(TypedDict, total=False):
    """Vandar IPG v4 options for ``create_payment(..., vandar=...)``."""

    national_code: str
    valid_card_number: List[str]
    comment: str
    port: Literal["SAMAN", "BEHPARDAKHT"]


def _time(ms: Optional[int]) -> Optional[datetime]:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


_T = TypeVar("_T")


def _known_fields(cls: Type[_T], data: Mapping[str, Any]) -> Dict[str, Any]:
    """The keys of ``data`` that ``cls`` has: a newer core may send more."""
    return {f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data}  # type: ignore[arg-type]


@dataclass(frozen=True)
class Redirect:
    """How to send the customer to the gateway.

    ``method`` "GET": redirect to ``url``. "POST" (AtiPay): the browser must
    submit ``fields`` to ``url``; serve ``html``, a complete page whose form
    submits itself (with a button for browsers without JavaScript).
    """

    method: Literal["GET", "POST"]
    url: str
    fields: Tuple[Tuple[str, str], ...]
    html: str

    @property
    def is_post(self) -> bool:
        return self.method == "POST"

    @classmethod
    def _from_core(cls, data: Mapping[str, Any]) -> Redirect:
        fields = tuple((str(k), str(v)) for k, v in data.get("fields", ()))
        return cls(method=data["method"], url=data["url"], fields=fields, html=data["html"])


@dataclass(frozen=True)
class Payment:
    """A payment as stored. Amounts are in rial; times are aware UTC datetimes."""

    #: Dargah's own id (``dp_...``), also the ``dargah_ref`` in the callback URL.
    id: str
    gateway: Gateway
    #: The shop's order id, unique per gateway.
    invoice_id: str
    amount: int
    callback_url: str
    state: PaymentState
    token: Optional[str]
    #: The gateway's transaction id or receipt.
    reference: Optional[str]
    #: The trace number as the gateway confirmed it.
    trace_number: Optional[str]
    #: A trace number only the customer's browser sent (AtiPay): digits, at
    #: most 20, **not** confirmed by the gateway — show it labelled, never as proof.
    unverified_trace_number: Optional[str]
    masked_card: Optional[str]
    verified_amount: Optional[int]
    #: Why the payment failed, was cancelled or needs review.
    note: Optional[str]
    created_at: datetime
    updated_at: datetime
    #: Until then an unpaid answer keeps the payment open (the refund window).
    deadline_at: datetime
    paid_at: Optional[datetime]
    acknowledged_at: Optional[datetime]
    #: The merchant account it was created with (``"default"``: the gateway's
    #: own table); its callbacks, recovery and refunds use this account.
    account: str

    @classmethod
    def _fields_from_core(cls, data: Mapping[str, Any]) -> Dict[str, Any]:
        values = _known_fields(Payment, data)
        values["gateway"] = Gateway(data["gateway"])
        values["state"] = PaymentState(data["state"])
        for name in ("created_at", "updated_at", "deadline_at", "paid_at", "acknowledged_at"):
            values[name] = _time(data.get(name))
        return values

    @classmethod
    def _from_core(cls, data: Mapping[str, Any]) -> Payment:
        return Payment(**cls._fields_from_core(data))


@dataclass(frozen=True)
class PaymentEvent:
    """One step of a payment's history: what the gateway answered and the
    state it left the payment in (``dargah payments show`` prints the same)."""

    at: datetime
    #: The claim (lease) this answer was stored under; it rises with every claim.
    fence: int
    state: PaymentState
    #: The gateway's raw answers, as stored (JSON text; credentials never stored).
    raw: str

    @classmethod
    def _from_core(cls, data: Mapping[str, Any]) -> PaymentEvent:
        at = _time(data["at"])
        assert at is not None
        return cls(at=at, fence=int(data["fence"]), state=PaymentState(data["state"]), raw=str(data["raw"]))


@dataclass(frozen=True)
class CreatedPayment(Payment):
    """The answer to ``create_payment``: the new payment and where to send the customer."""

    redirect: Redirect

    @classmethod
    def _from_created(cls, data: Mapping[str, Any]) -> CreatedPayment:
        return cls(**Payment._fields_from_core(data["payment"]), redirect=Redirect._from_core(data["redirect"]))


@dataclass(frozen=True)
class Outcome:
    """The answer to ``handle_callback`` (and each item ``recover`` resolved)."""

    kind: OutcomeKind
    payment: Payment

    @property
    def is_newly_paid(self) -> bool:
        """Credit the order now. True for exactly one caller per payment, ever."""
        return self.kind is OutcomeKind.NEWLY_PAID

    @property
    def is_paid(self) -> bool:
        """Paid, whether newly or before."""
        return self.kind in (OutcomeKind.NEWLY_PAID, OutcomeKind.ALREADY_PAID)

    @property
    def payment_id(self) -> str:
        return self.payment.id

    @property
    def invoice_id(self) -> str:
        return self.payment.invoice_id

    @property
    def amount(self) -> int:
        return self.payment.amount

    @property
    def reference(self) -> Optional[str]:
        """The gateway's transaction id or receipt, once verified."""
        return self.payment.reference

    @property
    def trace_number(self) -> Optional[str]:
        """The trace number as the gateway confirmed it."""
        return self.payment.trace_number

    @property
    def unverified_trace_number(self) -> Optional[str]:
        """A trace number only the customer's browser sent; not proof."""
        return self.payment.unverified_trace_number

    @property
    def masked_card(self) -> Optional[str]:
        return self.payment.masked_card

    @classmethod
    def _from_core(cls, data: Mapping[str, Any]) -> Outcome:
        return cls(kind=OutcomeKind(data["kind"]), payment=Payment._from_core(data["payment"]))


@dataclass(frozen=True)
class RecoverReport:
    """What ``recover`` did: the payments it resolved, and those still in doubt with why."""

    outcomes: List[Outcome]
    errors: Dict[str, DargahError]

    @classmethod
    def _from_core(cls, data: Mapping[str, Any]) -> RecoverReport:
        errors = {
            e["payment_id"]: _from_core(
                e["kind"], e["message"], e.get("gateway_code"), e.get("gateway_message"), e.get("http_status")
            )
            for e in data["errors"]
        }
        return cls(outcomes=[Outcome._from_core(o) for o in data["outcomes"]], errors=errors)


@dataclass(frozen=True)
class Capabilities:
    """What a gateway can do."""

    repeatable_verify: bool
    once_only_verify: bool
    transaction_inquiry: bool
    reconcile_without_callback: bool
    refund: bool
    balance: bool
    post_redirect: bool

    @classmethod
    def _from_core(cls, data: Mapping[str, Any]) -> Capabilities:
        return cls(**_known_fields(cls, data))


@dataclass(frozen=True)
class SepalPaymentState:
    """A payment's state as Sepal reports it."""

    payment_number: str
    #: "1" is successful.
    state: str
    state_label: str
    successful: bool

    @classmethod
    def _from_core(cls, data: Mapping[str, Any]) -> SepalPaymentState:
        return cls(**_known_fields(cls, data))
