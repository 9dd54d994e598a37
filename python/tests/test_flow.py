"""The whole payment flow, per gateway, against the sandbox."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Dict, Iterator, List, Tuple
from urllib.parse import urlencode

import pytest
from conftest import AMOUNT, GATEWAYS, callback_url, invoice, paid

import dargah
from dargah import Gateway, OutcomeKind, PaymentState
from dargah_sandbox import Sandbox


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_pay_verify_once_acknowledge(client: dargah.Client, sandbox: Sandbox, gateway: str) -> None:
    created, callback = paid(client, sandbox, gateway)
    assert created.gateway is Gateway(gateway)
    assert created.state is PaymentState.AWAITING
    assert created.amount == AMOUNT
    assert created.id.startswith("dp_")
    assert isinstance(created, dargah.Payment)

    redirect = created.redirect
    if gateway == "atipay":
        assert redirect.is_post and redirect.method == "POST"
        assert ("token", created.token) in redirect.fields
        assert "<form" in redirect.html and "submit()" in redirect.html
    else:
        assert redirect.method == "GET" and not redirect.fields
        assert redirect.url.startswith(sandbox.base_url)
        assert 'http-equiv="refresh"' in redirect.html
    assert client.redirect(created.id) == redirect

    # The callback goes back to the shop's URL with Dargah's reference added.
    assert callback.url.startswith(callback_url(gateway).split("?")[0])
    assert ("dargah_ref", created.id) in callback.query
    assert callback.method == ("POST" if gateway in ("canpay", "atipay") else "GET")

    outcome = client.handle_callback(gateway, dict(callback.query), callback.form)
    assert outcome.kind is OutcomeKind.NEWLY_PAID
    assert outcome.is_newly_paid and outcome.is_paid
    assert outcome.payment_id == created.id and outcome.invoice_id == created.invoice_id
    assert outcome.amount == AMOUNT
    assert outcome.reference, "the gateway's transaction id or receipt"
    if gateway != "atipay":  # AtiPay's verify answers the amount only
        assert outcome.masked_card and outcome.masked_card.endswith("7890") and "1234" not in outcome.masked_card
    assert outcome.payment.state is PaymentState.PAID
    assert isinstance(outcome.payment.paid_at, datetime) and outcome.payment.paid_at.tzinfo is timezone.utc

    # Every later delivery gets the stored outcome, without asking the gateway again.
    for _ in range(3):
        again = client.handle_callback(gateway, dict(callback.query), callback.form)
        assert again.kind is OutcomeKind.ALREADY_PAID and not again.is_newly_paid and again.is_paid
    assert sandbox.verify_calls(gateway, created.token or "") == 1

    # The outbox: paid, not yet fulfilled, until acknowledged once.
    assert created.id in [p.id for p in client.unacknowledged()]
    assert client.acknowledge(created.id) is True
    assert client.acknowledge(created.id) is False
    assert created.id not in [p.id for p in client.unacknowledged()]

    stored = client.payment(created.id)
    assert stored.state is PaymentState.PAID and stored.acknowledged_at is not None
    assert stored.reference == outcome.reference
    assert [p.id for p in client.payments(PaymentState.PAID)] == [created.id]
    assert [p.id for p in client.payments("paid", limit=1, offset=1)] == []


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_cancelled_payment_is_not_paid(client: dargah.Client, sandbox: Sandbox, gateway: str) -> None:
    created, callback = paid(client, sandbox, gateway, action="cancel")
    outcome = client.handle_callback(gateway, dict(callback.query), callback.form)
    # Vandar's FAILED, like Mupra's and CanPay's callbacks, does not tell declined from cancelled; AtiPay's does.
    assert outcome.kind is (OutcomeKind.CANCELLED if gateway == "atipay" else OutcomeKind.FAILED)
    assert not outcome.is_paid and outcome.masked_card is None
    assert client.unacknowledged() == []


@pytest.mark.parametrize("gateway", ["vandar", "canpay"])
def test_raw_query_string_and_body(client: dargah.Client, sandbox: Sandbox, gateway: str) -> None:
    """What a WSGI app has: QUERY_STRING and the body bytes."""
    created, callback = paid(client, sandbox, gateway)
    query = callback.url.split("?", 1)[1]
    body = urlencode(callback.form).encode()
    assert client.handle_callback(gateway, query, body).is_newly_paid
    # Mixed: the query parsed, the body raw.
    assert client.handle_callback(gateway, dict(callback.query), body).kind is OutcomeKind.ALREADY_PAID


class MultiDict(Mapping[str, str]):
    """The shape of Django's QueryDict and Werkzeug's MultiDict: the last
    value per key as a Mapping, every value through lists()."""

    def __init__(self, pairs: List[Tuple[str, str]]) -> None:
        self._pairs = pairs

    def __getitem__(self, key: str) -> str:
        values = [v for k, v in self._pairs if k == key]
        if not values:
            raise KeyError(key)
        return values[-1]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(k for k, _ in self._pairs))

    def __len__(self) -> int:
        return len(dict.fromkeys(k for k, _ in self._pairs))

    def lists(self) -> List[Tuple[str, List[str]]]:
        return [(key, [v for k, v in self._pairs if k == key]) for key in self]


class StarletteLike(MultiDict):
    """Starlette's QueryParams and FormData: multi_items()."""

    def multi_items(self) -> List[Tuple[str, str]]:
        return list(self._pairs)


