"""``dargah.aio.Client``: the client's methods as awaitables, for asyncio
shops (FastAPI, Starlette, aiohttp, Django's async views).

    client = dargah.aio.Client({"store": "sqlite:///var/lib/shop/dargah.db", "vandar": {"api_key": "..."}})

    @app.get("/pay/callback/{gateway}")
    async def callback(gateway: str, request: Request) -> Response:
        outcome = await client.handle_callback(gateway, request.query_params, await request.form())
        if outcome.is_newly_paid:
            await credit(outcome.payment)              # keyed on outcome.payment_id
            await client.acknowledge(outcome.payment_id)
        ...

No call blocks the event loop: each runs the blocking core call on a thread
of this client's own pool, with the GIL released while it waits for the
gateway or the store. (Measured against a "native" future completed from a
Rust thread: the same throughput and loop latency within noise; the pool
bounds how many threads wait at once. Figures in docs/python.md.)

Callbacks have a pool of their own (``max_callback_threads``) and a bounded
queue (``max_queued_callbacks``): a flood of callbacks, forged or not, can
hold only that many threads, and beyond the queue a callback is refused at
once with ``dargah.RateLimitedError`` (answer 503; the browser may retry),
so every other call of the process keeps its own threads.

A task cancelled while it awaits a call does not stop the call: the gateway
is asked once either way and the answer is stored. A ``NEWLY_PAID`` outcome
whose awaiting task was cancelled (the customer closed the tab) is therefore
never lost: the payment stays in ``unacknowledged()``, so sweep the outbox
(``reconcile`` and ``unacknowledged``) on a schedule, as with the blocking client.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, AsyncIterator, Callable, Dict, List, Mapping, Optional, TypeVar, Union

from ._client import CallbackPart, _callback_part
from ._client import Client as SyncClient
from ._errors import RateLimitedError
from ._model import (
    Capabilities,
    CreatedPayment,
    Gateway,
    Outcome,
    Payment,
    PaymentEvent,
    PaymentState,
    RecoverReport,
    Redirect,
    SepalPaymentState,
    VandarOptions,
)

__all__ = ["Client"]

_T = TypeVar("_T")

#: Threads per process that may wait on the core at once. Calls beyond it
#: queue (on the pool, not on the event loop); the store's own lock and the
#: gateways' rate limits serialise much of the work anyway.
DEFAULT_MAX_THREADS = 32
#: Threads that handle callbacks, apart from the rest: callbacks come from
#: strangers' browsers, and must not take every thread from the shop's own calls.
DEFAULT_MAX_CALLBACK_THREADS = 8
#: Callbacks that may wait for one of those threads; more are refused at once.
DEFAULT_MAX_QUEUED_CALLBACKS = 1000


class Client:
    """The awaitable twin of ``dargah.Client``; same arguments, same answers,
    same exceptions.

    ``config`` is what ``dargah.Client`` takes (a dict, or JSON/TOML text), or
    a ``dargah.Client`` to share with synchronous code. The store is opened on
    the first call, on the pool, not in the constructor, so making a client
    at import time or in a lifespan hook never blocks the loop (``await
    client.open()`` opens it now, to find a configuration error at start-up).
    Safe to share between tasks, threads and event loops, and after ``fork()``.
    """

    def __init__(
        self,
        config: Union[Mapping[str, Any], str, SyncClient],
        *,
        max_threads: int = DEFAULT_MAX_THREADS,
        max_callback_threads: int = DEFAULT_MAX_CALLBACK_THREADS,
        max_queued_callbacks: int = DEFAULT_MAX_QUEUED_CALLBACKS,
    ) -> None:
        if max_threads < 1 or max_callback_threads < 1:
            raise ValueError("max_threads and max_callback_threads must be at least 1")
        if max_queued_callbacks < 0:
            raise ValueError("max_queued_callbacks must not be negative")
        self._config = config
        self._sync: Optional[SyncClient] = config if isinstance(config, SyncClient) else None
        self._max_threads = max_threads
        self._max_callback_threads = max_callback_threads
        self._max_queued_callbacks = max_queued_callbacks
        # Callbacks running or waiting for a callback thread, across every loop using this client.
        self._callbacks = 0
        self._callbacks_lock = threading.Lock()
        self._callback_pool: Optional[ThreadPoolExecutor] = None
        # Two locks: opening the store (on a pool thread) may take a while, and
        # must never hold up the loop's thread, which only takes the pool lock.
        self._pool_lock = threading.Lock()
        self._open_lock = threading.Lock()
        self._pool: Optional[ThreadPoolExecutor] = None
        self._pool_pid = 0

    def __repr__(self) -> str:
        return f"<dargah.aio.Client {self._sync!r}>" if self._sync is not None else "<dargah.aio.Client (not opened)>"

    def _executor(self, callbacks: bool = False) -> ThreadPoolExecutor:
        # A pool's threads do not survive fork(): a child makes its own.
        with self._pool_lock:
            if self._pool is None or self._pool_pid != os.getpid():
                self._pool = ThreadPoolExecutor(self._max_threads, thread_name_prefix="dargah-aio")
                self._callback_pool = ThreadPoolExecutor(self._max_callback_threads, thread_name_prefix="dargah-aio-callback")
                self._pool_pid = os.getpid()
                self._callbacks = 0
            if callbacks:
                assert self._callback_pool is not None
                return self._callback_pool
            return self._pool

    def _open_sync(self) -> SyncClient:
        # On a pool thread: opening the store may wait on the disk or the network.
        if self._sync is None:
            with self._open_lock:
                if self._sync is None:
                    config = self._config
                    assert not isinstance(config, SyncClient)
                    self._sync = SyncClient(config)
        return self._sync

    async def _run(self, call: Callable[[SyncClient], _T]) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor(), functools.partial(self._call_on_pool, call))

    async def _run_callback(self, call: Callable[[SyncClient], _T]) -> _T:
        # On the callbacks' own threads, behind a bounded queue: refused at once beyond it.
        pool = self._executor(callbacks=True)
        with self._callbacks_lock:
            if self._callbacks >= self._max_callback_threads + self._max_queued_callbacks:
                raise RateLimitedError(
                    f"{self._callbacks} callbacks are being handled or queued in this process "
                    f"(max_callback_threads + max_queued_callbacks); answer 503 and let the browser retry"
                )
            self._callbacks += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(pool, functools.partial(self._call_on_pool, call))
        finally:
            with self._callbacks_lock:
                self._callbacks -= 1

    def _call_on_pool(self, call: Callable[[SyncClient], _T]) -> _T:
        return call(self._open_sync())

    @property
    def sync(self) -> SyncClient:
        """The blocking client underneath (opens the store if not yet open: not from the loop)."""
        return self._open_sync()

    async def open(self) -> None:
        """Open the store now (else the first call does): a wrong
        configuration or an unreachable store raises here."""
        await self._run(lambda c: None)

    def close(self) -> None:
        """Let the pools' threads end once idle; calls made later start new pools."""
        with self._pool_lock:
            pools, self._pool, self._callback_pool = (self._pool, self._callback_pool), None, None
        for pool in pools:
            if pool is not None:
                pool.shutdown(wait=False)

    async def with_account(self, account: str) -> "Client":
        """See ``dargah.Client.with_account``: an awaitable client for
        another merchant account, sharing this one's store and connections."""
        scoped = await self._run(lambda c: c.with_account(account))
        return Client(
            scoped,
            max_threads=self._max_threads,
            max_callback_threads=self._max_callback_threads,
            max_queued_callbacks=self._max_queued_callbacks,
        )

    async def create_payment(
        self,
        gateway: Union[Gateway, str],
        invoice_id: str,
        amount: int,
        callback_url: str,
        *,
        mobile: Optional[str] = None,
        description: Optional[str] = None,
        vandar: Optional[VandarOptions] = None,
        account: Optional[str] = None,
    ) -> CreatedPayment:
        """See ``dargah.Client.create_payment``."""
        return await self._run(
            lambda c: c.create_payment(
                gateway, invoice_id, amount, callback_url, mobile=mobile, description=description, vandar=vandar, account=account
            )
        )

    async def redirect(self, payment_id: str) -> Redirect:
        return await self._run(lambda c: c.redirect(payment_id))

    async def handle_callback(
        self, gateway: Union[Gateway, str], query: CallbackPart = None, form: CallbackPart = None, *, account: Optional[str] = None
    ) -> Outcome:
        """See ``dargah.Client.handle_callback``: exactly one caller, in any
        task, thread or process, gets ``NEWLY_PAID``. Starlette's
        ``request.query_params`` and ``await request.form()`` go in as they are."""
        # Read the (possibly lazy) mappings here, on the loop's thread.
        query_part, form_part = _snapshot(query, "query"), _snapshot(form, "form")
        return await self._run_callback(lambda c: c.handle_callback(gateway, query_part, form_part, account=account))

    async def payment(self, payment_id: str) -> Payment:
        return await self._run(lambda c: c.payment(payment_id))

    async def payments(self, state: Union[PaymentState, str, None] = None, *, limit: int = 100, offset: int = 0) -> List[Payment]:
        return await self._run(lambda c: c.payments(state, limit=limit, offset=offset))

    async def history(self, payment_id: str) -> List[PaymentEvent]:
        return await self._run(lambda c: c.history(payment_id))

    async def events(self, payment_id: str) -> List[Dict[str, Any]]:
        return await self._run(lambda c: c.events(payment_id))

    async def unacknowledged(self, limit: int = 100) -> List[Payment]:
        return await self._run(lambda c: c.unacknowledged(limit))

    async def acknowledge(self, payment_id: str) -> bool:
        return await self._run(lambda c: c.acknowledge(payment_id))

    async def recover(self, limit: int = 100) -> RecoverReport:
        return await self._run(lambda c: c.recover(limit))

    async def reconcile(self, *, min_age_secs: int = 120, limit: int = 200) -> Dict[str, Any]:
        return await self._run(lambda c: c.reconcile(min_age_secs=min_age_secs, limit=limit))

    async def capabilities(self, gateway: Union[Gateway, str]) -> Capabilities:
        return await self._run(lambda c: c.capabilities(gateway))

    async def sepal_payment_state(self, payment_number: int) -> SepalPaymentState:
        return await self._run(lambda c: c.sepal_payment_state(payment_number))

    async def sepal_gateway_balance(self, api_key: Optional[str] = None) -> List[Dict[str, Any]]:
        return await self._run(lambda c: c.sepal_gateway_balance(api_key))

    async def sepal_inquiry(
        self,
        *,
        date_from: Optional[str] = None,
        date_to: Optional[str] = None,
        payer_card_number: Optional[str] = None,
        page: Optional[int] = None,
        limit: Optional[int] = None,
    ) -> Dict[str, Any]:
        return await self._run(
            lambda c: c.sepal_inquiry(
                date_from=date_from, date_to=date_to, payer_card_number=payer_card_number, page=page, limit=limit
            )
        )

    async def mupra_balance(self) -> int:
        return await self._run(lambda c: c.mupra_balance())

    async def mupra_transactions(self, page: int = 0, page_size: int = 10) -> Dict[str, Any]:
        return await self._run(lambda c: c.mupra_transactions(page, page_size))

    async def mupra_all_transactions(self, page_size: int = 50) -> AsyncIterator[Dict[str, Any]]:
        """Every Mupra transaction, fetching a page (on the pool) as the iteration reaches it."""
        page = 0
        while True:
            answer = await self.mupra_transactions(page, page_size)
            for transaction in answer["transactions"]:
                yield transaction
            page += 1
            if not answer["transactions"] or page >= answer["total_pages"]:
                return

    async def mupra_paya_transfer(self, idempotency_key: str, amount: int, iban: str, cif: str, description: str = "") -> Any:
        return await self._run(lambda c: c.mupra_paya_transfer(idempotency_key, amount, iban, cif, description))

    async def vandar_balance(self) -> Any:
        return await self._run(lambda c: c.vandar_balance())

    async def vandar_transactions(self, query: Optional[Mapping[str, str]] = None) -> Any:
        return await self._run(lambda c: c.vandar_transactions(query))

    async def vandar_settlement_store(self, idempotency_key: str, amount: int, iban: str, description: Optional[str] = None) -> Any:
        return await self._run(lambda c: c.vandar_settlement_store(idempotency_key, amount, iban, description))

    async def vandar_settlements(self) -> Any:
        return await self._run(lambda c: c.vandar_settlements())

    async def vandar_settlement(self, settlement_id: str) -> Any:
        return await self._run(lambda c: c.vandar_settlement(settlement_id))

    async def vandar_settlement_cancel(self, transaction_id: str) -> Any:
        return await self._run(lambda c: c.vandar_settlement_cancel(transaction_id))

    async def vandar_settlement_banks(self) -> Any:
        return await self._run(lambda c: c.vandar_settlement_banks())

    async def vandar_refund(self, idempotency_key: str, transaction_id: str, body: Optional[Mapping[str, Any]] = None) -> Any:
        return await self._run(lambda c: c.vandar_refund(idempotency_key, transaction_id, body))

    async def vandar_call(
        self,
        endpoint: str,
        params: Optional[Mapping[str, str]] = None,
        query: Optional[Mapping[str, str]] = None,
        body: Any = None,
    ) -> Any:
        return await self._run(lambda c: c.vandar_call(endpoint, params, query, body))

    async def vandar_endpoints(self) -> List[str]:
        return await self._run(lambda c: c.vandar_endpoints())

    async def call(self, operation: str, params: Optional[Mapping[str, Any]] = None) -> Any:
        return await self._run(lambda c: c.call(operation, params))


def _snapshot(part: CallbackPart, name: str) -> CallbackPart:
    """A framework's request mapping read now, on the loop's thread (it may
    not be safe to read from another thread later), as plain data."""
    taken = _callback_part(part, name)
    if isinstance(taken, bytes):
        return taken
    values: Dict[str, List[str]] = {}
    for key, value in taken:
        values.setdefault(key, []).append(value)
    return values
