"""The gateway sandbox inside the wheel, for a shop's own tests.

    with dargah.testing.sandbox() as sb:
        client = dargah.Client(sb.config(store=f"sqlite://{tmp_path}/dargah.db"))
        created = client.create_payment("vandar", "order-1", 250_000, "http://127.0.0.1:8000/pay/callback/vandar")
        callback = sb.pay(created)                       # what the customer's browser sends back
        outcome = client.handle_callback(callback.gateway, callback.query, callback.form)
        assert outcome.is_newly_paid and sb.verify_calls(created) == 1

It is the same server ``dargah sandbox`` runs: the wire APIs of Mupra, CanPay,
AtiPay, Vandar and Sepal, their payment pages (a browser can pay on them),
fault injection and call counters, started in this process on a free
loopback port. With pytest, the ``dargah_sandbox`` fixture gives one (see
``dargah.testing.pytest_plugin``).

``import dargah`` does not import this module; nothing of the sandbox runs
until ``sandbox()`` is called.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Dict, Iterator, List, Literal, Mapping, Optional, Sequence, Tuple, Type, Union
from urllib.parse import parse_qsl, urlencode, urlsplit

from .. import _native
from .._model import Gateway, Payment

__all__ = ["CARD", "Callback", "PayOutcome", "Sandbox", "SandboxError", "sandbox"]

#: The card the sandbox's pages accept by default (any 16 digits do).
CARD = "6037991234567890"

#: What the customer does on the gateway's page.
PayOutcome = Literal["ok", "fail", "cancel"]


class SandboxError(RuntimeError):
    """The sandbox refused a control request (an unknown token, a finished payment...)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Callback:
    """The request the customer's browser makes to the shop after the gateway's page.

    Hand it to the client as the shop's view would:
    ``client.handle_callback(cb.gateway, cb.query, cb.form)``, or send it to
    the shop's own callback view (``cb.method`` to ``cb.path``, ``cb.form``
    as the urlencoded body when it is a POST).
    """

    gateway: str
    #: "GET" (a redirect: Mupra, Vandar) or "POST" (a self-submitting form: CanPay, AtiPay).
    method: Literal["GET", "POST"]
    #: The shop's callback URL as the gateway completed it.
    url: str
    form: Dict[str, str] = field(default_factory=dict)

    @property
    def query(self) -> Dict[str, str]:
        """The callback URL's query (``dargah_ref`` and the gateway's own fields)."""
        return dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))

    @property
    def path(self) -> str:
        """Path and query, for a test client (``client.get(cb.path)``)."""
        parts = urlsplit(self.url)
        return f"{parts.path}?{parts.query}" if parts.query else parts.path

    @property
    def body(self) -> bytes:
        """The form as the urlencoded body a browser posts."""
        return urlencode(self.form).encode()


def _token_of(payment: Union[Payment, Tuple[str, str]]) -> Tuple[str, str]:
    if isinstance(payment, Payment):
        if not payment.token:
            raise ValueError(f"payment {payment.id} has no gateway token: it was never sent to the gateway")
        return str(payment.gateway), payment.token
    gateway, token = payment
    return str(gateway), token


