"""The FastAPI shop end to end: uvicorn in a thread, the sandbox from
dargah.testing (the pytest plugin's dargah_sandbox fixture), and a customer
in headless Chromium. The shop runs on localhost and the sandbox on
127.0.0.1: two sites, so the gateway's POST back is cross-site."""

from __future__ import annotations

import asyncio
import shutil
import socket
import sqlite3
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import dargah
import dargah.aio
import dargah.testing
import pytest
import uvicorn
from fastapi import FastAPI
from selenium import webdriver
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
    WebDriverWait(driver, 30).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))


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
