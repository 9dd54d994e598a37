"""The gateway sandbox for Python tests: start `dargah sandbox` on a free
loopback port, read the client configuration it prints, drive its control API
(pay without a browser, count calls, inject faults), and stop it.

Shared by the wheel's tests (python/tests) and the Django example's tests
(examples/django), so both speak to the sandbox the same way.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Dict, List, Optional, Tuple, Type
from urllib.parse import parse_qsl, urlsplit

REPO = Path(__file__).resolve().parents[2]
CARD = "6037991234567890"

#: The sandbox's counter name for each gateway's verify call.
VERIFY_ENDPOINT = {
    "mupra": "mupra.verify",
    "canpay": "canpay.verify",
    "atipay": "atipay.verify-payment",
    "vandar": "vandar.verify",
}


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _binary() -> Path:
    binary = Path(os.environ.get("DARGAH_BIN", REPO / "target" / "debug" / "dargah"))
    if not binary.exists():
        raise RuntimeError(f"{binary} is missing: build it with `cargo build -p dargah-cli` (or set DARGAH_BIN)")
    return binary


class Sandbox:
    """A running `dargah sandbox`; use as a context manager or call stop()."""

    def __init__(self, process: "subprocess.Popen[bytes]", base_url: str, config: Dict[str, Any], log: Path) -> None:
        self.process = process
        self.base_url = base_url
        self._config = config
        self.log = log

    @classmethod
    def start(cls, *, attempts: int = 5, timeout: float = 20.0) -> "Sandbox":
        binary = _binary()
        log_dir = Path(tempfile.mkdtemp(prefix="dargah-sandbox-"))
        for attempt in range(attempts):
            # Another process may take the port between our probe and the bind: try again.
            port = _free_port()
            log = log_dir / f"sandbox-{attempt}.log"
            with open(log, "wb") as out:
                process = subprocess.Popen(
                    [str(binary), "sandbox", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=out
                )
            config = cls._wait_for_config(process, log, timeout)
            if config is not None:
                return cls(process, f"http://127.0.0.1:{port}", config, log)
        raise RuntimeError(f"the sandbox did not start; see {log_dir}")

    @staticmethod
    def _wait_for_config(process: "subprocess.Popen[bytes]", log: Path, timeout: float) -> Optional[Dict[str, Any]]:
        """The client configuration the sandbox prints once it listens."""
        marker = "client configuration for it:"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = log.read_text(errors="replace")
            if marker in text:
                try:
                    config, _ = json.JSONDecoder().raw_decode(text.split(marker, 1)[1].lstrip())
                    return dict(config)
                except ValueError:
                    pass  # not all written yet
            if process.poll() is not None:
                return None
            time.sleep(0.05)
        process.kill()
        process.wait()
        return None

    def client_config(self, store: str, **overrides: Any) -> Dict[str, Any]:
        """A client configuration for every gateway of this sandbox, on `store`."""
        config = copy.deepcopy(self._config)
        config["store"] = store
        config.update(overrides)
        return config

    def _request(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"sandbox {method} {path}: HTTP {e.code}: {e.read().decode(errors='replace')}") from None

    def pay(self, gateway: str, token: str, action: str = "pay", card: str = CARD) -> Callback:
        """Press Pay (or Cancel) on the payment page; the callback the browser would make."""
        answer = self._request("POST", "/_control/pay", {"gateway": gateway, "token": token, "action": action, "card": card})
        return Callback(method=answer["method"], url=answer["url"], form=dict(answer.get("form") or {}))

    def stats(self) -> Dict[str, Any]:
        stats: Dict[str, Any] = self._request("GET", "/_control/stats")
        return stats

    def calls(self, token: str, endpoint: str) -> int:
        return int(self.stats()["by_token"].get(token, {}).get(endpoint, 0))

    def verify_calls(self, gateway: str, token: str) -> int:
        return self.calls(token, VERIFY_ENDPOINT[gateway])

    def fault(self, endpoint: str, **spec: Any) -> None:
        """Add a fault (`status`, `latency_ms`, `malformed_json`, `drop_after_process`, `count`)."""
        self._request("POST", "/_control/faults", {"endpoint": endpoint, **spec})

    def clear_faults(self) -> None:
        self._request("DELETE", "/_control/faults")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        self.stop()
