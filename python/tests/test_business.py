"""Reporting, money and reconciliation through the wheel, against the sandbox."""

from __future__ import annotations

import pytest
from conftest import AMOUNT, paid

import dargah

IBAN = "IR820540102680020817909002"


def test_mupra_balance_pages_and_a_transfer_that_moves_money_once(client: dargah.Client, sandbox: object) -> None:
    created, callback = paid(client, sandbox, "mupra")  # type: ignore[arg-type]
    assert client.handle_callback("mupra", dict(callback.query), callback.form).is_newly_paid
    start = client.mupra_balance()
    page = client.mupra_transactions(0, 5)
    assert page["result_count"] >= 1
    assert any(t["paid"] for t in client.mupra_all_transactions(5))
    first = client.mupra_paya_transfer("py-paya-1", 10_000, IBAN, "CIF-1", "settle")
    assert client.mupra_paya_transfer("py-paya-1", 10_000, IBAN, "CIF-1", "settle") == first
    assert client.mupra_balance() == start - 10_000
    with pytest.raises(dargah.InvalidInputError, match="mod-97"):
        client.mupra_paya_transfer("py-paya-2", 10_000, IBAN[:-1] + "3", "CIF-1")
    with pytest.raises(dargah.InvalidInputError, match="different request"):
        client.mupra_paya_transfer("py-paya-1", 20_000, IBAN, "CIF-1", "settle")


def test_sepal_inquiry_in_either_calendar(client: dargah.Client) -> None:
    jalali = client.sepal_inquiry(date_from="1401/10/01", date_to="1401/10/30", limit=100)
    gregorian = client.sepal_inquiry(date_from="2022-12-22", date_to="2023-01-20", limit=100)
    assert jalali == gregorian
    sample = next(i for i in jalali["items"] if i["payment_number"] == "1755366969864145")
    assert sample["created"] == {"gregorian": "2023-01-18 16:56:35", "jalali": "1401/10/28 16:56:35"}
    assert client.sepal_gateway_balance()[0]["code"]
    with pytest.raises(dargah.InvalidInputError):
        client.sepal_inquiry(date_from="1401/10/01")


def test_vandar_settlement_refund_and_any_endpoint(client: dargah.Client, sandbox: object) -> None:
    wallet = client.vandar_balance()["data"]["wallet"]
    stored = client.vandar_settlement_store("py-set-1", 50_000, IBAN, "weekly")
    assert stored["data"]["settlement"]["track_id"] == "py-set-1"
    assert client.vandar_balance()["data"]["wallet"] == wallet - 50_000
    created, callback = paid(client, sandbox, "vandar")  # type: ignore[arg-type]
    outcome = client.handle_callback("vandar", dict(callback.query), callback.form)
    assert outcome.is_newly_paid and outcome.reference
    before = client.vandar_balance()["data"]["wallet"]
    client.vandar_refund("py-refund-1", outcome.reference)
    client.vandar_refund("py-refund-1", outcome.reference)
    assert client.vandar_balance()["data"]["wallet"] == before - AMOUNT
    echo = client.vandar_call("GET /v3/business/:business/cash-in/code")
    assert echo["data"]["endpoint"] == "/api/v3/business/:business/cash-in/code"
    assert "POST /v3/business/:business/settlement/store" in client.vandar_endpoints()
    with pytest.raises(dargah.InvalidInputError, match="no business endpoint"):
        client.vandar_call("GET /v3/business/:business/cash-in/cod")


def test_reconcile_credits_a_customer_who_never_came_back(client: dargah.Client, sandbox: object) -> None:
    created, _ = paid(client, sandbox, "vandar")  # type: ignore[arg-type]
    report = client.reconcile(min_age_secs=0)
    assert report["paid"] == 1
    assert [p.id for p in client.unacknowledged()] == [created.id]
