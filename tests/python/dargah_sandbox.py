"""The gateway sandbox for the wheel's own tests (python/tests), in the shape
those tests were written against: ``pay(gateway, token, action)``,
``verify_calls(gateway, token)``, ``Callback.query`` as (key, value) pairs.

It is ``dargah.testing``'s sandbox — the same server ``dargah sandbox``
serves, compiled into the wheel — started in the test process, so these
tests need the installed wheel and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Dict, List, Optional, Tuple, Type
from urllib.parse import parse_qsl, urlsplit

import dargah.testing

CARD = dargah.testing.CARD


@dataclass(frozen=True)
class Callback:
    """The request the customer's browser makes to the shop after the payment page."""

    method: str
    url: str
    form: Dict[str, str] = field(default_factory=dict)

    @property
    def query(self) -> List[Tuple[str, str]]:
        return parse_qsl(urlsplit(self.url).query, keep_blank_values=True)

    @property
    def path(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.path}?{parts.query}" if parts.query else parts.path


class Sandbox:
    """A running sandbox; use as a context manager or call stop()."""

    def __init__(self, kit: dargah.testing.Sandbox) -> None:
        self._kit = kit
        self.base_url = kit.base_url

    @classmethod
    def start(cls) -> "Sandbox":
        return cls(dargah.testing.Sandbox())

    def client_config(self, store: str, **overrides: Any) -> Dict[str, Any]:
        """A client configuration for every gateway of this sandbox, on `store`
        (`second_account="branch2"`: the sandbox's second merchant account too)."""
        return self._kit.config(store, **overrides)

    def credential_calls(self, credential: str, endpoint: str) -> int:
        return self._kit.credential_calls(credential, endpoint)

    def pay(self, gateway: str, token: str, action: str = "pay", card: str = CARD) -> Callback:
        """Press Pay (or Cancel) on the payment page; the callback the browser would make."""
        callback = self._kit.pay((gateway, token), "ok" if action == "pay" else "cancel", card=card)
        return Callback(method=callback.method, url=callback.url, form=callback.form)

    def stats(self) -> Dict[str, Any]:
        return self._kit.stats()

    def calls(self, token: str, endpoint: str) -> int:
        return int(self.stats()["by_token"].get(token, {}).get(endpoint, 0))

    def verify_calls(self, gateway: str, token: str) -> int:
        return self._kit.verify_calls((gateway, token))

    def fault(self, endpoint: str, **spec: Any) -> None:
        """Add a fault (`status`, `latency_ms`, `malformed_json`, `drop_after_process`, `count`)."""
        self._kit.fault(endpoint, **spec)

    def clear_faults(self) -> None:
        self._kit.clear_faults()

    def stop(self) -> None:
        self._kit.stop()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        self.stop()
