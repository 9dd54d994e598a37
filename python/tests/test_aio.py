"""dargah.aio.Client under asyncio: the same methods as awaitables, verify
once under 200 concurrent callbacks, and an event loop that keeps running
while a call waits on a slow gateway."""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import dargah
import dargah.aio
import dargah.testing

GATEWAYS = ["mupra", "canpay", "atipay", "vandar"]
PAYMENTS = 50
DELIVERIES = 4  # 200 callbacks in all


def invoice() -> str:
    return f"aio-{uuid.uuid4().hex[:20]}"


def test_the_same_methods_as_awaitables() -> None:
    public = {n for n, v in vars(dargah.Client).items() if callable(v) and not n.startswith("_")}
    for name in sorted(public):
        sync, aio = getattr(dargah.Client, name), getattr(dargah.aio.Client, name)
        assert inspect.iscoroutinefunction(aio) or inspect.isasyncgenfunction(aio), name
        assert list(inspect.signature(aio).parameters) == list(inspect.signature(sync).parameters), name


def test_200_concurrent_callbacks_for_50_payments(
    dargah_sandbox: dargah.testing.Sandbox, dargah_config: Dict[str, Any], figures: List[str]
) -> None:
    client = dargah.aio.Client(dargah_config)

    async def run() -> Dict[str, Any]:
        created = await asyncio.gather(
            *(
                client.create_payment(GATEWAYS[i % 4], invoice(), 150_000, "http://127.0.0.1:9/shop/cb", mobile="09123456789")
                for i in range(PAYMENTS)
            )
        )
        callbacks = [dargah_sandbox.pay(c) for c in created]
        deliveries = [cb for cb in callbacks for _ in range(DELIVERIES)]
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.001)
                ticks += 1

        tick = asyncio.ensure_future(ticker())
        started = time.perf_counter()
        outcomes = await asyncio.gather(*(client.handle_callback(cb.gateway, cb.query, cb.form) for cb in deliveries))
        wall = time.perf_counter() - started
        tick.cancel()
        return {"created": created, "outcomes": outcomes, "wall": wall, "ticks": ticks}

    result = asyncio.run(run())
    outcomes: List[dargah.Outcome] = result["outcomes"]
    newly = Counter(o.payment_id for o in outcomes if o.is_newly_paid)
    assert sorted(newly) == sorted(c.id for c in result["created"]) and set(newly.values()) == {1}
    assert {o.kind for o in outcomes} <= {dargah.OutcomeKind.NEWLY_PAID, dargah.OutcomeKind.ALREADY_PAID, dargah.OutcomeKind.IN_PROGRESS}
    # The sandbox's counters: one verify per payment, whatever the concurrency.
    verifies = [dargah_sandbox.verify_calls(c) for c in result["created"]]
    assert verifies == [1] * PAYMENTS
    assert result["ticks"] > 0, "the loop ran while the callbacks were handled"
    kinds = Counter(o.kind.value for o in outcomes)
    figures.append(
        f"aio: {PAYMENTS * DELIVERIES} concurrent callbacks for {PAYMENTS} payments in {result['wall']:.2f} s: "
        f"{dict(kinds)}; verify calls per payment {set(verifies)}; loop ticks meanwhile {result['ticks']}"
    )


def test_the_loop_runs_while_a_gateway_is_slow(dargah_sandbox: dargah.testing.Sandbox, dargah_config: Dict[str, Any]) -> None:
    client = dargah.aio.Client(dargah_config)

    async def run() -> int:
        created = await client.create_payment("canpay", invoice(), 150_000, "http://127.0.0.1:9/shop/cb")
        callback = dargah_sandbox.pay(created)
        dargah_sandbox.fault("canpay.verify", latency_ms=1500, count=1)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        tick = asyncio.ensure_future(ticker())
        outcome = await client.handle_callback("canpay", callback.query, callback.form)
        tick.cancel()
        assert outcome.is_newly_paid
        return ticks

    ticks = asyncio.run(run())
    # 150 at most; a blocked loop would tick once. Leave room for a busy machine.
    assert ticks >= 20, f"the loop ticked {ticks} times in 1.5 s: something blocked it"


