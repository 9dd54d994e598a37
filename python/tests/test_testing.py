"""dargah.testing: the sandbox inside the wheel, its pytest plugin, and what
`import dargah` does not pay for it."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict

import pytest

import dargah
import dargah.testing

pytest_plugins = ["pytester"]


def invoice() -> str:
    return f"kit-{uuid.uuid4().hex[:20]}"


# What each gateway's own callback makes of the customer's three endings.
EXPECTED = {
    ("mupra", "ok"): "newly_paid",
    ("mupra", "fail"): "failed",
    ("mupra", "cancel"): "failed",
    ("canpay", "ok"): "newly_paid",
    ("canpay", "fail"): "failed",
    ("canpay", "cancel"): "failed",
    ("atipay", "ok"): "newly_paid",
    ("atipay", "fail"): "failed",
    ("atipay", "cancel"): "cancelled",
    ("vandar", "ok"): "newly_paid",
    # Vandar's callback says FAILED for both, and its transaction info (code 1, no payment) does not say which.
    ("vandar", "fail"): "failed",
    ("vandar", "cancel"): "failed",
}


@pytest.mark.parametrize("gateway,ending", sorted(EXPECTED))
def test_pay_returns_the_browsers_callback(dargah_sandbox: dargah.testing.Sandbox, dargah_client: dargah.Client, gateway: str, ending: Any) -> None:
    created = dargah_client.create_payment(gateway, invoice(), 120_000, "http://127.0.0.1:9/shop/cb?order=7", mobile="09123456789")
    callback = dargah_sandbox.pay(created, ending)
    assert callback.gateway == gateway
    assert callback.method == ("POST" if gateway in ("canpay", "atipay") else "GET")
    assert callback.url.startswith("http://127.0.0.1:9/shop/cb?order=7&dargah_ref=")
    outcome = dargah_client.handle_callback(callback.gateway, callback.query, callback.form)
    assert outcome.kind.value == EXPECTED[(gateway, ending)]
    assert dargah_sandbox.gateway_payment(created)["status"] == ("paid" if ending == "ok" else "cancelled")
    # A paid payment is verified once; an unpaid one at most once per callback.
    assert dargah_sandbox.verify_calls(created) <= 1
    if ending == "ok":
        assert dargah_sandbox.verify_calls(created) == 1
        assert dargah_client.handle_callback(callback.gateway, callback.query, callback.form).kind is dargah.OutcomeKind.ALREADY_PAID
        assert dargah_sandbox.verify_calls(created) == 1


def test_faults_counters_and_reset(dargah_sandbox: dargah.testing.Sandbox, dargah_client: dargah.Client) -> None:
    created = dargah_client.create_payment("canpay", invoice(), 120_000, "http://127.0.0.1:9/cb")
    callback = dargah_sandbox.pay(created)
    dargah_sandbox.fault("canpay.verify", status=503, count=1)
    assert [f["endpoint"] for f in dargah_sandbox.faults()] == ["canpay.verify"]
    with pytest.raises(dargah.GatewayUnavailableError):
        dargah_client.handle_callback("canpay", callback.query, callback.form)
    assert dargah_sandbox.faults() == [], "a fault with count=1 is used up"
    assert dargah_client.handle_callback("canpay", callback.query, callback.form).is_newly_paid
    assert dargah_sandbox.verify_calls(created) == 2
    assert dargah_sandbox.stats()["calls"]["canpay.token"] >= 1
    dargah_sandbox.reset()
    assert dargah_sandbox.verify_calls(created) == 0
    with pytest.raises(dargah.testing.SandboxError) as refused:
        dargah_sandbox.pay(created)
    assert refused.value.status == 409, "a finished payment cannot be paid again"
    with pytest.raises(ValueError):
        dargah_sandbox.pay(created, "maybe")  # type: ignore[arg-type]


def test_answers_the_documents_leave_open(dargah_sandbox: dargah.testing.Sandbox, dargah_client: dargah.Client) -> None:
    created = dargah_client.create_payment("vandar", invoice(), 120_000, "http://127.0.0.1:9/cb", mobile="09123456789")
    callback = dargah_sandbox.pay(created)
    # A FAILED callback is checked with transaction info, which answers a code
    # Vandar's document does not list: not paid, not closed.
    failed = dict(callback.query, payment_status="FAILED")
    dargah_sandbox.fault("vandar.transaction", set_fields={"code": 7}, count=1)
    outcome = dargah_client.handle_callback(callback.gateway, failed, callback.form)
    assert not outcome.is_paid
    assert dargah_client.payment(created.id).state not in (dargah.PaymentState.PAID, dargah.PaymentState.FAILED)
    assert '"code":7' in "".join(event.raw for event in dargah_client.history(created.id))
    assert dargah_sandbox.verify_calls(created) == 0, "no verify on an answer it cannot read"
    # Asked again with the real answer, it is paid, verified once.
    assert dargah_client.handle_callback(callback.gateway, callback.query, callback.form).is_newly_paid
    assert dargah_sandbox.verify_calls(created) == dargah_sandbox.verify_calls(created, processed=True) == 1


def test_readings_per_payment_and_per_run(dargah_sandbox: dargah.testing.Sandbox, dargah_client: dargah.Client) -> None:
    created = dargah_client.create_payment("vandar", invoice(), 120_000, "http://127.0.0.1:9/cb", mobile="09123456789")
    # This payment alone: a verify of it unpaid would spend Vandar's one answer.
    readings = dargah_sandbox.set_readings(created, vandar_unpaid_verify="spends_answer", vandar_info_unpaid="refused")
    assert readings["vandar_unpaid_verify"] == "spends_answer" and readings["vandar_info_verified"] == "code1"
    assert dargah_sandbox.set_readings()["vandar_unpaid_verify"] == "unspent", "the run's readings are untouched"
    # A forged OK before payment: transaction info refuses, nothing is verified, nothing closes.
    forged = {"token": created.token, "payment_status": "OK"}
    assert dargah_client.handle_callback("vandar", forged).kind is dargah.OutcomeKind.IN_PROGRESS
    assert dargah_sandbox.verify_calls(created) == 0
    assert dargah_client.handle_callback("vandar", dargah_sandbox.pay(created).query).is_newly_paid
    with pytest.raises(dargah.testing.SandboxError) as refused:
        dargah_sandbox.set_readings(vandar_info_verified="code2")
    assert refused.value.status == 400


def test_a_refused_call_is_counted_but_not_processed(dargah_sandbox: dargah.testing.Sandbox, dargah_client: dargah.Client) -> None:
    created = dargah_client.create_payment("mupra", invoice(), 120_000, "http://127.0.0.1:9/cb")
    callback = dargah_sandbox.pay(created)
    dargah_sandbox.set_options(refuse_repeat_verify=True)
    try:
        dargah_sandbox.fault("mupra.verify", status=502, count=1)
        with pytest.raises(dargah.DargahError):
            dargah_client.handle_callback("mupra", callback.query)
        assert (dargah_sandbox.verify_calls(created), dargah_sandbox.verify_calls(created, processed=True)) == (1, 0)
        assert dargah_client.handle_callback("mupra", callback.query).is_newly_paid
        assert dargah_sandbox.verify_calls(created, processed=True) == 1
    finally:
        dargah_sandbox.set_options(refuse_repeat_verify=False)


def test_the_context_manager_serves_then_stops(tmp_path: Path) -> None:
    with dargah.testing.sandbox(refund_window_secs=60) as sb:
        base = sb.base_url
        assert base.startswith("http://127.0.0.1:")
        config = sb.config(store=f"sqlite://{tmp_path}/d.db", lease_secs=120)
        assert config["lease_secs"] == 120 and config["vandar"]["ipg_base_url"] == f"{base}/vandar/ipg"
        client = dargah.Client(config)
        created = client.create_payment("vandar", invoice(), 120_000, "http://127.0.0.1:9/cb", mobile="09123456789")
        with urllib.request.urlopen(created.redirect.url, timeout=10) as page:  # the real payment page
            assert b'id="card"' in page.read()
        assert "stopped" not in repr(sb)
    assert "stopped" in repr(sb)
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{base}/_control/stats", timeout=5)


def test_the_pytest_plugin_needs_no_conftest(pytester: pytest.Pytester) -> None:
    """A shop's own test file, with only `pip install dargah`: the entry point gives the fixtures."""
    pytester.makepyfile(
        test_shop="""
        def test_checkout(dargah_sandbox, dargah_client):
            created = dargah_client.create_payment("canpay", "order-1", 250_000, "http://127.0.0.1/cb/canpay")
            callback = dargah_sandbox.pay(created)
            assert dargah_client.handle_callback("canpay", callback.query, callback.form).is_newly_paid
            assert dargah_sandbox.verify_calls(created) == 1

        def test_counters_start_at_zero(dargah_sandbox):
            assert dargah_sandbox.stats()["calls"] == {}
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_import_dargah_does_not_load_the_kit() -> None:
    probe = (
        "import sys, threading, os; import dargah; "
        "print(json.dumps({'modules': sorted(m for m in sys.modules if m.startswith('dargah')), "
        "'threads': len(os.listdir('/proc/self/task'))}))"
    )
    out = subprocess.run([sys.executable, "-c", "import json; " + probe], capture_output=True, text=True, check=True).stdout
    loaded: Dict[str, Any] = json.loads(out)
    assert loaded["modules"] == ["dargah", "dargah._amount", "dargah._client", "dargah._errors", "dargah._frozen", "dargah._log", "dargah._model", "dargah._native"]
    assert loaded["threads"] == 1, "importing dargah starts no thread"