@pytest.mark.parametrize("shape", ["dict-of-lists", "lists", "multi_items"])
def test_multi_valued_mappings(client: dargah.Client, sandbox: Sandbox, shape: str) -> None:
    created, callback = paid(client, sandbox, "vandar")
    query = callback.query
    status = [v for k, v in query if k == "payment_status"][0]

    def build(pairs: List[Tuple[str, str]]) -> Mapping[str, object]:
        if shape == "dict-of-lists":
            merged: Dict[str, List[str]] = {}
            for k, v in pairs:
                merged.setdefault(k, []).append(v)
            return merged
        return MultiDict(pairs) if shape == "lists" else StarletteLike(pairs)

    # A key given twice with two different values: which one is true cannot be known.
    conflicting = build(query + [("payment_status", "FAILED" if status == "OK" else "OK")])
    with pytest.raises(dargah.InvalidCallbackError, match="payment_status"):
        client.handle_callback("vandar", conflicting)
    # The same value twice is harmless.
    outcome = client.handle_callback("vandar", build(query + [("payment_status", status)]))
    assert outcome.is_newly_paid
    assert sandbox.verify_calls("vandar", created.token or "") == 1


def test_django_querydict(client: dargah.Client, sandbox: Sandbox) -> None:
    """request.GET and request.POST as Django hands them over."""
    django_settings = pytest.importorskip("django.conf").settings
    if not django_settings.configured:
        django_settings.configure()
    from django.http import QueryDict

    created, callback = paid(client, sandbox, "canpay")
    query = QueryDict(callback.url.split("?", 1)[1])
    form = QueryDict(urlencode(callback.form))
    conflicting = form.copy()
    conflicting.appendlist("success", "0" if form["success"] == "1" else "1")
    with pytest.raises(dargah.InvalidCallbackError, match="success"):
        client.handle_callback("canpay", query, conflicting)
    assert client.handle_callback("canpay", query, form).is_newly_paid


def test_recover_after_a_lost_verify_answer(client: dargah.Client, sandbox: Sandbox) -> None:
    created, callback = paid(client, sandbox, "canpay")
    sandbox.fault("canpay.verify", status=503, count=1)
    with pytest.raises(dargah.GatewayUnavailableError) as caught:
        client.handle_callback("canpay", dict(callback.query), callback.form)
    assert caught.value.in_doubt and "503" in caught.value.message
    assert client.payment(created.id).state is PaymentState.IN_DOUBT

    report = client.recover()
    assert report.errors == {}
    assert [(o.payment_id, o.kind) for o in report.outcomes] == [(created.id, OutcomeKind.NEWLY_PAID)]
    assert [p.id for p in client.unacknowledged()] == [created.id]
    assert client.handle_callback("canpay", dict(callback.query), callback.form).kind is OutcomeKind.ALREADY_PAID


def test_recover_reports_what_is_still_in_doubt(client: dargah.Client, sandbox: Sandbox) -> None:
    created, callback = paid(client, sandbox, "mupra")
    sandbox.fault("mupra.verify", status=502, count=2)
    with pytest.raises(dargah.GatewayUnavailableError):
        client.handle_callback("mupra", dict(callback.query), callback.form)
    report = client.recover()
    assert report.outcomes == []
    assert isinstance(report.errors[created.id], dargah.GatewayUnavailableError)


def test_operations(client: dargah.Client) -> None:
    caps = client.capabilities(Gateway.VANDAR)
    assert caps.once_only_verify and not caps.repeatable_verify
    assert client.capabilities("atipay").post_redirect
    assert client.call("capabilities", {"gateway": "canpay"})["repeatable_verify"] is True
    assert client.call("payments.list") == []
    assert "sepal.payment_state" in dargah.OPERATIONS

    state = client.sepal_payment_state(1755366969864145)
    assert state.successful and state.state == "1" and state.payment_number == "1755366969864145"
