"""Nothing secret shown (issue 14), on the installed wheel.

Every secret a configuration can hold is a distinct canary: the sandbox's
own credentials (the accepted ones, for the flows that succeed), and made-up
canaries (for wrong keys, the store password and the proxy's credentials).
Every flow runs, failures included; everything a shop could see is
collected — reprs, exception messages, reprs and tracebacks, every log
record with all its attributes, stdout and stderr, and every stored row —
and searched: no canary anywhere.
"""

from __future__ import annotations

import logging
import sqlite3
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

import dargah

from conftest import GATEWAYS, callback_url, invoice, paid

# Made-up canaries for the flows that must fail.
WRONG = {
    "mupra": {"api_key": "CANARY-mupra-key-4e1f"},
    "canpay": {"merchant": "CANARY-canpay-merchant-93ab"},
    "atipay": {"apiKey": "CANARY-atipay-key-27cd", "terminalId": "CANARY-terminal"},
    "vandar": {"api_key": "CANARY-vandar-key-5b60", "access_token": "CANARY-vandar-access-81f2", "refresh_token": "CANARY-vandar-refresh-c4d9"},
    "sepal": {"password": "CANARY-sepal-password-6a7e", "api_key": "CANARY-sepal-key-0d35"},
}
STORE_PASSWORD = "CANARY-store-password-f00d"
PROXY_USER, PROXY_PASSWORD = "canary-proxy-user-77", "CANARY-proxy-password-beef"
TOKEN_KEY = "CANARY-token-encryption-key-9c2e-0123456789"


def secrets_of(config: Dict[str, Any]) -> List[str]:
    """Every credential in a configuration (what must never be shown)."""
    found = []
    for section in ("mupra", "canpay", "atipay", "vandar", "sepal"):
        for key in ("api_key", "apiKey", "merchant", "access_token", "refresh_token", "password"):
            value = config.get(section, {}).get(key)
            if value:
                found.append(value)
    return found


