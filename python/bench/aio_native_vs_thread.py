"""How should dargah.aio wait for the core without blocking the event loop?

Compares, on the installed wheel against the in-process sandbox:

- "thread": dargah.aio.Client, the blocking call on a pool thread
  (loop.run_in_executor; the GIL is released while the core waits);
- "native": a future completed from a thread the extension starts itself
  (_native.Client.handle_callback_native), with no Python pool.

For each: 200 concurrent callbacks for 50 payments (wall time, the event
loop's worst lag under a 1 ms ticker, newly_paid count, verify calls), and
the per-call overhead of 500 sequential replays of a paid callback (store
only, no gateway call). Run: python bench/aio_native_vs_thread.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from typing import Any, Awaitable, Callable, Dict, List, Tuple

import dargah
import dargah.aio
import dargah.testing
from dargah._client import _callback_part
from dargah.testing import Callback

GATEWAYS = ["mupra", "canpay", "atipay", "vandar"]
Deliver = Callable[[Callback], Awaitable[dargah.Outcome]]


def native_deliverer(client: dargah.Client) -> Deliver:
    async def deliver(cb: Callback) -> dargah.Outcome:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()

        def settle(ok: bool, value: Any) -> None:
            if not future.done():
                future.set_result(value) if ok else future.set_exception(value)

        def done(ok: bool, value: Any) -> None:
            loop.call_soon_threadsafe(settle, ok, value)

        query, form = _callback_part(cb.query, "query"), _callback_part(cb.form, "form")
        assert isinstance(query, list) and isinstance(form, list)
        client._native.handle_callback_native(cb.gateway, query, form, done)
        return dargah.Outcome._from_core(await future)

    return deliver


def thread_deliverer(client: dargah.aio.Client) -> Deliver:
    async def deliver(cb: Callback) -> dargah.Outcome:
        return await client.handle_callback(cb.gateway, cb.query, cb.form)

    return deliver


async def ticker(stop: asyncio.Event, lags: List[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.001)
        lags.append(time.perf_counter() - started - 0.001)


async def burst(sb: dargah.testing.Sandbox, client: dargah.Client, deliver: Deliver, tag: str) -> Dict[str, Any]:
    payments: List[Tuple[dargah.CreatedPayment, Callback]] = []
    for i in range(50):
        gateway = GATEWAYS[i % 4]
        created = client.create_payment(gateway, f"{tag}-{i}", 100_000, "http://127.0.0.1:9/cb", mobile="09123456789")
        payments.append((created, sb.pay(created)))
    deliveries = [cb for _, cb in payments for _ in range(4)]
    stop = asyncio.Event()
    lags: List[float] = []
    tick = asyncio.ensure_future(ticker(stop, lags))
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(deliver(cb) for cb in deliveries))
    wall = time.perf_counter() - started
    stop.set()
    await tick
    kinds = Counter(o.kind.value for o in outcomes)
    newly = Counter(o.payment_id for o in outcomes if o.is_newly_paid)
    verifies = [sb.verify_calls(created) for created, _ in payments]
    return {
        "wall_s": round(wall, 3),
        "loop_lag_max_ms": round(max(lags) * 1000, 2),
        "loop_lag_p50_ms": round(statistics.median(lags) * 1000, 2),
        "kinds": dict(kinds),
        "one_newly_paid_each": len(newly) == 50 and set(newly.values()) == {1},
        "one_verify_each": set(verifies) == {1},
    }


async def replays(deliver: Deliver, cb: Callback, n: int = 500) -> float:
    await deliver(cb)
    started = time.perf_counter()
    for _ in range(n):
        await deliver(cb)
    return (time.perf_counter() - started) / n * 1e6


async def main() -> None:
    with dargah.testing.sandbox() as sb, tempfile.TemporaryDirectory() as tmp:
        sync = dargah.Client(sb.config(store=f"sqlite://{tmp}/dargah.db"))
        aio = dargah.aio.Client(sync)
        approaches = {"thread": thread_deliverer(aio), "native": native_deliverer(sync)}
        created = sync.create_payment("vandar", "replay", 100_000, "http://127.0.0.1:9/cb", mobile="09123456789")
        replay = sb.pay(created)
        for round_ in range(3):
            for name, deliver in approaches.items():
                result = await burst(sb, sync, deliver, f"{name}-{round_}")
                result["replay_us_per_call"] = round(await replays(deliver, replay), 1)
                print(name, result, flush=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
