"""What a paid payment is worth against the order it pays, at crediting time.

The core proves that the gateway verified the amount the payment was
*created* with. Between that moment and the credit the shop may have edited
the order (a new total, a recalculation, IRR switched to IRT): only the shop
knows what the order costs now, so the shop compares, under its own order
lock, with ``check_amount``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Optional, Union

from ._errors import InvalidInputError
from ._model import Payment, PaymentState, _StrEnum

if TYPE_CHECKING:
    from dataclasses import dataclass
else:  # the same frozen dataclasses, without compiling six methods per class at import (_frozen.py)
    from ._frozen import dataclass

#: Rial per toman (the core's RIAL_PER_TOMAN).
RIAL_PER_TOMAN = 10


class Currency(_StrEnum):
    """An order's currency: Dargah's amounts are always rial."""

    IRR = "IRR"
    #: The toman, WooCommerce's "IRT": ten rial.
    IRT = "IRT"


#: An order's total as a shop keeps it: an ``int``, or a ``Decimal`` (what
#: Django's ``DecimalField`` holds) that comes to a whole number of rial.
Total = Union[int, Decimal]


def to_rial(amount: Total, currency: Union[Currency, str] = Currency.IRR) -> int:
    """``amount`` of ``currency`` ("IRR" or "IRT", any case) in rial.
    ``amount`` is an ``int`` or a ``Decimal`` (``Decimal("1250000.00")`` is
    1,250,000; ``Decimal("12.5")`` toman is 125 rial); one that is not a whole
    number of rial (``Decimal("0.5")`` rial), a negative one, a ``float``, a
    ``bool`` or an unknown currency is an ``InvalidInputError`` naming it."""
    if isinstance(amount, bool) or not isinstance(amount, (int, Decimal)):
        raise InvalidInputError(f"an order total must be an int or a Decimal, not {type(amount).__name__}")
    if isinstance(amount, Decimal) and not amount.is_finite():
        raise InvalidInputError(f"an order total must be a number, not Decimal({str(amount)!r})")
    if amount < 0:
        raise InvalidInputError(f"an order total cannot be negative ({amount})")
    unit = _currency(currency)
    factor = RIAL_PER_TOMAN if unit is Currency.IRT else 1
    if isinstance(amount, int):
        return amount * factor
    # Exact, whatever the decimal context's precision: a fraction of two ints.
    numerator, denominator = amount.as_integer_ratio()
    rial, rest = divmod(numerator * factor, denominator)
    if rest:
        raise InvalidInputError(
            f"an order total of {amount} {unit.value} is not a whole number of rial: Dargah's amounts are whole rial"
        )
    return rial


def _currency(currency: Union[Currency, str]) -> Currency:
    try:
        return Currency(str(currency).upper())
    except ValueError:
        raise InvalidInputError(f"unknown currency {str(currency)[:16]!r}: Dargah knows IRR (rial) and IRT (toman)") from None


def _rial(amount: int) -> str:
    return f"{amount:,} rial"


@dataclass(frozen=True)
class AmountCheck:
    """The answer of ``check_amount``. True (``ok``) when the payment pays the
    order exactly; otherwise ``note`` says why, naming both amounts, for the
    order's history and the owner."""

    ok: bool
    #: What the gateway verified, in rial (None: the payment is not paid).
    paid_rial: Optional[int]
    #: What the order costs now, in rial.
    expected_rial: int
    #: The order's total as the shop gave it (an ``int`` or a ``Decimal``), and its currency.
    order_total: Total
    currency: Currency
    #: "paid", "not_paid", "underpaid" or "overpaid".
    verdict: str

    def __bool__(self) -> bool:
        return self.ok

    @property
    def difference_rial(self) -> int:
        """Paid minus expected (negative: the customer paid too little)."""
        return (self.paid_rial or 0) - self.expected_rial

    @property
    def note(self) -> str:
        total = _rial(self.expected_rial)
        if self.currency is Currency.IRT:
            total += f" ({self.order_total:,} IRT)"
        if self.paid_rial is None:
            return f"The payment is not paid; the order costs {total}."
        if self.ok:
            return f"Paid {_rial(self.paid_rial)}, the order's total."
        return f"Paid {_rial(self.paid_rial)}, but the order now costs {total}: needs attention."


def check_amount(payment: Payment, order_total: Total, currency: Union[Currency, str] = Currency.IRR) -> AmountCheck:
    """Compare a paid payment with what its order costs **now**:
    ``order_total`` in ``currency`` ("IRR" or "IRT"), read under the order's
    lock in the same transaction that credits it: an ``int``, or a
    ``Decimal`` from a ``DecimalField`` that comes to whole rial (else an
    ``InvalidInputError``, as from ``to_rial``). The paid amount is the
    gateway's verified one (else the amount the payment was created with,
    which the core checked against it).

        with transaction.atomic():
            order = Order.objects.select_for_update().get(payment_id=payment.id)
            check = dargah.check_amount(payment, order.total, order.currency)
            if check.ok: mark paid
            else: put the order on hold with check.note

    A payment not in the ``paid`` state is never ``ok`` (verdict "not_paid")."""
    expected = to_rial(order_total, currency)
    unit = _currency(currency)
    if payment.state is not PaymentState.PAID:
        return AmountCheck(False, None, expected, order_total, unit, "not_paid")
    paid = payment.verified_amount if payment.verified_amount is not None else payment.amount
    verdict = "paid" if paid == expected else ("underpaid" if paid < expected else "overpaid")
    return AmountCheck(verdict == "paid", paid, expected, order_total, unit, verdict)
