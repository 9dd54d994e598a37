"""Two merchant accounts at every gateway, on the installed wheel: each
payment keeps its account and is verified with that account's credentials
(the sandbox counts calls per credential); a callback at another account's
URL is refused; business calls and refunds go through the right account."""

from __future__ import annotations

from typing import Dict, Tuple

import pytest

import dargah
from conftest import AMOUNT, GATEWAYS, callback_url, invoice
from dargah_sandbox import Sandbox

# The sandbox's two merchant accounts at each gateway (sandbox/README.md).
CREDENTIALS: Dict[str, Tuple[str, str]] = {
    "mupra": ("sandbox-mupra-api-key", "sandbox-mupra-api-key-2"),
    "canpay": ("sandbox-canpay-merchant", "sandbox-canpay-merchant-2"),
    "atipay": ("sandbox-atipay-api-key", "sandbox-atipay-api-key-2"),
    "vandar": ("sandbox-vandar-ipg-api-key", "sandbox-vandar-ipg-api-key-2"),
}

VERIFY = {"mupra": "mupra.verify", "canpay": "canpay.verify", "atipay": "atipay.verify-payment", "vandar": "vandar.verify"}


@pytest.fixture
def shop(sandbox: Sandbox, store: str) -> dargah.Client:
    return dargah.Client(sandbox.client_config(store, second_account="branch2"))


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_each_payment_is_verified_with_its_own_accounts_credentials(shop: dargah.Client, sandbox: Sandbox, gateway: str) -> None:
    verify = VERIFY[gateway]
    default_key, branch2_key = CREDENTIALS[gateway]
    before = (sandbox.credential_calls(default_key, verify), sandbox.credential_calls(branch2_key, verify))
    branch2 = shop.with_account("branch2")
    a = shop.create_payment(gateway, invoice(), AMOUNT, callback_url(gateway), mobile="09123456789")
    b = branch2.create_payment(gateway, invoice(), AMOUNT, callback_url(gateway), mobile="09123456789")
    b2 = shop.create_payment(gateway, invoice(), AMOUNT, callback_url(gateway), mobile="09123456789", account="branch2")
    assert (a.account, b.account, b2.account) == ("default", "branch2", "branch2")
    callbacks = {p.id: sandbox.pay(gateway, p.token or "") for p in (b2, a, b)}

    # B's callback at the default account's callback URL: refused, with no gateway call.
    with pytest.raises(dargah.InvalidCallbackError):
        shop.handle_callback(gateway, dict(callbacks[b.id].query), callbacks[b.id].form, account="default")
    assert sandbox.verify_calls(gateway, b.token or "") == 0

    outcomes = [
        shop.handle_callback(gateway, dict(callbacks[b.id].query), callbacks[b.id].form, account="branch2"),
        shop.handle_callback(gateway, dict(callbacks[a.id].query), callbacks[a.id].form),
        shop.handle_callback(gateway, dict(callbacks[b2.id].query), callbacks[b2.id].form),
    ]
    assert [o.kind for o in outcomes] == [dargah.OutcomeKind.NEWLY_PAID] * 3
    assert [o.payment.account for o in outcomes] == ["branch2", "default", "branch2"]
    after = (sandbox.credential_calls(default_key, verify), sandbox.credential_calls(branch2_key, verify))
    assert (after[0] - before[0], after[1] - before[1]) == (1, 2)
    assert shop.payment(b.id).account == "branch2"


def test_business_calls_and_refunds_use_the_right_account(shop: dargah.Client, sandbox: Sandbox) -> None:
    branch2 = shop.with_account("branch2")
    assert branch2.account == "branch2" and shop.account == "default"
    assert "account=branch2" in repr(branch2)
    assert isinstance(branch2.vandar_balance()["data"]["wallet"], int)
    assert sandbox.credential_calls("sandbox-shop-2", "vandar.business") >= 1
    created = branch2.create_payment("vandar", invoice(), AMOUNT, callback_url("vandar"), mobile="09123456789")
    callback = sandbox.pay("vandar", created.token or "")
    paid = shop.handle_callback("vandar", dict(callback.query), callback.form).payment
    assert paid.account == "branch2" and paid.reference
    # The default account does not hold branch2's transaction; the payment's own account does.
    with pytest.raises(dargah.GatewayRejectedError):
        shop.vandar_refund(f"r-{invoice()}", paid.reference)
    refund = shop.call("vandar.refund", {"idempotency_key": f"r-{invoice()}", "payment_id": paid.id})
    assert refund["data"]["status"] == "DONE"


def test_unknown_accounts_are_named_and_never_echoed(shop: dargah.Client) -> None:
    with pytest.raises(dargah.ConfigError) as e:
        shop.with_account("nosuch")
    assert "nosuch" not in str(e.value)
    with pytest.raises(dargah.ConfigError) as e:
        shop.create_payment("canpay", invoice(), AMOUNT, callback_url("canpay"), account="nosuch")
    assert "nosuch" not in str(e.value) and "default, branch2" in str(e.value)
    with pytest.raises(dargah.InvalidInputError) as bad:
        shop.create_payment("canpay", invoice(), AMOUNT, callback_url("canpay"), account="SECRET key")
    assert "SECRET" not in str(bad.value)
