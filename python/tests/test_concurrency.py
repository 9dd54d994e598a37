"""Verify-once under concurrency: 16 threads on one client, 4 forked worker
processes on one store, the same callback everywhere. Exactly one caller is
told newly_paid and the sandbox sees one verify. Also: the GIL is released
while a call waits, and a client made before fork() works in the children."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections import Counter
from typing import Any, Dict, List

import pytest
from conftest import GATEWAYS, paid

import dargah
from dargah import OutcomeKind
from dargah_sandbox import Sandbox

THREADS = 16
PROCESSES = 4

# Python 3.12+ warns about fork() in a process with threads; forking one is the point here.
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")


def assert_verified_once(counts: Counter[str], verifies: int) -> None:
    """One caller credits; the rest get the stored outcome (or, on a machine
    slow enough that callback_wait_ms runs out first, "in progress": never a
    second credit, never a failure)."""
    assert counts[OutcomeKind.NEWLY_PAID.value] == 1
    assert set(counts) <= {OutcomeKind.NEWLY_PAID.value, OutcomeKind.ALREADY_PAID.value, OutcomeKind.IN_PROGRESS.value}
    assert verifies == 1


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_sixteen_threads_one_client(client: dargah.Client, sandbox: Sandbox, gateway: str, figures: List[str]) -> None:
    created, callback = paid(client, sandbox, gateway)
    barrier = threading.Barrier(THREADS)
    kinds: List[str] = []
    errors: List[BaseException] = []

    def deliver() -> None:
        barrier.wait()
        try:
            kinds.append(client.handle_callback(gateway, dict(callback.query), callback.form).kind.value)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=deliver) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    counts = Counter(kinds)
    verifies = sandbox.verify_calls(gateway, created.token or "")
    figures.append(f"threads   {gateway:<7} {THREADS} callbacks at once: {dict(counts)}, sandbox verify calls: {verifies}")
    assert_verified_once(counts, verifies)


@pytest.mark.parametrize("gateway", GATEWAYS)
def test_four_forked_workers(client: dargah.Client, sandbox: Sandbox, gateway: str, figures: List[str]) -> None:
    # The parent has used the client (its runtime, HTTP client and store
    # connection exist) before forking, as a preloaded gunicorn master might.
    created, callback = paid(client, sandbox, gateway)
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()

    def worker() -> None:
        barrier.wait()
        try:
            results.put(client.handle_callback(gateway, dict(callback.query), callback.form).kind.value)
        except BaseException as e:  # noqa: BLE001 - reported by the parent
            results.put(repr(e))

    workers = [ctx.Process(target=worker) for _ in range(PROCESSES)]
    for w in workers:
        w.start()
    kinds = [results.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(timeout=30)
        assert w.exitcode == 0
    counts = Counter(kinds)
    verifies = sandbox.verify_calls(gateway, created.token or "")
    figures.append(f"processes {gateway:<7} {PROCESSES} forked workers:    {dict(counts)}, sandbox verify calls: {verifies}")
    assert_verified_once(counts, verifies)
    # The parent still works after its children did, and sees their outcome.
    assert client.handle_callback(gateway, dict(callback.query), callback.form).kind is OutcomeKind.ALREADY_PAID


def test_preloaded_client_unused_before_fork(config: Dict[str, Any], sandbox: Sandbox) -> None:
    """gunicorn --preload: the client is made in the master and first used in a worker."""
    client = dargah.Client(config)
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()

    def worker() -> None:
        created, callback = paid(client, sandbox, "vandar")
        results.put(client.handle_callback("vandar", dict(callback.query), callback.form).kind.value)

    w = ctx.Process(target=worker)
    w.start()
    assert results.get(timeout=60) == "newly_paid"
    w.join(timeout=30)
    assert w.exitcode == 0
    assert len(client.unacknowledged()) == 1, "the parent sees what the child stored"


def test_the_gil_is_released_while_a_call_waits(client: dargah.Client, sandbox: Sandbox) -> None:
    created, callback = paid(client, sandbox, "canpay")
    sandbox.fault("canpay.verify", latency_ms=1000, count=1)
    outcome: List[dargah.Outcome] = []
    waiting = threading.Thread(target=lambda: outcome.append(client.handle_callback("canpay", dict(callback.query), callback.form)))
    waiting.start()
    time.sleep(0.2)
    # Pure Python work in this thread while the other one waits for the gateway:
    # if the extension held the GIL, this loop would not run until it returned.
    loops, until = 0, time.monotonic() + 0.5
    while time.monotonic() < until:
        loops += 1
    still_waiting = waiting.is_alive()
    waiting.join(timeout=30)
    assert still_waiting, "the call should still have been waiting for the gateway"
    assert loops > 10_000
    assert outcome[0].is_newly_paid
