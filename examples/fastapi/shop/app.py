"""An async shop on dargah.aio: checkout, the gateways' callback, the order
page, and a background task that credits what the callback never did.

    DARGAH_CONFIG='{"store": ..., "vandar": {...}}' uvicorn --factory shop.app:app_from_env

Every Dargah call is awaited and never blocks the event loop; the shop's own
SQLite is reached through asyncio.to_thread for the same reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import os
import sqlite3
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List, Mapping, Optional, Union

import dargah
import dargah.aio
from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

logger = logging.getLogger("shop")

#: item -> (name, price in rial)
CATALOG = {"book": ("The Shahnameh, illustrated", 1_250_000), "pen": ("A fountain pen", 480_000)}
GATEWAYS = [g.value for g in dargah.Gateway]

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    invoice_id TEXT PRIMARY KEY,          -- order-<uuid>: the order page's unguessable address
    item TEXT NOT NULL, gateway TEXT NOT NULL,
    amount INTEGER NOT NULL, currency TEXT NOT NULL DEFAULT 'IRR',  -- the total, editable while pending
    status TEXT NOT NULL DEFAULT 'pending', payment_id TEXT UNIQUE,
    note TEXT NOT NULL DEFAULT ''         -- why the order is on hold
);
-- One row per paid payment (a unique key): an order is never credited twice.
CREATE TABLE IF NOT EXISTS credits (
    payment_id TEXT PRIMARY KEY, invoice_id TEXT NOT NULL REFERENCES orders(invoice_id),
    amount INTEGER NOT NULL, reference TEXT, masked_card TEXT
);
"""


