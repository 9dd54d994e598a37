"""One gateway sandbox for the whole test run (dargah.testing: in this
process, from the installed wheel), pointed at by settings.DARGAH with a
fresh store per test class, and a record of the callback requests."""

from __future__ import annotations

import atexit
import tempfile
from pathlib import Path
from typing import Any, Callable, ClassVar, Dict, List, Optional

import dargah
import dargah.django
import dargah.testing
from django.http import HttpRequest, HttpResponse
from django.test import Client, SimpleTestCase, TestCase, override_settings

from orders.models import Order

_sandbox: Optional[dargah.testing.Sandbox] = None

#: The customer's mobile number at checkout.
MOBILE = "09123456789"


def use_sandbox(test_class: type[SimpleTestCase], **settings: Any) -> dargah.testing.Sandbox:
    """Start the sandbox once per run; point the shop at it until the class ends."""
    global _sandbox
    if _sandbox is None:
        _sandbox = dargah.testing.Sandbox()
        atexit.register(_sandbox.stop)
    store = Path(tempfile.mkdtemp(prefix="shop-dargah-")) / "dargah.db"
    override = override_settings(DARGAH=_sandbox.config(store=f"sqlite://{store}"), **settings)
    override.enable()
    test_class.addClassCleanup(override.disable)
    return _sandbox


class SandboxTestCase(TestCase):
    """A test class of the shop on the run's sandbox, its outbox delivered at
    once; `SANDBOX_SETTINGS` adds settings for the whole class."""

    SANDBOX_SETTINGS: ClassVar[Dict[str, Any]] = {}
    sandbox: dargah.testing.Sandbox
    #: The customer's browser, made by the test class's setUp.
    browser: Client

    @classmethod
    def setUpClass(cls) -> None:
        cls.sandbox = use_sandbox(cls, DARGAH_OUTBOX_GRACE_SECS=0, **cls.SANDBOX_SETTINGS)
        super().setUpClass()

    def use_fresh_store(self, atipay_window_secs: Optional[int] = None) -> None:
        """A store of this test's own, so one test's outbox is not the next one's;
        AtiPay's deadline shortened to `atipay_window_secs` if given."""
        store = Path(tempfile.mkdtemp(prefix="shop-dargah-")) / "dargah.db"
        config = self.sandbox.config(store=f"sqlite://{store}")
        if atipay_window_secs is not None:
            config["atipay"]["refund_window_secs"] = atipay_window_secs
        fresh = override_settings(DARGAH=config)
        fresh.enable()
        self.addCleanup(fresh.disable)

    def buy(self, gateway: str = "vandar") -> Order:
        """The customer checks out the book, to pay with `gateway`."""
        self.browser.post("/", {"item": "book", "gateway": gateway, "mobile": MOBILE})
        return Order.objects.latest("created_at")

    def payment(self, order: Order) -> dargah.Payment:
        return dargah.django.get_client().payment(order.payment_id)


#: What reached the callback view, as the shop saw it.
CALLBACKS: List[Dict[str, Any]] = []


def record_callbacks(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Test-only middleware: remembers each callback request's method, URL,
    cookies and form fields."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/payments/callback/"):
            CALLBACKS.append(
                {
                    "method": request.method,
                    "url": request.build_absolute_uri(),
                    "cookies": sorted(request.COOKIES),
                    "form": dict(request.POST.items()),
                }
            )
        return get_response(request)

    return middleware
