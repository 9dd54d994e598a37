"""Every exception: one subclass per core error kind, with the gateway's code,
message and HTTP status, raised for real against the sandbox where a public
call can cause it."""

from __future__ import annotations

import pickle
import socket
from pathlib import Path
from typing import Any, Dict

import pytest
from conftest import AMOUNT, callback_url, invoice, paid

import dargah
from dargah import _native
from dargah._errors import ERRORS_BY_KIND
from dargah_sandbox import Sandbox


def test_every_core_kind_has_its_class() -> None:
    kinds = _native._error_kinds()
    assert {name: code for name, code in kinds} == {cls.kind: cls.kind_code for cls in ERRORS_BY_KIND.values()}
    for name, code in kinds:
        with pytest.raises(dargah.DargahError) as caught:
            _native._raise_core_error(name, f"a {name} error")
        error = caught.value
        assert type(error) is ERRORS_BY_KIND[name]
        assert (error.kind, error.kind_code, error.message, str(error)) == (name, code, f"a {name} error", f"a {name} error")
        assert getattr(dargah, type(error).__name__) is type(error), "exported from the package"
    in_doubt = {cls.kind for cls in ERRORS_BY_KIND.values() if cls.in_doubt}
    assert in_doubt == {"malformed_response", "gateway_unavailable", "network", "timeout", "in_doubt"}


def test_invalid_input(client: dargah.Client) -> None:
    cases: Dict[str, Dict[str, Any]] = {
        "amount": {"amount": 0},
        "mobile": {"mobile": "9123"},
        "callback_url": {"callback_url": "ftp://shop.example/cb"},
        "invoice_id": {"invoice_id": "no spaces allowed"},
        "national_code": {"vandar": {"national_code": "0499370898"}},
    }
    for field, change in cases.items():
        args: Dict[str, Any] = {"invoice_id": invoice(), "amount": AMOUNT, "callback_url": callback_url("vandar"), **change}
        with pytest.raises(dargah.InvalidInputError, match=field) as caught:
            client.create_payment("vandar", **args)
        assert isinstance(caught.value, ValueError), "a bad value is also a ValueError"
    for amount in (-1, 2**70):
        with pytest.raises(dargah.InvalidInputError, match="amount"):
            client.create_payment("canpay", invoice(), amount, callback_url("canpay"))
    with pytest.raises(dargah.InvalidInputError, match="unknown gateway"):
        client.create_payment("paypal", invoice(), AMOUNT, callback_url("canpay"))
    with pytest.raises(dargah.InvalidInputError, match="unknown operation"):
        client.call("no.such.operation")
    with pytest.raises(dargah.InvalidInputError, match="limt"):
        client.call("payments.list", {"limt": 3})
    with pytest.raises(dargah.InvalidInputError, match="state"):
        client.payments("bogus")


def test_config(sandbox: Sandbox, store: str) -> None:
    with pytest.raises(dargah.ConfigError, match="canpay.base_url"):
        dargah.Client({"store": store, "canpay": {"merchant": "m", "base_url": "http://canpay.example/api/ipg/"}})
    with pytest.raises(dargah.ConfigError, match="merchnt"):
        dargah.Client({"store": store, "canpay": {"merchnt": "m"}})
    with pytest.raises(dargah.ConfigError):
        dargah.Client("{not json")
    with pytest.raises(dargah.ConfigError):
        dargah.Client("store = [")
    only_canpay = dargah.Client({"store": store, "canpay": sandbox.client_config(store)["canpay"]})
    with pytest.raises(dargah.ConfigError, match="mupra is not configured"):
        only_canpay.create_payment("mupra", invoice(), AMOUNT, callback_url("mupra"))
    with pytest.raises(dargah.ConfigError):
        only_canpay.sepal_payment_state(1)


def test_config_as_toml(sandbox: Sandbox, tmp_path: Path) -> None:
    canpay = sandbox.client_config("")["canpay"]
    text = f'store = "sqlite://{tmp_path}/t.db"\n[canpay]\nmerchant = "{canpay["merchant"]}"\nbase_url = "{canpay["base_url"]}"\n'
    client = dargah.Client(text)
    assert client.create_payment("canpay", invoice(), AMOUNT, callback_url("canpay")).token


def test_unknown_payment(client: dargah.Client, sandbox: Sandbox) -> None:
    with pytest.raises(dargah.UnknownPaymentError):
        client.payment("dp_nope")
    with pytest.raises(dargah.UnknownPaymentError):
        client.redirect("dp_nope")
    before = sandbox.stats()["calls"].get("vandar.transaction", 0)
    with pytest.raises(dargah.UnknownPaymentError):
        client.handle_callback("vandar", {"token": "forged-token", "payment_status": "OK"})
    assert sandbox.stats()["calls"].get("vandar.transaction", 0) == before, "an unknown token costs no gateway call"


