"""How long does a normal dargah.aio call wait behind forged callbacks?

Issue 24 item 4: anyone who has an open payment's token can repeat a
"paid" callback. Each used to cost one verify with the merchant's key and
hold a pool thread for the gateway's round trip, so a flood of them filled
dargah.aio's pool and every other call of the process waited behind it.

On the installed wheel against the in-process sandbox, with every CanPay
verify made slow (``--latency-ms``, 300 by default): 40 forged "paid"
callbacks are sent at once, (a) all for one open payment, (b) one each for 40
open payments; 50 ms after they start, a normal call (``payment()``) is made
and timed. Printed per case: the normal call's wait, the verifies the forged
callbacks cost, and how long the flood took.

Run: python bench/aio_callback_flood.py [--latency-ms 300] [--rounds 3] [--no-backoff]

``--no-backoff`` sets ``callback_backoff_ms=0, callback_verify_cap=1000``: the
core as it was before issue 24 (every callback verifies). The "before"
figures in CHANGELOG.md were taken so, with the ``aio.py`` of commit 06f6ffb
in the installed package.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from typing import Any, Dict, List, Tuple

import dargah
import dargah.aio
import dargah.testing

FORGED = 40


def forged_ok(payment: dargah.Payment) -> Tuple[Dict[str, str], Dict[str, str]]:
    """A CanPay "paid" callback as anyone who saw the payment's token can send it."""
    assert payment.token is not None
    return {"dargah_ref": payment.id}, {"token": payment.token, "success": "1"}


async def one_round(sandbox: dargah.testing.Sandbox, store: str, latency_ms: int, spread: bool, no_backoff: bool) -> Dict[str, float]:
    settings: Dict[str, Any] = {"callback_backoff_ms": 0, "callback_verify_cap": 1000} if no_backoff else {}
    client = dargah.aio.Client(sandbox.config(store, **settings))
    await client.open()
    n_payments = FORGED if spread else 1
    created = [
        await client.create_payment("canpay", f"flood-{time.monotonic_ns()}-{i}", 150_000, "http://127.0.0.1:9/shop/cb")
        for i in range(n_payments)
    ]
    before = sum(sandbox.verify_calls(c) for c in created)
    sandbox.fault("canpay.verify", latency_ms=latency_ms)

    async def forged(i: int) -> Any:
        query, form = forged_ok(created[i % n_payments])
        try:
            return await client.handle_callback("canpay", query, form)
        except dargah.DargahError as e:  # a bounded queue may refuse some: that is the point
            return e

    started = time.perf_counter()
    flood = asyncio.ensure_future(asyncio.gather(*(forged(i) for i in range(FORGED))))
    await asyncio.sleep(0.05)
    asked = time.perf_counter()
    await client.payment(created[0].id)
    waited = time.perf_counter() - asked
    answers = await flood
    flood_s = time.perf_counter() - started
    sandbox.clear_faults()
    verifies = sum(sandbox.verify_calls(c) for c in created) - before
    refused = sum(1 for a in answers if isinstance(a, Exception))
    client.close()
    return {"wait_ms": waited * 1000, "verifies": verifies, "flood_s": flood_s, "refused": refused}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-backoff", action="store_true", help="every callback verifies (the core before issue 24)")
    args = parser.parse_args()
    with dargah.testing.sandbox() as sandbox, tempfile.TemporaryDirectory() as tmp:
        for spread in (False, True):
            label = f"{FORGED} forged OK callbacks for {'40 payments' if spread else 'one payment'}"
            rounds: List[Dict[str, float]] = []
            for r in range(args.rounds):
                rounds.append(asyncio.run(one_round(sandbox, f"sqlite://{tmp}/flood-{spread}-{r}.db", args.latency_ms, spread, args.no_backoff)))
            waits = [r["wait_ms"] for r in rounds]
            print(
                f"{label}, verify latency {args.latency_ms} ms: normal call waited "
                f"{min(waits):.0f}-{max(waits):.0f} ms (median {statistics.median(waits):.0f}); "
                f"verifies {sorted({int(r['verifies']) for r in rounds})}; refused {sorted({int(r['refused']) for r in rounds})}; "
                f"flood took {min(r['flood_s'] for r in rounds):.2f}-{max(r['flood_s'] for r in rounds):.2f} s"
            )


if __name__ == "__main__":
    main()
