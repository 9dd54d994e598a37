"""The client: the core's calls with checked arguments and typed answers."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple, Union
from urllib.parse import urlencode

from . import _native
from ._errors import InvalidCallbackError
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

#: One half of a callback (its query or its form) as a web framework hands it
#: over: a mapping — Django's ``QueryDict``, Starlette's ``QueryParams`` and
#: ``FormData``, Werkzeug's ``MultiDict``, or a dict whose values are strings
#: or lists of strings — or the raw urlencoded text (``str`` or ``bytes``).
#: Every value of a multi-valued key is passed on: the core accepts a key given
#: twice with the same value and refuses one given with two different values.
#: A value that is not text (a multipart file part) is an ``InvalidCallbackError``.
CallbackPart = Union[Mapping[str, object], str, bytes, None]

_U64_MAX = 2**64 - 1


def _check(value: Any, kind: Union[type, Tuple[type, ...]], name: str) -> None:
    # bool is an int in Python, but never a sensible amount or limit.
    if not isinstance(value, kind) or isinstance(value, bool):
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise TypeError(f"{name} must be {expected}, not {type(value).__name__}")


def _gateway(gateway: Union[Gateway, str]) -> str:
    _check(gateway, str, "gateway")
    return gateway.value if isinstance(gateway, Gateway) else gateway


def _json(value: Any) -> str:
    def mapping_to_dict(o: Any) -> Any:
        if isinstance(o, Mapping):
            return dict(o)
        raise TypeError(f"{type(o).__name__} is not JSON serializable")

    return json.dumps(value, default=mapping_to_dict)


def _pairs(part: Mapping[str, object], name: str) -> List[Tuple[str, str]]:
    multi_items = getattr(part, "multi_items", None)  # Starlette
    lists = getattr(part, "lists", None)  # Django, Werkzeug
    if callable(multi_items):
        items = list(multi_items())
    elif callable(lists):
        items = [(k, v) for k, values in lists() for v in values]
    else:
        items = [(k, v) for k, value in part.items() for v in (value if isinstance(value, (list, tuple)) else (value,))]
    for key, value in items:
        # What a request carried, not a programming error: a multipart file
        # part (Starlette's UploadFile, Django's and Werkzeug's keep files
        # apart) is refused like any other callback a gateway never sends.
        if not isinstance(key, str) or not isinstance(value, str):
            shown = repr(key)[:40] if isinstance(key, str) else f"of type {type(key).__name__}"
            raise InvalidCallbackError(f"callback {name} field {shown}: a gateway sends text fields, not {type(value).__name__}")
    return items


def _callback_part(part: CallbackPart, name: str) -> Union[List[Tuple[str, str]], bytes]:
    if part is None:
        return []
    if isinstance(part, str):
        try:
            return part.encode()
        except UnicodeEncodeError:  # lone surrogates: bytes a WSGI server could not decode
            raise InvalidCallbackError(f"callback {name} is not valid UTF-8 text") from None
    if isinstance(part, (bytes, bytearray, memoryview)):
        return bytes(part)
    if isinstance(part, Mapping):
        return _pairs(part, name)
    raise TypeError(f"callback {name} must be a mapping, str or bytes, not {type(part).__name__}")


def _config_text(config: Union[Mapping[str, Any], str]) -> Tuple[str, bool]:
    """(text, is_toml) of a configuration given as a dict or as JSON/TOML text."""
    if isinstance(config, Mapping):
        return _json(config), False
    if isinstance(config, str):
        return config, not config.lstrip().startswith("{")
    raise TypeError(f"config must be a dict or JSON/TOML text, not {type(config).__name__}")


def check_config(config: Union[Mapping[str, Any], str]) -> None:
    """Raise ``ConfigError`` (or ``InvalidInputError``) if ``config`` would not
    make a client. Opens nothing: the store is not touched."""
    _native.check_config(*_config_text(config))


class Client:
    """A configured Dargah client.

    ``config`` is a dict, or JSON or TOML text (see docs/python.md). Making a
    client opens (and migrates) the payment store but starts no thread and
    makes no connection; that happens on the first gateway call, once per
    process, so a client made before ``fork()`` (gunicorn ``--preload``,
    multiprocessing) works in every child. Share one client between threads.

    Every method that waits (on a gateway, or on the store's lock) releases
    the GIL while it waits.
    """

    def __init__(self, config: Union[Mapping[str, Any], str]) -> None:
        self._native = _native.Client(*_config_text(config))
        self._account: Optional[str] = None

    def __repr__(self) -> str:
        # Never the configuration: it holds the gateways' credentials.
        account = f" account={self._account}" if self._account is not None else ""
        return f"<dargah.Client gateways={','.join(self._native.gateways()) or 'none'}{account}>"

    @property
    def account(self) -> str:
        """The merchant account this client speaks for (``"default"``: each
        gateway's own table in the configuration)."""
        return self._account or "default"

    def with_account(self, account: str) -> "Client":
        """The same client (store, connections, token pairs) speaking for
        another merchant account (``[vandar.accounts.branch2]`` in the
        configuration): payments it creates, and its business calls
        (balances, settlements, refunds, reports), use that account's
        credentials. Calls on a stored payment always use the payment's own
        account. An account no gateway has raises ``ConfigError`` (the name
        is never repeated)."""
        _check(account, str, "account")
        # Checked by the core, with no network call.
        self._native.call("vandar.endpoints", _json({"account": account}))
        scoped = Client.__new__(Client)
        scoped._native = self._native
        scoped._account = account
        return scoped

    def create_payment(
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
        """Record a payment of ``amount`` rial for the order ``invoice_id``
        (unique per gateway), ask the gateway for it, and say where to send
        the customer (``.redirect``). The gateway calls ``callback_url`` back,
        with ``dargah_ref`` added to its query.

        ``account`` names the gateway's merchant account (this client's
        account, ``"default"`` unless ``with_account``, when not given); the
        payment keeps it, and its callbacks, recovery, reconciliation and
        refunds use that account."""
        _check(invoice_id, str, "invoice_id")
        _check(amount, int, "amount")
        _check(callback_url, str, "callback_url")
        # Out-of-range amounts are passed on clamped, for the core to refuse in its own words.
        request: Dict[str, Any] = {
            "invoice_id": invoice_id,
            "amount": min(max(amount, 0), _U64_MAX),
            "callback_url": callback_url,
        }
        account = account if account is not None else self._account
        for name, value, kind in (("mobile", mobile, str), ("description", description, str), ("vandar", vandar, dict), ("account", account, str)):
            if value is not None:
                _check(value, kind, name)
                request[name] = value
        created = self._native.create_payment(_gateway(gateway), _json(request))
        return CreatedPayment._from_created(created)

    def redirect(self, payment_id: str) -> Redirect:
        """Where to send the customer of a payment created earlier, again."""
        _check(payment_id, str, "payment_id")
        return Redirect._from_core(self._native.redirect(payment_id))

    def handle_callback(
        self, gateway: Union[Gateway, str], query: CallbackPart = None, form: CallbackPart = None, *, account: Optional[str] = None
    ) -> Outcome:
        """Handle the gateway's callback exactly as the browser delivered it:
        ``handle_callback("canpay", request.GET, request.POST)``.

        The payment is verified with the gateway at most as often as it needs,
        always with its own merchant account's credentials; exactly one caller
        ever gets ``OutcomeKind.NEWLY_PAID`` (credit the order, then
        ``acknowledge``), every later one the stored outcome. ``account``: the
        merchant account whose callback URL this is; a payment of another
        account is refused (``InvalidCallbackError``, no gateway call).
        """
        gateway_name = _gateway(gateway)
        if account is not None:
            _check(account, str, "account")
        query_part, form_part = _callback_part(query, "query"), _callback_part(form, "form")
        if isinstance(query_part, list) and isinstance(form_part, list):
            return Outcome._from_core(self._native.handle_callback(gateway_name, query_part, form_part, account))
        # At least one half is raw text: hand the core both halves raw.
        raw_query, raw_form = (p if isinstance(p, bytes) else urlencode(p).encode() for p in (query_part, form_part))
        return Outcome._from_core(self._native.handle_callback_raw(gateway_name, raw_query, raw_form, account))

    def payment(self, payment_id: str) -> Payment:
        """A stored payment by Dargah's id."""
        _check(payment_id, str, "payment_id")
        return Payment._from_core(self.call("payment", {"id": payment_id}))

    def payments(self, state: Union[PaymentState, str, None] = None, *, limit: int = 100, offset: int = 0) -> List[Payment]:
        """Stored payments, newest first, optionally only those in ``state``."""
        _check(limit, int, "limit")
        _check(offset, int, "offset")
        params: Dict[str, Any] = {"limit": limit, "offset": offset}
        if state is not None:
            _check(state, str, "state")
            params["state"] = str(state)
        return [Payment._from_core(p) for p in self.call("payments.list", params)]

    def history(self, payment_id: str) -> List[PaymentEvent]:
        """What the gateway answered each time this payment was checked, oldest first."""
        _check(payment_id, str, "payment_id")
        return [PaymentEvent._from_core(e) for e in self._native.events(payment_id)]

    def events(self, payment_id: str) -> List[Dict[str, Any]]:
        """A payment's whole history, oldest first, for "what happened to
        order 1001?": ``[{"at": ms, "fence", "label", "raw"}]``, ``label``
        the state it moved to or what happened (``amount_mismatch``,
        ``refused_callback`` …), ``raw`` the gateway's answers as a dict, cut
        to what a dispute needs (cards masked, no card hashes)."""
        _check(payment_id, str, "payment_id")
        events: List[Dict[str, Any]] = self._native.call("payment.events", _json({"id": payment_id}))
        return events

    def unacknowledged(self, limit: int = 100) -> List[Payment]:
        """Paid payments the shop has not acknowledged: what a shop that
        stopped after ``NEWLY_PAID`` still has to fulfil."""
        _check(limit, int, "limit")
        return [Payment._from_core(p) for p in self.call("unacknowledged", {"limit": limit})]

    def acknowledge(self, payment_id: str) -> bool:
        """The shop fulfilled this paid payment. True the first time."""
        _check(payment_id, str, "payment_id")
        return bool(self.call("acknowledge", {"id": payment_id})["acknowledged"])

    def recover(self, limit: int = 100) -> RecoverReport:
        """Resolve payments left in doubt (a timeout, a crash mid-verify) with
        their gateways. Run it every few minutes, well inside the refund window."""
        _check(limit, int, "limit")
        return RecoverReport._from_core(self.call("recover", {"limit": limit}))

    def capabilities(self, gateway: Union[Gateway, str]) -> Capabilities:
        """What ``gateway`` can do."""
        return Capabilities._from_core(self.call("capabilities", {"gateway": _gateway(gateway)}))

    def sepal_payment_state(self, payment_number: int) -> SepalPaymentState:
        """Sepal's state of a payment (logs in as needed, keeps the token until it expires)."""
        _check(payment_number, int, "payment_number")
        return SepalPaymentState._from_core(self.call("sepal.payment_state", {"payment_number": payment_number}))

    def reconcile(self, *, min_age_secs: int = 120, limit: int = 200) -> Dict[str, Any]:
        """One reconciliation pass: verify payments whose customer never came
        back, before their refund deadline. Safe from cron on several hosts at
        once. Returns the counts (``paid``, ``failed``, ``cancelled``,
        ``expired``, ``needs_review``, ``still_waiting``, ``in_doubt``) and the
        ``outcomes`` it produced; credit the paid ones from ``unacknowledged()``."""
        _check(min_age_secs, int, "min_age_secs")
        _check(limit, int, "limit")
        report: Dict[str, Any] = self.call("reconcile", {"min_age_secs": min_age_secs, "limit": limit})
        return report

    # Reporting and money. Answers are the gateway's data as dicts and lists;
    # money-moving calls take an idempotency key, so a retry never moves money twice.

    def mupra_balance(self) -> int:
        """What Mupra has settled with the merchant so far, in rial."""
        return int(self.call("mupra.balance")["balance"])

    def mupra_transactions(self, page: int = 0, page_size: int = 10) -> Dict[str, Any]:
        """One page of Mupra's transactions (pages count from 0):
        ``{"page", "total_pages", "result_count", "transactions": [...]}``."""
        _check(page, int, "page")
        _check(page_size, int, "page_size")
        answer: Dict[str, Any] = self.call("mupra.transactions", {"page": page, "page_size": page_size})
        return answer

    def mupra_all_transactions(self, page_size: int = 50) -> Iterator[Dict[str, Any]]:
        """Every Mupra transaction, fetching pages as the iteration goes."""
        page = 0
        while True:
            answer = self.mupra_transactions(page, page_size)
            yield from answer["transactions"]
            page += 1
            if not answer["transactions"] or page >= answer["total_pages"]:
                return

    def mupra_paya_transfer(self, idempotency_key: str, amount: int, iban: str, cif: str, description: str = "") -> Any:
        """A PAYA transfer from the Mupra balance to ``iban`` (checked: IR +
        24 digits, mod-97) — at most once per ``idempotency_key``."""
        _check(idempotency_key, str, "idempotency_key")
        _check(amount, int, "amount")
        return self.call(
            "mupra.paya_transfer",
            {"idempotency_key": idempotency_key, "amount": amount, "iban": iban, "cif": cif, "description": description},
        )

    def sepal_gateway_balance(self, api_key: Optional[str] = None) -> List[Dict[str, Any]]:
        """Sepal's terminals and balances (``code``, ``psp_title``, ``balance``)."""
        terminals: List[Dict[str, Any]] = self.call("sepal.gateway_balance", {"api_key": api_key})
        return terminals

    def sepal_inquiry(
        self,
        *,
        date_from: Optional[str] = None,
        date_to: Optional[str] = None,
        payer_card_number: Optional[str] = None,
        page: Optional[int] = None,
        limit: Optional[int] = None,
    ) -> Dict[str, Any]:
        """Sepal's transactions by date range and/or payer card. Dates are
        Gregorian (``2022-03-21``) or Jalali (``1401/01/01``); each item's
        ``created`` comes back in both calendars."""
        params = {"date_from": date_from, "date_to": date_to, "payer_card_number": payer_card_number, "page": page, "limit": limit}
        answer: Dict[str, Any] = self.call("sepal.inquiry", {k: v for k, v in params.items() if v is not None})
        return answer

    def vandar_balance(self) -> Any:
        return self.call("vandar.balance")

    def vandar_transactions(self, query: Optional[Mapping[str, str]] = None) -> Any:
        return self.call("vandar.transactions", {"query": dict(query or {})})

    def vandar_settlement_store(self, idempotency_key: str, amount: int, iban: str, description: Optional[str] = None) -> Any:
        """Settle ``amount`` rial to ``iban``, at most once per key (sent to Vandar as ``track_id``)."""
        _check(amount, int, "amount")
        params: Dict[str, Any] = {"idempotency_key": idempotency_key, "amount": amount, "iban": iban}
        if description is not None:
            params["description"] = description
        return self.call("vandar.settlement_store", params)

    def vandar_settlements(self) -> Any:
        return self.call("vandar.settlements")

    def vandar_settlement(self, settlement_id: str) -> Any:
        return self.call("vandar.settlement", {"settlement_id": settlement_id})

    def vandar_settlement_cancel(self, transaction_id: str) -> Any:
        return self.call("vandar.settlement_cancel", {"transaction_id": transaction_id})

    def vandar_settlement_banks(self) -> Any:
        return self.call("vandar.settlement_banks")

    def vandar_refund(self, idempotency_key: str, transaction_id: str, body: Optional[Mapping[str, Any]] = None) -> Any:
        """Refund an IPG payment by its ``transId``, at most once per key."""
        params: Dict[str, Any] = {"idempotency_key": idempotency_key, "transaction_id": transaction_id}
        if body is not None:
            params["body"] = dict(body)
        return self.call("vandar.refund", params)

    def vandar_call(
        self,
        endpoint: str,
        params: Optional[Mapping[str, str]] = None,
        query: Optional[Mapping[str, str]] = None,
        body: Any = None,
    ) -> Any:
        """Any business endpoint Vandar lists, by its documented name, e.g.
        ``"GET /v3/business/:business/cash-in/code"`` (see ``vandar_endpoints()``).
        A typo or a missing path parameter raises before any network call."""
        return self.call("vandar.call", {"endpoint": endpoint, "params": dict(params or {}), "query": dict(query or {}), "body": body})

    def vandar_endpoints(self) -> List[str]:
        endpoints: List[str] = self.call("vandar.endpoints")
        return endpoints

    def call(self, operation: str, params: Optional[Mapping[str, Any]] = None) -> Any:
        """Run one of the core's operations (``dargah.OPERATIONS``) with JSON
        parameters and return its JSON answer as dicts and lists. Unknown
        operations and wrong parameters raise ``InvalidInputError`` before any
        network call."""
        _check(operation, str, "operation")
        if params is not None and not isinstance(params, Mapping):
            raise TypeError(f"params must be a mapping, not {type(params).__name__}")
        if self._account is not None and (params is None or "account" not in params):
            params = {**(params or {}), "account": self._account}
        return self._native.call(operation, _json(params))
