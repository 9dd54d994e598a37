"""The FastAPI shop end to end: uvicorn in a thread, the sandbox from
dargah.testing (the pytest plugin's dargah_sandbox fixture), and a customer
in headless Chromium. The shop runs on localhost and the sandbox on
127.0.0.1: two sites, so the gateway's POST back is cross-site."""

from __future__ import annotations

import asyncio
import http.client
import shutil
import socket
import sqlite3
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Iterator, List, Tuple
from urllib.parse import urlencode, urlsplit

import dargah
import dargah.aio
import dargah.testing
import pytest
import uvicorn
from fastapi import FastAPI
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from shop.app import Orders, create_app, sweep

# The flags the Django example's browser tests use.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAID = '#status[data-status="paid"]'


class Shop:
    def __init__(self, url: str, database: Path, app: FastAPI) -> None:
        self.url, self.database = url, database
        self.dargah: dargah.aio.Client = app.state.dargah
        self.orders: Orders = app.state.orders

    def rows(self, sql: str, *params: str) -> List[Tuple[Any, ...]]:
        with sqlite3.connect(self.database) as db:
            return [tuple(r) for r in db.execute(sql, params).fetchall()]


@pytest.fixture(scope="module")
def shop(dargah_sandbox_session: dargah.testing.Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    folder = tmp_path_factory.mktemp("shop")
    app = create_app(dargah_sandbox_session.config(store=f"sqlite://{folder}/dargah.db"), folder / "shop.sqlite3", sweep_every_secs=None)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield Shop(f"http://localhost:{port}", folder / "shop.sqlite3", app)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def driver() -> Iterator[webdriver.Chrome]:
    profile = tempfile.mkdtemp(prefix="shop-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    yield browser
    browser.quit()
    shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver: webdriver.Chrome, css: str) -> None:
    """Wait for an element of the page the browser is going to: a lookup made while it is still
    navigating there is answered "aborted by navigation" by chromedriver, and asked again."""
    WebDriverWait(driver, 30, ignored_exceptions=[WebDriverException]).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))


def buy(driver: webdriver.Chrome, shop: Shop, sandbox: dargah.testing.Sandbox, gateway: str, button: str = "pay") -> str:
    """Check out, press a button on the gateway's page, come back: the invoice id."""
    driver.get(shop.url + "/")
    driver.find_element(By.ID, "mobile").send_keys("09123456789")
    driver.find_element(By.ID, f"pay-{gateway}").click()
    wait_for(driver, "#card")
    assert driver.current_url.startswith(sandbox.base_url)
    driver.find_element(By.ID, "card").send_keys("6037 9912 3456 7890")
    driver.find_element(By.ID, button).click()
    wait_for(driver, "#status")
    invoice_id = driver.current_url.rsplit("/", 1)[1]
    assert driver.current_url == f"{shop.url}/orders/{invoice_id}"
    return invoice_id


def payment_of(shop: Shop, invoice_id: str) -> dargah.Payment:
    [(payment_id,)] = shop.rows("SELECT payment_id FROM orders WHERE invoice_id = ?", invoice_id)
    return shop.dargah.sync.payment(payment_id)


@pytest.mark.parametrize("gateway", ["vandar", "canpay", "atipay", "mupra"])
def test_a_customer_pays_in_chromium(driver: webdriver.Chrome, shop: Shop, dargah_sandbox: dargah.testing.Sandbox, gateway: str) -> None:
    invoice_id = buy(driver, shop, dargah_sandbox, gateway)
    wait_for(driver, PAID)
    assert len(driver.find_elements(By.CSS_SELECTOR, ".credit")) == 1
    # The customer reloads the order page, and goes back to the gateway's callback.
    driver.refresh()
    wait_for(driver, PAID)
    driver.back()
    driver.forward()
    wait_for(driver, PAID)
    assert shop.rows("SELECT count(*) FROM credits WHERE invoice_id = ?", invoice_id) == [(1,)]
    payment = payment_of(shop, invoice_id)
    assert dargah_sandbox.verify_calls(payment) == 1
    assert payment.acknowledged_at is not None


def test_a_cancelled_payment(driver: webdriver.Chrome, shop: Shop, dargah_sandbox: dargah.testing.Sandbox) -> None:
    invoice_id = buy(driver, shop, dargah_sandbox, "vandar", button="cancel")
    wait_for(driver, '#status[data-status="failed"]')
    assert shop.rows("SELECT count(*) FROM credits WHERE invoice_id = ?", invoice_id) == [(0,)]


def test_the_sweep_credits_a_customer_who_closed_the_tab(driver: webdriver.Chrome, shop: Shop, dargah_sandbox: dargah.testing.Sandbox) -> None:
    driver.get(shop.url + "/")
    driver.find_element(By.ID, "mobile").send_keys("09123456789")
    driver.find_element(By.ID, "pay-canpay").click()
    wait_for(driver, "#card")
    [(invoice_id, payment_id)] = shop.rows("SELECT invoice_id, payment_id FROM orders ORDER BY rowid DESC LIMIT 1")
    dargah_sandbox.pay(shop.dargah.sync.payment(payment_id))  # paid, then the tab was closed: no callback
    assert asyncio.run(sweep(shop.dargah, shop.orders, min_age_secs=0)) == 1
    assert shop.rows("SELECT status FROM orders WHERE invoice_id = ?", invoice_id) == [("paid",)]
    assert asyncio.run(sweep(shop.dargah, shop.orders, min_age_secs=0)) == 0, "credited once"
    assert dargah_sandbox.verify_calls(shop.dargah.sync.payment(payment_id)) == 1