class Sandbox:
    """A running sandbox. Use ``dargah.testing.sandbox()``, which stops it at the end."""

    def __init__(self, *, refund_window_secs: int = 900, rate_limits: bool = True) -> None:
        native = getattr(_native, "Sandbox", None)
        if native is None:
            raise RuntimeError("this dargah wheel was built without the test kit (cargo feature `testkit`)")
        self._native = native(refund_window_secs, rate_limits)
        #: ``http://127.0.0.1:PORT``: the gateways' base, and their payment pages.
        self.base_url: str = self._native.base_url

    def __repr__(self) -> str:
        return f"<dargah.testing.Sandbox {self.base_url}{'' if self._native.is_running() else ' stopped'}>"

    def config(self, store: str, *, second_account: Optional[str] = None, **overrides: Any) -> Dict[str, Any]:
        """A ``Client`` configuration for every gateway of this sandbox (and
        Sepal), with the sandbox's credentials, keeping payments in ``store``
        (``sqlite:///path/dargah.db``, ``postgres://...``). With
        ``second_account="branch2"`` the sandbox's second merchant account is
        under every gateway as ``accounts.branch2``. ``overrides`` are
        further top-level keys (``refund_window_secs``, ``http``...)."""
        config: Dict[str, Any] = json.loads(self._native.client_config(store, second_account))
        config.update(overrides)
        return config

    # The control API (GET /_control/stats, POST /_control/pay ...), as `dargah sandbox` serves it.

    def _control(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base_url}/_control/{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")
            try:
                detail = json.loads(detail)["error"]
            except (ValueError, KeyError, TypeError):
                pass
            raise SandboxError(f"sandbox {method} /_control/{path}: {detail}", e.code) from None

    def pay(self, payment: Union[Payment, Tuple[str, str]], outcome: PayOutcome = "ok", *, card: str = CARD) -> Callback:
        """Do what the customer does on the gateway's page, and return the
        callback their browser would then deliver to the shop.

        ``payment`` is what ``create_payment`` returned (or a stored
        ``Payment``, or ``(gateway, token)``). ``outcome``: ``"ok"`` pays with
        ``card``; ``"cancel"`` presses Cancel; ``"fail"`` is a payment the
        gateway declined. The gateway's money does not move for either, and
        each gateway says so in its own callback: Mupra ``status=FAILED``,
        CanPay ``success=0``, Vandar ``payment_status=FAILED`` for both, and
        AtiPay ``state=CanceledByUser`` or ``state=Failed``.
        """
        gateway, token = _token_of(payment)
        if outcome not in ("ok", "fail", "cancel"):
            raise ValueError(f'outcome must be "ok", "fail" or "cancel", not {outcome!r}')
        action = "pay" if outcome == "ok" else "cancel"
        answer = self._control("POST", "pay", {"gateway": gateway, "token": token, "action": action, "card": card})
        form = {str(k): str(v) for k, v in (answer.get("form") or {}).items()}
        if outcome == "fail" and gateway == Gateway.ATIPAY.value:
            # AtiPay's table 1: a declined payment is state Failed, status 3.
            form.update(state="Failed", status="3")
        return Callback(gateway=gateway, method=answer["method"], url=answer["url"], form=form)

    def gateway_payment(self, payment: Union[Payment, Tuple[str, str]]) -> Dict[str, Any]:
        """The gateway's side of a payment: ``status`` ("pending", "paid",
        "cancelled", "refunded"), ``verified``, ``verify_count``, ``card``..."""
        gateway, token = _token_of(payment)
        answer: Dict[str, Any] = self._control("GET", f"payments/{gateway}/{token}")
        return answer

    def stats(self) -> Dict[str, Any]:
        """Every call counted since the start (or ``reset()``):
        ``{"calls": {"vandar.verify": 3, ...}, "by_token": {token: {...}}}``."""
        stats: Dict[str, Any] = self._control("GET", "stats")
        return stats

    def calls(self, payment: Union[Payment, Tuple[str, str]], endpoint: str, *, processed: bool = False) -> int:
        """How often ``endpoint`` (e.g. ``"vandar.transaction"``) was called for
        this payment; with ``processed``, only the calls that reached the
        gateway's logic (not those an injected ``status`` refused)."""
        _, token = _token_of(payment)
        counter = "processed_by_token" if processed else "by_token"
        return int(self.stats().get(counter, {}).get(token, {}).get(endpoint, 0))

    def credential_calls(self, credential: str, endpoint: str) -> int:
        """How often the sandbox served ``endpoint`` to requests carrying
        ``credential`` (an api key, merchant id, or Vandar business)."""
        return int(self.stats().get("by_credential", {}).get(credential, {}).get(endpoint, 0))

    def verify_calls(self, payment: Union[Payment, Tuple[str, str]], *, processed: bool = False) -> int:
        """How often the gateway was asked to verify this payment: verify-once means 1."""
        gateway, _ = _token_of(payment)
        endpoint = _native.Sandbox.verify_endpoint(gateway)
        if endpoint is None:
            raise ValueError(f"{gateway} has no payments")
        return self.calls(payment, endpoint, processed=processed)

    def fault(
        self,
        endpoint: str,
        *,
        status: Optional[int] = None,
        latency_ms: int = 0,
        malformed_json: bool = False,
        drop_after_process: bool = False,
        set_fields: Optional[Mapping[str, Any]] = None,
        remove_fields: Sequence[str] = (),
        unwrap: Optional[str] = None,
        count: Optional[int] = None,
    ) -> None:
        """Make ``endpoint`` (``"vandar.verify"``, ``"canpay.token"``...) misbehave,
        for ``count`` requests (``None``: until ``clear_faults()``):

        - ``status``: answer this HTTP status in the gateway's error envelope, without acting;
        - ``latency_ms``: act, then wait before answering (a client that timed out was still served);
        - ``malformed_json``: act, then answer half of the real body;
        - ``drop_after_process``: act, then close the connection without an answer;
        - answers the gateway's documents leave open, written over a successful
          JSON answer: ``set_fields`` (``{"code": 7}``: a code the document does
          not list), ``remove_fields`` (``["amount", "realAmount"]``: no amount),
          ``unwrap`` (``"result"``: the body replaced by that field).
        """
        spec: Dict[str, Any] = {
            "endpoint": endpoint,
            "latency_ms": latency_ms,
            "malformed_json": malformed_json,
            "drop_after_process": drop_after_process,
        }
        if status is not None:
            spec["status"] = status
        if set_fields is not None:
            spec["set"] = dict(set_fields)
        if remove_fields:
            spec["remove"] = list(remove_fields)
        if unwrap is not None:
            spec["unwrap"] = unwrap
        if count is not None:
            spec["count"] = count
        self._control("POST", "faults", spec)

    def faults(self) -> List[Dict[str, Any]]:
        faults: List[Dict[str, Any]] = self._control("GET", "faults")["faults"]
        return faults

    def clear_faults(self) -> None:
        self._control("DELETE", "faults")

    def reset(self) -> None:
        """Clear the counters and faults (payments stay)."""
        self._control("POST", "reset")

    def set_options(
        self,
        *,
        refund_window_secs: Optional[int] = None,
        rate_limits: Optional[bool] = None,
        refuse_repeat_verify: Optional[bool] = None,
    ) -> None:
        """Change, while running: the refund window (a paid payment not
        verified in time is refunded), Vandar's business API rate limits, and
        ``refuse_repeat_verify`` (AtiPay and Mupra refuse every verify after
        the first, which their documents allow)."""
        change: Dict[str, Any] = {}
        if refuse_repeat_verify is not None:
            change["refuse_repeat_verify"] = refuse_repeat_verify
        if refund_window_secs is not None:
            change["refund_window_secs"] = refund_window_secs
        if rate_limits is not None:
            change["rate_limits"] = rate_limits
        self._control("POST", "config", change)

    def set_readings(self, payment: Union[Payment, Tuple[str, str], None] = None, **readings: str) -> Dict[str, str]:
        """Choose how the sandbox reads what the gateways' documents leave
        open (docs/gateway-readings.md): for the whole run, or with
        ``payment`` for that payment alone. Each keyword names a silence and
        the reading to speak, e.g.
        ``set_readings(vandar_info_verified="refused", vandar_unpaid_verify="spends_answer")``;
        the defaults are only what the documents show. Returns the readings
        now in force there.

        Silences and readings: ``vandar_info_unpaid`` (``code1``,
        ``invented_codes``, ``refused``), ``vandar_info_verified``
        (``code1``, ``invented_codes``, ``unknown_code``, ``refused``),
        ``vandar_unpaid_verify`` (``unspent``, ``spends_answer``),
        ``repeat_verify`` for Mupra and AtiPay (``answers_again``,
        ``refused``), ``mupra_unpaid_verify`` (``answers_again``,
        ``refuses_later``), ``mupra_first_verify`` (``answered``,
        ``processed_and_refused``), ``vandar_refresh``
        (``keeps_access_tokens``, ``revokes_access_tokens``)."""
        body: Dict[str, Any] = dict(readings)
        if payment is not None:
            body["gateway"], body["token"] = _token_of(payment)
        answer: Dict[str, str] = self._control("POST", "readings", body)["readings"]
        return answer

    def stop(self) -> None:
        """Stop serving (also at the end of the ``with`` block). Safe to call twice."""
        self._native.stop()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        self.stop()


@contextmanager
def sandbox(*, refund_window_secs: int = 900, rate_limits: bool = True) -> Iterator[Sandbox]:
    """Start the gateway sandbox in this process on a free loopback port;
    stop it when the block ends. ``refund_window_secs``: a payment paid but
    not verified within it is refunded, as CanPay does after 15 minutes."""
    running = Sandbox(refund_window_secs=refund_window_secs, rate_limits=rate_limits)
    try:
        yield running
    finally:
        running.stop()
