"""dargah.check_amount: a paid payment against what its order costs now."""

from __future__ import annotations

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
    with pytest.raises(dargah.InvalidInputError, match="must be an int, not float"):
        dargah.to_rial(1.5)  # type: ignore[arg-type]
    assert dargah.to_rial(125_000, "IRT") == 1_250_000