def request(shop: Shop, method: str, path: str, body: bytes = b"", content_type: str = "application/x-www-form-urlencoded") -> Tuple[int, str]:
    """One request to the shop as a browser (or a forger) sends it, redirects not followed."""
    connection = http.client.HTTPConnection(urlsplit(shop.url).netloc, timeout=30)
    try:
        connection.request(method, path, body=body or None, headers={"Content-Type": content_type} if body else {})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def deliver(shop: Shop, callback: dargah.testing.Callback) -> None:
    for _ in range(2):  # the callback, then a reload: one credit either way
        status, _ = request(shop, callback.method, callback.path, callback.body if callback.method == "POST" else b"")
        assert status == 303


def checkout(shop: Shop, gateway: str) -> Tuple[str, str]:
    status, _ = request(shop, "POST", "/checkout", urlencode({"item": "book", "gateway": gateway, "mobile": "09123456789"}).encode())
    assert status == 303
    [(invoice_id, payment_id)] = shop.rows("SELECT invoice_id, payment_id FROM orders ORDER BY rowid DESC LIMIT 1")
    return invoice_id, payment_id


def order_after_paying(shop: Shop, sandbox: dargah.testing.Sandbox, invoice_id: str, payment_id: str) -> Tuple[str, str]:
    deliver(shop, sandbox.pay(shop.dargah.sync.payment(payment_id)))
    assert shop.rows("SELECT count(*) FROM credits WHERE invoice_id = ?", invoice_id) == [(1,)], "the money is recorded once"
    payment = shop.dargah.sync.payment(payment_id)
    assert payment.acknowledged_at is not None and sandbox.verify_calls(payment) == 1
    [(status, note)] = shop.rows("SELECT status, note FROM orders WHERE invoice_id = ?", invoice_id)
    return status, note


def test_a_total_edited_after_the_payment_was_created_puts_the_order_on_hold(shop: Shop, dargah_sandbox: dargah.testing.Sandbox) -> None:
    invoice_id, payment_id = checkout(shop, "vandar")
    shop.rows("UPDATE orders SET amount = 12500000 WHERE invoice_id = ?", invoice_id)
    status, note = order_after_paying(shop, dargah_sandbox, invoice_id, payment_id)
    assert status == "on_hold"
    assert note == "Paid 1,250,000 rial, but the order now costs 12,500,000 rial: needs attention."


def test_a_currency_switched_to_toman_puts_the_order_on_hold(shop: Shop, dargah_sandbox: dargah.testing.Sandbox) -> None:
    invoice_id, payment_id = checkout(shop, "mupra")
    shop.rows("UPDATE orders SET currency = 'IRT' WHERE invoice_id = ?", invoice_id)
    status, note = order_after_paying(shop, dargah_sandbox, invoice_id, payment_id)
    assert (status, note) == ("on_hold", "Paid 1,250,000 rial, but the order now costs 12,500,000 rial (1,250,000 IRT): needs attention.")


def test_a_payment_for_part_of_the_order_puts_it_on_hold(shop: Shop, dargah_sandbox: dargah.testing.Sandbox) -> None:
    invoice_id = f"order-part-{time.time_ns()}"
    shop.rows("INSERT INTO orders (invoice_id, item, amount, currency, gateway) VALUES (?, 'book', 125000, 'IRT', 'canpay')", invoice_id)
    created = shop.dargah.sync.create_payment("canpay", invoice_id, 500_000, f"{shop.url}/pay/callback/canpay", mobile="09123456789")
    shop.rows("UPDATE orders SET payment_id = ? WHERE invoice_id = ?", created.id, invoice_id)
    status, note = order_after_paying(shop, dargah_sandbox, invoice_id, created.id)
    assert status == "on_hold" and "Paid 500,000 rial, but the order now costs 1,250,000 rial (125,000 IRT)" in note


def multipart(fields: List[Tuple[str, str]], file_field: str) -> Tuple[bytes, str]:
    boundary = "----dargah-test-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode() for name, value in fields]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="receipt.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n%PDF-1.4 not a gateway field\r\n".encode()
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_a_callback_with_a_file_part_or_odd_fields_is_a_400(shop: Shop, dargah_sandbox: dargah.testing.Sandbox) -> None:
    invoice_id, payment_id = checkout(shop, "canpay")
    callback = dargah_sandbox.pay(shop.dargah.sync.payment(payment_id))
    # CanPay's own fields, plus a file part: refused by name, never a 500 (TypeError).
    body, content_type = multipart(list(callback.form.items()), "receipt")
    status, page = request(shop, "POST", callback.path, body, content_type)
    assert (status, "This payment link is not valid." in page) == (400, True)
    # The same field twice with two values, and a body that is not UTF-8.
    conflicting = callback.body + b"&" + urlencode({k: v + "1" for k, v in callback.form.items() if k != "dargah_ref"}).encode()
    assert request(shop, "POST", callback.path, conflicting)[0] == 400
    assert request(shop, "POST", callback.path, b"token=\xff\xfe&success=1")[0] == 400
    # None of them touched the payment: the real callback still credits it, once.
    assert shop.dargah.sync.payment(payment_id).state is dargah.PaymentState.AWAITING
    deliver(shop, callback)
    assert shop.rows("SELECT status FROM orders WHERE invoice_id = ?", invoice_id) == [("paid",)]