class Orders:
    """The shop's own database: blocking sqlite3, so every call goes through to_thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        return db

    def _run(self, sql: str, params: Any = ()) -> List[sqlite3.Row]:
        with contextlib.closing(self._connect()) as db:
            return db.execute(sql, params).fetchall()

    async def run(self, sql: str, params: Any = ()) -> List[sqlite3.Row]:
        return await asyncio.to_thread(self._run, sql, params)

    def _credit(self, payment: dargah.Payment) -> None:
        """Record the money, and compare it with what the order costs now
        (its total may have been edited since the payment was created): equal,
        the order is paid; not, it goes on hold with a note naming both amounts."""
        with contextlib.closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")  # the order's lock: nobody edits it until COMMIT
            [order] = db.execute("SELECT amount, currency FROM orders WHERE invoice_id = ?", (payment.invoice_id,)).fetchall()
            check = dargah.check_amount(payment, order["amount"], order["currency"])
            inserted = db.execute(
                "INSERT OR IGNORE INTO credits VALUES (?, ?, ?, ?, ?)",
                (payment.id, payment.invoice_id, check.paid_rial, payment.reference, payment.masked_card),
            ).rowcount
            if inserted and check.ok:
                db.execute("UPDATE orders SET status = 'paid' WHERE invoice_id = ?", (payment.invoice_id,))
            elif inserted:
                logger.warning("order %s: %s (payment %s)", payment.invoice_id, check.note, payment.id)
                db.execute("UPDATE orders SET status = 'on_hold', note = ? WHERE invoice_id = ?", (check.note, payment.invoice_id))
            db.execute("COMMIT")

    async def credit(self, payment: dargah.Payment) -> None:
        await asyncio.to_thread(self._credit, payment)


async def credit_and_acknowledge(client: dargah.aio.Client, orders: Orders, payment: dargah.Payment) -> None:
    await orders.credit(payment)  # idempotent: keyed on the payment id
    await client.acknowledge(payment.id)


async def sweep(client: dargah.aio.Client, orders: Orders, *, min_age_secs: int = 120) -> int:
    """Resolve payments whose customer never came back, then credit every paid
    payment not acknowledged (its callback request died before crediting)."""
    await client.recover()
    await client.reconcile(min_age_secs=min_age_secs)
    unacknowledged = await client.unacknowledged()
    for payment in unacknowledged:
        await credit_and_acknowledge(client, orders, payment)
    return len(unacknowledged)


def page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f'<body><h1><a href="/">Example shop</a></h1>{body}</body></html>',
        status_code=status_code,
    )


def create_app(config: Union[Mapping[str, Any], str], database: Path, *, sweep_every_secs: Optional[float] = 60) -> FastAPI:
    client = dargah.aio.Client(config)
    orders = Orders(database)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await client.open()  # a wrong configuration stops the start-up, not the first customer

        async def sweeping() -> None:
            while sweep_every_secs:
                await asyncio.sleep(sweep_every_secs)
                try:
                    await sweep(client, orders)
                except dargah.DargahError as e:
                    logger.warning("sweep: %r", e)

        task = asyncio.create_task(sweeping())
        yield
        task.cancel()
        client.close()

    app = FastAPI(lifespan=lifespan)
    app.state.dargah, app.state.orders = client, orders

    @app.get("/", response_class=HTMLResponse)
    async def checkout_page() -> HTMLResponse:
        items = "".join(
            f'<label><input type="radio" name="item" value="{key}"{" checked" if i == 0 else ""}> {html.escape(name)} — {price} rial</label><br>'
            for i, (key, (name, price)) in enumerate(CATALOG.items())
        )
        buttons = "".join(f'<button type="submit" name="gateway" value="{g}" id="pay-{g}">{g}</button> ' for g in GATEWAYS)
        return page(
            "Checkout",
            f'<form method="post" action="/checkout" id="checkout"><fieldset><legend>Item</legend>{items}</fieldset>'
            f'<p><label>Mobile <input name="mobile" id="mobile" required></label></p><p>Pay with: {buttons}</p></form>',
        )

    @app.post("/checkout")
    async def checkout(request: Request, item: str = Form(""), gateway: str = Form(""), mobile: str = Form("")) -> Response:
        if item not in CATALOG or gateway not in GATEWAYS:
            return page("Problem", '<p id="problem">Please choose an item and a way to pay.</p>', 400)
        name, amount = CATALOG[item]
        invoice_id = f"order-{uuid.uuid4().hex}"
        await orders.run(
            "INSERT INTO orders (invoice_id, item, amount, currency, gateway) VALUES (?, ?, ?, 'IRR', ?)", (invoice_id, name, amount, gateway)
        )
        callback_url = str(request.url_for("callback", gateway=gateway))
        try:
            created = await client.create_payment(gateway, invoice_id, amount, callback_url, mobile=mobile.strip(), description=name)
        except dargah.DargahError as e:
            await orders.run("UPDATE orders SET status = 'failed' WHERE invoice_id = ?", (invoice_id,))
            reason = f"Please check your details: {e.message}." if isinstance(e, dargah.InvalidInputError) else "The gateway could not be reached."
            return page("Problem", f'<p id="problem">{html.escape(reason)}</p>', 400 if isinstance(e, dargah.InvalidInputError) else 502)
        await orders.run("UPDATE orders SET payment_id = ? WHERE invoice_id = ?", (created.id, invoice_id))
        if created.redirect.is_post:
            return HTMLResponse(created.redirect.html)  # a form that submits itself (AtiPay)
        return RedirectResponse(created.redirect.url, status_code=303)

    # The gateway sends the customer back from its own site: a cross-site POST
    # with no cookie of ours. Nothing here needs one; Dargah asks the gateway itself, once.
    @app.api_route("/pay/callback/{gateway}", methods=["GET", "POST"], name="callback")
    async def callback(gateway: str, request: Request) -> Response:
        form = await request.form() if request.method == "POST" else None
        try:
            outcome = await client.handle_callback(gateway, request.query_params, form)
        except (dargah.InvalidCallbackError, dargah.UnknownPaymentError, dargah.InvalidInputError) as e:
            logger.warning("refused a %s callback: %r", gateway, e)
            return page("Problem", '<p id="problem">This payment link is not valid.</p>', 400)
        except dargah.DargahError as e:
            logger.warning("a %s callback is in doubt: %r", gateway, e)
            return page("Pending", '<p id="problem">We could not confirm your payment yet; your order will be updated shortly.</p>', 503)
        if outcome.is_newly_paid:
            await credit_and_acknowledge(client, orders, outcome.payment)
        elif outcome.kind in (dargah.OutcomeKind.FAILED, dargah.OutcomeKind.CANCELLED):
            await orders.run("UPDATE orders SET status = 'failed' WHERE invoice_id = ? AND status = 'pending'", (outcome.invoice_id,))
        # 303: the browser follows with a GET, so a reload never re-sends the callback.
        return RedirectResponse(f"/orders/{outcome.invoice_id}", status_code=303)

    @app.get("/orders/{invoice_id}", response_class=HTMLResponse)
    async def order_page(invoice_id: str) -> HTMLResponse:
        rows = await orders.run("SELECT * FROM orders WHERE invoice_id = ?", (invoice_id,))
        if not rows:
            raise HTTPException(404)
        order = rows[0]
        credits = await orders.run("SELECT * FROM credits WHERE invoice_id = ?", (invoice_id,))
        received = "".join(
            f'<p class="credit">Received {c["amount"]} rial, card {html.escape(c["masked_card"] or "-")}.</p>' for c in credits
        )
        return page(
            f"Order {invoice_id}",
            f'<h2>{html.escape(order["item"])}</h2><p>Amount: {order["amount"]} {order["currency"]}, via {order["gateway"]}</p>'
            f'<p id="status" data-status="{order["status"]}">{order["status"]}</p>{received}',
        )

    return app


def app_from_env() -> FastAPI:
    """For uvicorn --factory: DARGAH_CONFIG (JSON) or DARGAH_CONFIG_FILE, SHOP_DB."""
    config: Union[Dict[str, Any], str]
    if "DARGAH_CONFIG" in os.environ:
        config = json.loads(os.environ["DARGAH_CONFIG"])
    else:
        config = Path(os.environ["DARGAH_CONFIG_FILE"]).read_text()
    return create_app(config, Path(os.environ.get("SHOP_DB", "shop.sqlite3")))
