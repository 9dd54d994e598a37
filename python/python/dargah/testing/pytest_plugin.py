"""The pytest plugin ``pip install dargah`` registers (entry point ``pytest11``):

    def test_checkout(dargah_sandbox, dargah_client):
        created = dargah_client.create_payment("canpay", "order-1", 250_000, "http://127.0.0.1/cb/canpay")
        callback = dargah_sandbox.pay(created)
        assert dargah_client.handle_callback("canpay", callback.query, callback.form).is_newly_paid
        assert dargah_sandbox.verify_calls(created) == 1

- ``dargah_sandbox``: the gateway sandbox (``dargah.testing.Sandbox``), started
  once per test session in-process; its counters and faults are cleared
  before each test.
- ``dargah_config``: a client configuration for it with a fresh SQLite store
  in the test's ``tmp_path`` (point ``settings.DARGAH`` at it).
- ``dargah_client``: a ``dargah.Client`` on that configuration.

Loading the plugin starts nothing: the sandbox starts with the first test
that asks for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

from .._client import Client
from . import Sandbox


@pytest.fixture(scope="session")
def dargah_sandbox_session() -> Iterator[Sandbox]:
    """One sandbox for the whole session (what ``dargah_sandbox`` hands out)."""
    with Sandbox() as running:
        yield running


@pytest.fixture
def dargah_sandbox(dargah_sandbox_session: Sandbox) -> Sandbox:
    """The session's sandbox, with its call counters and faults cleared."""
    dargah_sandbox_session.reset()
    return dargah_sandbox_session


@pytest.fixture
def dargah_config(dargah_sandbox: Sandbox, tmp_path: Path) -> Dict[str, Any]:
    return dargah_sandbox.config(store=f"sqlite://{tmp_path}/dargah.db")


@pytest.fixture
def dargah_client(dargah_config: Dict[str, Any]) -> Client:
    return Client(dargah_config)
