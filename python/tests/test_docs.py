"""The whole examples in docs/python.md run as printed: the async shop in one
file (under uvicorn, paid on the in-process sandbox) and the test-kit test."""

from __future__ import annotations

import http.client
import importlib.util
import json
import re
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

import dargah
import dargah.testing

DOCS = Path(__file__).resolve().parents[2] / "docs" / "python.md"

pytest_plugins = ["pytester"]


def block(containing: str) -> str:
    [code] = [c for c in re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S) if containing in c]
    return code


def request(port: int, method: str, path: str, body: bytes = b"") -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("localhost", port, timeout=30)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    connection.request(method, path, body or None, headers)
    return connection.getresponse()


def test_the_async_shop_in_one_file(
    dargah_sandbox: dargah.testing.Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uvicorn = pytest.importorskip("uvicorn")
    config = dargah_sandbox.config(store=f"sqlite://{tmp_path}/dargah.db")
    monkeypatch.setenv("DARGAH_CONFIG", json.dumps(config))
    (tmp_path / "doc_shop.py").write_text(block("uvicorn shop:app"))
    spec = importlib.util.spec_from_file_location("doc_shop", tmp_path / "doc_shop.py")
    assert spec is not None and spec.loader is not None
    shop = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shop)
    server = uvicorn.Server(uvicorn.Config(shop.app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        client = dargah.Client(config)
        for gateway in ("vandar", "canpay", "atipay"):
            answer = request(port, "POST", "/checkout", urlencode({"gateway": gateway, "mobile": "09123456789"}).encode())
            assert answer.status in (200, 303), answer.read()
            [payment] = client.payments(limit=1)
            callback = dargah_sandbox.pay(payment)
            for _ in range(2):  # delivered, then reloaded
                answer = request(port, callback.method, callback.path, callback.body if callback.method == "POST" else b"")
                assert answer.status == 303
                location = answer.getheader("Location")
                answer.read()
            assert location is not None
            order = json.loads(request(port, "GET", location).read())
            assert order == {"invoice_id": payment.invoice_id, "paid": True}
            assert dargah_sandbox.verify_calls(payment) == 1
        assert client.unacknowledged() == []
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sys.modules.pop("doc_shop", None)


def test_the_test_kit_example(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_doc=block("def test_checkout(tmp_path)"))
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