def test_errors_and_lazy_open(dargah_sandbox: dargah.testing.Sandbox, tmp_path: Path) -> None:
    async def run() -> None:
        broken = dargah.aio.Client({"store": f"sqlite://{tmp_path}/a.db", "vandar": {"api_kee": "x"}})
        with pytest.raises(dargah.ConfigError):
            await broken.open()
        client = dargah.aio.Client(dargah_sandbox.config(store=f"sqlite://{tmp_path}/b.db"))
        with pytest.raises(dargah.UnknownPaymentError):
            await client.handle_callback("vandar", {"token": "forged", "payment_status": "OK"})
        with pytest.raises(dargah.InvalidCallbackError, match="not int"):
            await client.handle_callback("vandar", {"token": 7})
        created = await client.create_payment("vandar", invoice(), 150_000, "http://127.0.0.1:9/cb", mobile="09123456789")
        assert [p.id for p in await client.payments()] == [created.id]
        assert (await client.redirect(created.id)).url == created.redirect.url
        assert await client.history(created.id) == []
        assert [t async for t in client.mupra_all_transactions(page_size=2)] == list(client.sync.mupra_all_transactions(2))
        client.close()

    asyncio.run(run())


def test_shares_a_blocking_client(dargah_client: dargah.Client, dargah_sandbox: dargah.testing.Sandbox) -> None:
    created = dargah_client.create_payment("mupra", invoice(), 150_000, "http://127.0.0.1:9/cb")
    callback = dargah_sandbox.pay(created)
    client = dargah.aio.Client(dargah_client)
    assert client.sync is dargah_client
    outcome = asyncio.run(client.handle_callback("mupra", callback.query))
    assert outcome.is_newly_paid
    assert asyncio.run(client.acknowledge(created.id)) is True
    assert dargah_client.unacknowledged() == []


def test_forged_callbacks_cannot_starve_the_other_calls(dargah_sandbox: dargah.testing.Sandbox, dargah_config: Dict[str, Any]) -> None:
    """Issue 24 item 4: callbacks run on threads of their own behind a bounded
    queue. A flood of forged "paid" callbacks holding every callback thread on
    a slow verify neither delays a normal call (it is answered while the
    flood still waits) nor queues without end (the rest are refused at once)."""
    client = dargah.aio.Client(dargah_config, max_callback_threads=2, max_queued_callbacks=3)

    async def run() -> Tuple[bool, List[Any], int]:
        created = [
            await client.create_payment("canpay", invoice(), 150_000, "http://127.0.0.1:9/shop/cb") for _ in range(10)
        ]
        dargah_sandbox.fault("canpay.verify", latency_ms=1500)

        async def forged(p: dargah.Payment) -> Any:
            try:
                return await client.handle_callback("canpay", {"dargah_ref": p.id}, {"token": p.token or "", "success": "1"})
            except dargah.RateLimitedError as e:
                return e

        flood = asyncio.ensure_future(asyncio.gather(*(forged(p) for p in created)))
        await asyncio.sleep(0.05)
        seen = await client.payment(created[0].id)
        answered_first = not flood.done()
        answers = await flood
        dargah_sandbox.clear_faults()
        verifies = sum(dargah_sandbox.verify_calls(p) for p in created)
        assert seen.id == created[0].id and seen.state != dargah.PaymentState.PAID
        return answered_first, answers, verifies

    answered_first, answers, verifies = asyncio.run(run())
    client.close()
    assert answered_first, "the normal call was answered while every callback thread was busy"
    refused = [a for a in answers if isinstance(a, dargah.RateLimitedError)]
    assert len(refused) == 5 and "max_queued_callbacks" in str(refused[0]), answers
    assert verifies == 5, "the refused callbacks cost no gateway call"