def test_duplicate_invoice(client: dargah.Client) -> None:
    order = invoice()
    client.create_payment("canpay", order, AMOUNT, callback_url("canpay"))
    with pytest.raises(dargah.DuplicateInvoiceError):
        client.create_payment("canpay", order, AMOUNT, callback_url("canpay"))


def test_invalid_callback(client: dargah.Client, sandbox: Sandbox) -> None:
    created, callback = paid(client, sandbox, "vandar")
    query = dict(callback.query)
    with pytest.raises(dargah.InvalidCallbackError, match="twice"):
        client.handle_callback("vandar", query, {"payment_status": "FAILED" if query["payment_status"] == "OK" else "OK"})
    with pytest.raises(dargah.InvalidCallbackError, match="larger|longer"):
        client.handle_callback("vandar", query, {"padding": "x" * 70_000})
    with pytest.raises(dargah.InvalidCallbackError, match="UTF-8"):
        client.handle_callback("vandar", b"token=%ff%fe")
    other, _ = paid(client, sandbox, "vandar")
    with pytest.raises(dargah.InvalidCallbackError, match="another payment"):
        client.handle_callback("vandar", {**query, "token": other.token or ""})
    with pytest.raises(dargah.InvalidCallbackError, match="not vandar|for a"):
        client.handle_callback("mupra", {"dargah_ref": created.id, "token": created.token or "", "status": "OK"})
    assert sandbox.verify_calls("vandar", created.token or "") == 0


def test_gateway_rejected_carries_code_message_status(sandbox: Sandbox, store: str) -> None:
    config = sandbox.client_config(store)
    config["canpay"]["merchant"] = "wrong-merchant-SECRET"
    client = dargah.Client(config)
    with pytest.raises(dargah.GatewayRejectedError) as caught:
        client.create_payment("canpay", invoice(), AMOUNT, callback_url("canpay"))
    error = caught.value
    assert error.http_status == 401
    assert error.gateway_code and error.gateway_message
    assert not error.in_doubt
    for text in (str(error), repr(error), repr(client)):
        assert "SECRET" not in text
    assert repr(client) == "<dargah.Client gateways=mupra,canpay,atipay,vandar>"
    # It survives a trip to another process.
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is dargah.GatewayRejectedError
    assert (copy.message, copy.gateway_code, copy.gateway_message, copy.http_status) == (
        error.message,
        error.gateway_code,
        error.gateway_message,
        error.http_status,
    )


@pytest.mark.parametrize(
    "fault,error",
    [
        ({"malformed_json": True}, dargah.MalformedResponseError),
        ({"status": 503}, dargah.GatewayUnavailableError),
    ],
)
def test_in_doubt_answers(client: dargah.Client, sandbox: Sandbox, fault: Dict[str, Any], error: type) -> None:
    sandbox.fault("canpay.token", count=1, **fault)
    with pytest.raises(error) as caught:
        client.create_payment("canpay", invoice(), AMOUNT, callback_url("canpay"))
    assert caught.value.in_doubt
    if "status" in fault:
        assert caught.value.http_status == 503


def test_network(sandbox: Sandbox, store: str) -> None:
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    config = sandbox.client_config(store)
    config["canpay"]["base_url"] = f"http://127.0.0.1:{closed}/canpay/api/ipg/"
    with pytest.raises(dargah.NetworkError) as caught:
        dargah.Client(config).create_payment("canpay", invoice(), AMOUNT, callback_url("canpay"))
    assert caught.value.in_doubt


def test_timeout(sandbox: Sandbox, store: str) -> None:
    client = dargah.Client(sandbox.client_config(store, http={"request_timeout_ms": 300}))
    sandbox.fault("canpay.token", latency_ms=1500, count=1)
    with pytest.raises(dargah.GatewayTimeoutError) as caught:
        client.create_payment("canpay", invoice(), AMOUNT, callback_url("canpay"))
    assert caught.value.in_doubt


def test_store(tmp_path: Path) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not an SQLite database" * 100)
    with pytest.raises(dargah.StoreError):
        dargah.Client({"store": f"sqlite://{broken}"})
    with pytest.raises(dargah.StoreError):
        dargah.Client({"store": f"sqlite://{tmp_path}/no/such/folder/d.db"})
