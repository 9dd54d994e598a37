"""A shop without a framework: a WSGI app from the standard library, with a
checkout and a callback for GET and POST callbacks.

    DARGAH_CONFIG=dargah.json python plain_shop.py   # http://127.0.0.1:8000

POST /checkout with `gateway`, `invoice`, `amount` (rial) and `mobile` sends
the customer to the gateway; the gateway sends them back to
/callback/<gateway>. `paid` stands in for the shop's orders table.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Tuple
from urllib.parse import parse_qs
from wsgiref.simple_server import make_server

import dargah

StartResponse = Callable[[str, List[Tuple[str, str]]], object]
Environ = Dict[str, object]


def _respond(start_response: StartResponse, status: str, body: str, headers: Optional[List[Tuple[str, str]]] = None) -> List[bytes]:
    start_response(status, [("Content-Type", "text/html; charset=utf-8"), *(headers or [])])
    return [body.encode()]


def _body(environ: Environ) -> bytes:
    length = int(str(environ.get("CONTENT_LENGTH") or 0))
    stream = environ["wsgi.input"]
    return stream.read(length) if length and hasattr(stream, "read") else b""


class Shop:
    def __init__(self, client: dargah.Client, base_url: str) -> None:
        self.client = client
        self.base_url = base_url
        #: invoice id -> the gateway's reference: the orders this shop has credited.
        self.paid: Dict[str, str] = {}

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path, method = str(environ["PATH_INFO"]), str(environ["REQUEST_METHOD"])
        if path == "/checkout" and method == "POST":
            return self.checkout(environ, start_response)
        if path.startswith("/callback/") and method in ("GET", "POST"):
            return self.callback(path.rsplit("/", 1)[1], environ, start_response)
        return _respond(start_response, "404 Not Found", "not found")

    def checkout(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        form = {k: v[0] for k, v in parse_qs(_body(environ).decode()).items()}
        gateway = form.get("gateway", "")
        try:
            created = self.client.create_payment(
                gateway,
                form.get("invoice", ""),
                int(form.get("amount", "0")),
                f"{self.base_url}/callback/{gateway}",
                mobile=form.get("mobile"),
            )
        except (dargah.InvalidInputError, ValueError) as e:
            return _respond(start_response, "400 Bad Request", f"cannot pay: {e}")
        except dargah.DargahError as e:
            return _respond(start_response, "502 Bad Gateway", f"the gateway is unavailable: {e}")
        if created.redirect.is_post:  # AtiPay: a form that submits itself
            return _respond(start_response, "200 OK", created.redirect.html)
        return _respond(start_response, "303 See Other", "", [("Location", created.redirect.url)])

    def callback(self, gateway: str, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        body = _body(environ) if environ["REQUEST_METHOD"] == "POST" else b""
        try:
            # The raw query string and body: Dargah parses them (and refuses contradictions).
            outcome = self.client.handle_callback(gateway, str(environ.get("QUERY_STRING", "")), body)
        except (dargah.InvalidCallbackError, dargah.UnknownPaymentError, dargah.InvalidInputError):
            return _respond(start_response, "400 Bad Request", "this payment link is not valid")
        except dargah.DargahError:
            # In doubt: client.recover() (from cron) settles it; unacknowledged() lists what to credit.
            return _respond(start_response, "503 Service Unavailable", "we are confirming your payment")
        if outcome.is_newly_paid:
            self.paid[outcome.invoice_id] = outcome.reference or ""  # credit the order, then:
            self.client.acknowledge(outcome.payment_id)
        message = "paid, thank you" if outcome.is_paid else f"not paid ({outcome.kind})"
        return _respond(start_response, "200 OK", f"order {outcome.invoice_id}: {message}")


def main() -> None:
    config = os.environ.get("DARGAH_CONFIG")
    if not config:
        sys.exit("set DARGAH_CONFIG to a JSON or TOML file (see docs/python.md)")
    shop = Shop(dargah.Client(Path(config).read_text()), "http://127.0.0.1:8000")
    with make_server("127.0.0.1", 8000, shop) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