class Seen(logging.Handler):
    """Every log record of the `dargah` loggers, rendered with all its attributes."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.text: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.text.append(f"{record.name} {record.getMessage()} {record.__dict__!r}")


@pytest.fixture
def seen() -> Any:
    handler = Seen()
    logger = logging.getLogger("dargah")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def test_no_secret_in_any_output(sandbox: Any, config: Dict[str, Any], tmp_path: Path, seen: Seen, capfd: Any) -> None:
    outputs: List[str] = []

    def attempt(action: Callable[[], Any]) -> Any:
        """Run one step; keep its answer or every view of its exception."""
        try:
            answer = action()
            outputs.append(repr(answer))
            return answer
        except Exception as e:  # noqa: BLE001 — every failure is an output to search
            outputs.extend([str(e), repr(e), "".join(traceback.format_exception(type(e), e, e.__traceback__)), repr(vars(e))])
            return None

    # The accepted credentials: every flow, then the gateways failing in every way.
    config = {**config, "token_encryption_key": TOKEN_KEY}
    client = dargah.Client(config)
    outputs.append(repr(client))
    for gateway in GATEWAYS:
        created, callback = paid(client, sandbox, gateway)
        attempt(lambda: client.handle_callback(gateway, dict(callback.query), callback.form))
        attempt(lambda: client.handle_callback(gateway, dict(callback.query), callback.form))
        attempt(lambda: client.acknowledge(created.id))
        attempt(lambda: client.events(created.id))
        attempt(lambda: client.history(created.id))
        created, callback = paid(client, sandbox, gateway, "cancel")
        attempt(lambda: client.handle_callback(gateway, dict(callback.query), callback.form))
    for operation in ("vandar.balance", "mupra.balance", "vandar.settlement_banks"):
        attempt(lambda: client.call(operation))
    attempt(lambda: client.sepal_payment_state(1))
    verify = {"mupra": "mupra.verify", "canpay": "canpay.verify", "atipay": "atipay.verify-payment", "vandar": "vandar.verify"}
    faults: List[Dict[str, Any]] = [{"status": 401}, {"status": 500}, {"status": 503}, {"malformed_json": True}, {"latency_ms": 2500}, {"drop_after_process": True}]
    fast = dargah.Client({**config, "http": {"request_timeout_ms": 1000}})
    for gateway in GATEWAYS:
        for fault in faults:
            created, callback = paid(fast, sandbox, gateway)
            sandbox.fault(verify[gateway], **fault)
            attempt(lambda: fast.handle_callback(gateway, dict(callback.query), callback.form))
            sandbox.clear_faults()
    attempt(lambda: fast.recover(50))
    attempt(lambda: fast.reconcile(min_age_secs=0))
    for endpoint in ("vandar.business", "mupra.balance", "sepal.login"):
        for fault in faults[:4]:
            sandbox.fault(endpoint, **fault)
            attempt(lambda: fast.call("vandar.balance"))
            attempt(lambda: fast.call("mupra.balance"))
            attempt(lambda: fast.sepal_payment_state(2))
            sandbox.clear_faults()

    # Wrong keys everywhere: 401s from every gateway.
    wrong_config = {**config, "store": f"sqlite://{tmp_path}/wrong.db"}
    for section, values in WRONG.items():
        wrong_config[section] = {**config[section], **values}
    wrong = dargah.Client(wrong_config)
    outputs.append(repr(wrong))
    for gateway in GATEWAYS:
        attempt(lambda: wrong.create_payment(gateway, invoice(), 1_250_000, callback_url(gateway), mobile="09123456789"))
    for operation in ("vandar.balance", "mupra.balance", "vandar.settlements"):
        attempt(lambda: wrong.call(operation))
    attempt(lambda: wrong.sepal_payment_state(1))

    # (Traceback lines quote this file's source: no canary is written out in a line that raises.)
    # A mistyped secret, a secret in the wrong parameter, the store's password, the proxy's credentials.
    attempt(lambda: dargah.Client({**config, "canpay": {"merchant": 4242000042420000}}))
    attempt(lambda: dargah.Client({**config, "vandar": {**config["vandar"], "access_token": [WRONG["vandar"]["access_token"]]}}))
    attempt(lambda: client.call("payments.list", {"limit": WRONG["mupra"]["api_key"]}))
    attempt(lambda: client.call("payment", {"id": 4242000042420000}))
    attempt(lambda: client.call("vandar.call", {"endpoint": WRONG["vandar"]["api_key"]}))
    for store in (
        f"postgres://shop:{STORE_PASSWORD}@127.0.0.1:9/shop",
        f"mysql://shop:{STORE_PASSWORD}@127.0.0.1:9/shop",
        f"postgres://shop:{STORE_PASSWORD}@[bad-host/shop",
        f"mysql://shop@127.0.0.1:9/shop?password={STORE_PASSWORD}",
    ):
        attempt(lambda: dargah.Client({**config, "store": store}))
    proxied = dargah.Client({**config, "store": f"sqlite://{tmp_path}/proxied.db", "http": {"proxy": f"http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:9"}})
    outputs.append(repr(proxied))
    for gateway in GATEWAYS:
        attempt(lambda: proxied.create_payment(gateway, invoice(), 1_250_000, callback_url(gateway)))
    attempt(lambda: dargah.Client({**config, "http": {"proxy": f"ftp://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:9"}}))

    # Every stored row of every table, the Vandar token pair included (it is stored encrypted).
    for db in tmp_path.glob("*.db"):
        with sqlite3.connect(db) as conn:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                outputs.extend(repr(row) for row in conn.execute(f'SELECT * FROM "{table}"'))

    out, err = capfd.readouterr()
    everything = "\n".join(outputs + seen.text + [out, err])
    canaries = secrets_of(config) + secrets_of(WRONG) + [STORE_PASSWORD, PROXY_USER, PROXY_PASSWORD, TOKEN_KEY]
    assert len(set(canaries)) == len(canaries) >= 17
    leaked = [c for c in canaries if c in everything]
    where = [line[max(0, line.find(c) - 300) : line.find(c) + 60] for c in leaked for line in everything.split("\n") if c in line][:3]
    assert leaked == [], f"shown: {leaked} in {where}"
    # The search had something to search: failures of every kind, and the audit trail.
    for expected in ("GatewayRejectedError", "GatewayUnavailableError", "MalformedResponseError", "StoreError", "gateway_call", "state_change"):
        assert expected in everything, expected
    print(f"searched {len(everything)} characters of output for {len(canaries)} secrets: 0 found")
