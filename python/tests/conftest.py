"""Fixtures: one sandbox per session, a fresh store and client per test.

These tests import `dargah` from the installed wheel (make python-test builds
it with maturin and installs it into a fresh venv); they refuse to run on the
source tree.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import dargah

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "python"))

from dargah_sandbox import Callback, Sandbox  # noqa: E402

GATEWAYS = ["mupra", "canpay", "atipay", "vandar"]
AMOUNT = 1_250_000


def pytest_configure(config: pytest.Config) -> None:
    installed = Path(dargah.__file__).resolve()
    if "site-packages" not in installed.parts or installed.is_relative_to(REPO / "python"):
        pytest.exit(f"dargah was imported from {installed}, not from an installed wheel", returncode=2)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox.start() as running:
        yield running


@pytest.fixture
def store(tmp_path: Path) -> str:
    return f"sqlite://{tmp_path}/dargah.db"


@pytest.fixture
def config(sandbox: Sandbox, store: str) -> Dict[str, Any]:
    return sandbox.client_config(store)


@pytest.fixture
def client(config: Dict[str, Any]) -> dargah.Client:
    return dargah.Client(config)


def invoice() -> str:
    """Invoice ids are unique per merchant for the whole sandbox session."""
    return f"t-{uuid.uuid4().hex[:20]}"


def callback_url(gateway: str) -> str:
    return f"http://127.0.0.1:9/shop/callback/{gateway}?order=7"


def paid(client: dargah.Client, sandbox: Sandbox, gateway: str, action: str = "pay") -> Tuple[dargah.CreatedPayment, Callback]:
    """A new payment, paid (or cancelled) on the sandbox: and the browser's callback."""
    created = client.create_payment(gateway, invoice(), AMOUNT, callback_url(gateway), mobile="09123456789")
    assert created.token
    return created, sandbox.pay(gateway, created.token, action)


_FIGURES: List[str] = []


@pytest.fixture
def figures() -> List[str]:
    """Lines for the end-of-run summary (the thread and process figures)."""
    return _FIGURES


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _FIGURES:
        terminalreporter.section("verify-once figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
