"""The plain WSGI example (python/examples/plain_shop.py) against the sandbox,
so the example in docs/python.md keeps working."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path
from typing import Any, Dict, List, Tuple
from urllib.parse import urlencode, urlsplit
from wsgiref.util import setup_testing_defaults

from conftest import invoice

import dargah
from dargah_sandbox import Sandbox

spec = importlib.util.spec_from_file_location("plain_shop", Path(__file__).parents[1] / "examples" / "plain_shop.py")
assert spec and spec.loader
plain_shop = importlib.util.module_from_spec(spec)
spec.loader.exec_module(plain_shop)


def request(app: Any, method: str, url: str, form: Dict[str, str] | None = None) -> Tuple[str, Dict[str, str], str]:
    body = urlencode(form or {}).encode()
    parts = urlsplit(url)
    environ: Dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": parts.path,
        "QUERY_STRING": parts.query,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "wsgi.input": io.BytesIO(body),
    }
    setup_testing_defaults(environ)
    answer: List[Any] = []
    chunks = app(environ, lambda status, headers: answer.extend([status, dict(headers)]))
    return answer[0], answer[1], b"".join(chunks).decode()


def test_plain_shop(client: dargah.Client, sandbox: Sandbox) -> None:
    shop = plain_shop.Shop(client, "http://127.0.0.1:8000")
    for gateway in ("vandar", "canpay", "atipay"):
        order = invoice()
        status, headers, page = request(
            shop, "POST", "/checkout", {"gateway": gateway, "invoice": order, "amount": "250000", "mobile": "09123456789"}
        )
        if gateway == "atipay":
            assert status == "200 OK" and "<form" in page
        else:
            assert status == "303 See Other" and headers["Location"].startswith(sandbox.base_url)
        token = client.payments(limit=1)[0].token or ""
        callback = sandbox.pay(gateway, token)
        for _ in range(2):
            status, _, page = request(shop, callback.method, callback.url, callback.form)
            assert (status, page) == ("200 OK", f"order {order}: paid, thank you")
        assert list(shop.paid) == [order] if gateway == "vandar" else order in shop.paid
    assert len(shop.paid) == 3 and client.unacknowledged() == []
    assert request(shop, "GET", "/callback/vandar?token=forged&payment_status=OK")[0] == "400 Bad Request"
    assert request(shop, "POST", "/checkout", {"gateway": "vandar", "invoice": "x", "amount": "ten"})[0] == "400 Bad Request"
