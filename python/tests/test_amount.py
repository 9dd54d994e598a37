"""dargah.check_amount: a paid payment against what its order costs now."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import AMOUNT, paid

import dargah


@pytest.fixture
def paid_payment(client: dargah.Client, sandbox: object) -> dargah.Payment:
    created, callback = paid(client, sandbox, "vandar")  # type: ignore[arg-type]
    outcome = client.handle_callback("vandar", dict(callback.query), callback.form)
    assert outcome.is_newly_paid
    return outcome.payment


def test_the_order_total_in_rial_or_toman(paid_payment: dargah.Payment) -> None:
    check = dargah.check_amount(paid_payment, AMOUNT)
    assert check and check.ok and check.verdict == "paid" and check.paid_rial == AMOUNT
    assert dargah.check_amount(paid_payment, AMOUNT // 10, "IRT").ok
    assert dargah.check_amount(paid_payment, AMOUNT // 10, "irt").ok
    assert dargah.check_amount(paid_payment, AMOUNT // 10, dargah.Currency.IRT).ok


def test_an_edited_total(paid_payment: dargah.Payment) -> None:
    check = dargah.check_amount(paid_payment, AMOUNT * 10)
    assert not check
    assert (check.verdict, check.expected_rial, check.difference_rial) == ("underpaid", AMOUNT * 10, -AMOUNT * 9)
    assert check.note == "Paid 1,250,000 rial, but the order now costs 12,500,000 rial: needs attention."
    over = dargah.check_amount(paid_payment, AMOUNT - 1)
    assert (over.ok, over.verdict, over.difference_rial) == (False, "overpaid", 1)


def test_a_currency_switch(paid_payment: dargah.Payment) -> None:
    # 1,250,000 was rial when the customer paid; the shop now counts the same number in toman.
    check = dargah.check_amount(paid_payment, AMOUNT, "IRT")
    assert (check.ok, check.expected_rial, check.currency) == (False, AMOUNT * 10, dargah.Currency.IRT)
    assert "12,500,000 rial (1,250,000 IRT)" in check.note


def test_an_unpaid_payment_never_pays_the_order(client: dargah.Client, sandbox: object) -> None:
    created, _ = paid(client, sandbox, "mupra", "cancel")  # type: ignore[arg-type]
    unpaid = client.payment(created.id)
    check = dargah.check_amount(unpaid, AMOUNT)
    assert (check.ok, check.verdict, check.paid_rial) == (False, "not_paid", None)
    assert "not paid" in check.note


def test_bad_totals_and_currencies_are_named(paid_payment: dargah.Payment) -> None:
    with pytest.raises(dargah.InvalidInputError, match="unknown currency 'USD'"):
        dargah.check_amount(paid_payment, AMOUNT, "USD")
    with pytest.raises(dargah.InvalidInputError, match="negative"):
        dargah.to_rial(-1)
    with pytest.raises(dargah.InvalidInputError, match="must be an int or a Decimal, not float"):
        dargah.to_rial(1.5)  # type: ignore[arg-type]
    with pytest.raises(dargah.InvalidInputError, match="must be an int or a Decimal, not bool"):
        dargah.check_amount(paid_payment, True)
    with pytest.raises(dargah.InvalidInputError, match="must be a number, not Decimal\\('NaN'\\)"):
        dargah.to_rial(Decimal("NaN"))
    with pytest.raises(dargah.InvalidInputError, match="negative"):
        dargah.to_rial(Decimal("-1"))
    assert dargah.to_rial(125_000, "IRT") == 1_250_000


def test_a_decimal_total_from_a_decimal_field(paid_payment: dargah.Payment) -> None:
    # Django shops keep prices in DecimalField: a whole number of rial, however many places it shows.
    for total in (Decimal("1250000"), Decimal("1250000.00"), Decimal("1.25E+6")):
        check = dargah.check_amount(paid_payment, total)
        assert (check.ok, check.verdict, check.expected_rial, check.order_total) == (True, "paid", AMOUNT, total)
        assert type(check.expected_rial) is int
    toman = dargah.check_amount(paid_payment, Decimal("125000.0"), "IRT")
    assert (toman.ok, toman.expected_rial, toman.currency) == (True, AMOUNT, dargah.Currency.IRT)
    assert dargah.to_rial(Decimal("12.5"), "IRT") == 125  # a tenth of a toman is a whole rial
    edited = dargah.check_amount(paid_payment, Decimal("1250001.00"))
    assert (edited.ok, edited.verdict, edited.difference_rial) == (False, "underpaid", -1)
    assert edited.note == "Paid 1,250,000 rial, but the order now costs 1,250,001 rial: needs attention."
    assert "12,500,000 rial (1,250,000.00 IRT)" in dargah.check_amount(paid_payment, Decimal("1250000.00"), "IRT").note


def test_a_fraction_of_a_rial_is_refused(paid_payment: dargah.Payment) -> None:
    with pytest.raises(dargah.InvalidInputError, match="an order total of 0.5 IRR is not a whole number of rial"):
        dargah.check_amount(paid_payment, Decimal("0.5"))
    with pytest.raises(dargah.InvalidInputError, match="an order total of 125000.05 IRT is not a whole number of rial"):
        dargah.check_amount(paid_payment, Decimal("125000.05"), "IRT")
    # Exact beyond the decimal context's 28 digits: not rounded to a whole number.
    with pytest.raises(dargah.InvalidInputError, match="not a whole number of rial"):
        dargah.to_rial(Decimal("1" + "0" * 30 + ".5"))
