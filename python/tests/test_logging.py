"""The audit trail on `logging` (issue 14): logger `dargah`, a child per
gateway, the fields as record attributes, on the calling thread; and a
payment's history from `events()`."""

from __future__ import annotations

import logging
import threading
from typing import Any, List

import pytest

import dargah

from conftest import paid


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records() -> Any:
    handler = Records()
    logger = logging.getLogger("dargah")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler.records
    logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)


def test_gateway_calls_claims_and_state_changes_are_logged_with_their_fields(client: dargah.Client, sandbox: Any, records: List[logging.LogRecord]) -> None:
    created, callback = paid(client, sandbox, "vandar")
    assert client.handle_callback("vandar", dict(callback.query), callback.form).is_newly_paid
    calls = [r for r in records if getattr(r, "event", None) == "gateway_call"]
    assert {r.name for r in calls} == {"dargah.vandar"}
    operations = [getattr(r, "operation") for r in calls]
    # Transaction info first: a verify only for a payment it shows paid (docs/gateway-readings.md).
    assert operations == ["POST /vandar/ipg/api/v4/send", "POST /vandar/ipg/api/v4/transaction", "POST /vandar/ipg/api/v4/verify"], operations
    verify = calls[-1]
    assert (verify.levelno, getattr(verify, "http_status"), getattr(verify, "outcome"), getattr(verify, "payment_id")) == (logging.INFO, 200, "ok", created.id)
    assert isinstance(getattr(verify, "duration_ms"), int)
    assert "gateway_call" in verify.getMessage() and "operation=" in verify.getMessage()
    changes = [(getattr(r, "from"), getattr(r, "to")) for r in records if getattr(r, "event", None) == "state_change"]
    assert changes == [("created", "awaiting"), ("verifying", "paid")], changes
    claims = [r for r in records if getattr(r, "event", None) == "claim"]
    assert len(claims) == 1 and claims[0].levelno == logging.DEBUG
    assert {r.thread for r in records} == {threading.get_ident()}, "records are made on the calling thread"


def test_nothing_is_collected_or_printed_without_a_handler(client: dargah.Client, sandbox: Any, capfd: Any) -> None:
    logging.getLogger("dargah").setLevel(logging.WARNING)
    try:
        created, callback = paid(client, sandbox, "canpay")
        sandbox.fault("canpay.verify", status=503, count=1)
        with pytest.raises(dargah.GatewayUnavailableError):
            client.handle_callback("canpay", dict(callback.query), callback.form)
    finally:
        logging.getLogger("dargah").setLevel(logging.NOTSET)
        sandbox.clear_faults()
    out, err = capfd.readouterr()
    assert (out, err) == ("", ""), "a warning with no handler configured is not printed (NullHandler)"


def test_events_tell_what_happened_to_an_order(client: dargah.Client, sandbox: Any) -> None:
    created, callback = paid(client, sandbox, "vandar")
    client.handle_callback("vandar", dict(callback.query), callback.form)
    events = client.events(created.id)
    assert [e["label"] for e in events] == ["paid"]
    body = events[0]["raw"]["verify"]["body"]
    assert body["cardNumber"].count("*") == 6 and "CID" not in body and "mobile" not in body
    assert body["transId"] and body["amount"]
    with pytest.raises(dargah.UnknownPaymentError):
        client.events("dp_nope")
