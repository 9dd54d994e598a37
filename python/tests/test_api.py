"""The Python surface: argument checking, types, reprs, nothing at import,
and the wheel itself."""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import AMOUNT, callback_url, invoice

import dargah
from dargah import Gateway, OutcomeKind, PaymentState


@pytest.mark.parametrize(
    "args,message",
    [
        ((123, "inv", AMOUNT, "https://x/cb"), "gateway must be str"),
        (("canpay", 42, AMOUNT, "https://x/cb"), "invoice_id must be str"),
        (("canpay", "inv", "1000", "https://x/cb"), "amount must be int"),
        (("canpay", "inv", 1000.0, "https://x/cb"), "amount must be int"),
        (("canpay", "inv", True, "https://x/cb"), "amount must be int, not bool"),
        (("canpay", "inv", AMOUNT, None), "callback_url must be str"),
    ],
)
def test_create_payment_argument_types(client: dargah.Client, args: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        client.create_payment(*args)


def test_other_argument_types(client: dargah.Client) -> None:
    bad_calls = [
        lambda: client.create_payment("canpay", "inv", AMOUNT, "https://x/cb", mobile=9123456789),  # type: ignore[arg-type]
        lambda: client.create_payment("vandar", "inv", AMOUNT, "https://x/cb", vandar=["x"]),  # type: ignore[arg-type]
        lambda: client.handle_callback("vandar", 42),  # type: ignore[arg-type]
        lambda: client.payment(None),  # type: ignore[arg-type]
        lambda: client.acknowledge(1),  # type: ignore[arg-type]
        lambda: client.unacknowledged("10"),  # type: ignore[arg-type]
        lambda: client.recover(limit=None),  # type: ignore[arg-type]
        lambda: client.payments(limit=1.5),  # type: ignore[arg-type]
        lambda: client.sepal_payment_state("123"),  # type: ignore[arg-type]
        lambda: client.call(1),  # type: ignore[arg-type]
        lambda: client.call("payments.list", [1]),  # type: ignore[arg-type]
        lambda: client.call("payments.list", {"limit": object()}),
        lambda: dargah.Client(None),  # type: ignore[arg-type]
        lambda: dargah.Client(b"{}"),  # type: ignore[arg-type]
    ]
    for call in bad_calls:
        with pytest.raises(TypeError):
            call()
    with pytest.raises(TypeError):
        dargah.Client()  # type: ignore[call-arg]


def test_a_callback_field_that_is_not_text_is_an_invalid_callback(client: dargah.Client) -> None:
    """What a request carried (a multipart file part, a non-UTF-8 body a WSGI
    server left undecoded) is the named error a view answers 400 to, never a TypeError."""

    class UploadFile:  # what Starlette's form holds for a file part
        filename = "receipt.pdf"

    for fields, message in [
        ({"token": "t", "receipt": UploadFile()}, "form field 'receipt': a gateway sends text fields, not UploadFile"),
        ({"token": 1}, "form field 'token': a gateway sends text fields, not int"),
        ({"token": ["a", 2]}, "not int"),
        ({"token": b"t"}, "not bytes"),
        ({1: "a"}, "form field of type int"),
    ]:
        with pytest.raises(dargah.InvalidCallbackError, match=message):
            client.handle_callback("vandar", {}, fields)  # type: ignore[arg-type]
    with pytest.raises(dargah.InvalidCallbackError, match="query is not valid UTF-8"):
        client.handle_callback("vandar", "token=\udcff")


def test_bad_values_are_core_errors(client: dargah.Client) -> None:
    with pytest.raises(dargah.InvalidInputError):
        client.unacknowledged(-1)
    with pytest.raises(dargah.InvalidInputError):
        client.payments(state="paid", offset=-5)
    with pytest.raises(dargah.InvalidCallbackError, match="token"):
        client.handle_callback("vandar")  # an empty callback


def test_enums_and_values(client: dargah.Client) -> None:
    assert Gateway("canpay") is Gateway.CANPAY and Gateway.CANPAY == "canpay" and str(Gateway.CANPAY) == "canpay"
    assert str(OutcomeKind.NEWLY_PAID) == "newly_paid" and f"{PaymentState.IN_DOUBT}" == "in_doubt"
    created = client.create_payment(Gateway.CANPAY, invoice(), AMOUNT, callback_url("canpay"), description="کتاب")
    assert created.gateway is Gateway.CANPAY
    with pytest.raises(AttributeError):
        created.amount = 1  # type: ignore[misc]  # frozen
    assert client.payment(created.id) == client.payments()[0]
    assert "dp_" in repr(created) and "SECRET" not in repr(created)


def test_nothing_at_import_and_construction(store: str) -> None:
    """No thread before the first gateway call (fork safety): count the
    process's OS threads in a fresh interpreter."""
    script = f"""
import os, dargah
threads = lambda: len(os.listdir("/proc/self/task"))
assert threads() == 1, threads()
client = dargah.Client({{"store": {store!r}, "canpay": {{"merchant": "m"}}}})
client.payments()
assert threads() == 1, threads()
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr


VALUE_CLASSES = [
    dargah.Redirect, dargah.Payment, dargah.PaymentEvent, dargah.CreatedPayment, dargah.Outcome,
    dargah.RecoverReport, dargah.Capabilities, dargah.SepalPaymentState, dargah.AmountCheck,
]


def _failure(action: Any) -> str:
    try:
        action()
    except Exception as e:  # noqa: BLE001 (the type and text are what is compared)
        return f"{type(e).__name__}: {e}"
    return "no error"


@pytest.mark.parametrize("cls", VALUE_CLASSES, ids=lambda cls: cls.__name__)
def test_value_classes_behave_as_standard_frozen_dataclasses(cls: Any) -> None:
    """The value classes come from dargah._frozen.dataclass, which spares
    `import dargah` compiling six methods per class: each must be what
    `@dataclass(frozen=True)` makes of the same fields, on this Python."""
    fields = dataclasses.fields(cls)
    standard: Any = dataclasses.make_dataclass(cls.__name__, [(f.name, f.type) for f in fields], frozen=True)
    assert dataclasses.is_dataclass(cls) and repr(cls.__dataclass_params__) == repr(standard.__dataclass_params__)
    assert inspect.signature(cls) == inspect.signature(standard)
    assert getattr(cls, "__match_args__", None) == getattr(standard, "__match_args__", None)  # Python 3.10 and later
    values = [f"value of {f.name}" for f in fields]
    ours, theirs = cls(*values), standard(*values)
    assert repr(ours) == repr(theirs) and hash(ours) == hash(theirs)
    assert ours == cls(*values) and ours != cls(*values[:-1], "another") and ours.__eq__(theirs) is NotImplemented
    assert dataclasses.asdict(ours) == dataclasses.asdict(theirs) and dataclasses.astuple(ours) == dataclasses.astuple(theirs)
    first = fields[0].name
    assert dataclasses.replace(ours, **{first: "new"}) == cls("new", *values[1:])
    assert pickle.loads(pickle.dumps(ours)) == ours
    for one in (ours, theirs):
        assert _failure(lambda: setattr(one, first, "x")) == "FrozenInstanceError: cannot assign to field " + repr(first)
    for action in (lambda c: setattr(c, first, "x"), lambda c: setattr(c, "other", "x"), lambda c: delattr(c, first)):
        assert _failure(lambda: action(ours)) == _failure(lambda: action(theirs))
    for args in ((), values[:-1], [*values, "one too many"]):
        assert _failure(lambda: cls(*args)) == _failure(lambda: standard(*args)).replace(standard.__qualname__, cls.__qualname__)
    assert _failure(lambda: cls(*values, unknown=1)) == _failure(lambda: standard(*values, unknown=1))


def test_import_dargah_leaves_the_optional_parts_unloaded() -> None:
    """`import dargah` imports neither the aio, Django and test-kit modules
    nor what they need (asyncio, a thread pool, Django, an HTTP client); each
    loads on first use of its attribute (PEP 562)."""
    heavy = ["dargah.aio", "dargah.django", "dargah.testing", "asyncio", "concurrent.futures", "django", "urllib.request", "sqlite3"]
    script = f"""
import json, sys, dargah
before = [m for m in {heavy!r} if m in sys.modules]
aio, testing = dargah.aio, dargah.testing
print(json.dumps({{"before": before, "aio": aio.__name__, "testing": testing.__name__,
                  "after": [m for m in ("dargah.aio", "dargah.testing", "asyncio") if m in sys.modules],
                  "dir": [m for m in ("aio", "django", "testing") if m in dir(dargah)]}}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd="/")
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["before"] == [], f"import dargah imported {seen['before']}"
    assert (seen["aio"], seen["testing"]) == ("dargah.aio", "dargah.testing")
    assert seen["after"] == ["dargah.aio", "dargah.testing", "asyncio"] and seen["dir"] == ["aio", "django", "testing"]
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        dargah.nothing_here  # type: ignore[attr-defined]  # noqa: B018


def test_installed_wheel_is_abi3_typed() -> None:
    installed = Path(dargah.__file__).parent
    assert (installed / "py.typed").exists() and (installed / "_native.pyi").exists()
    assert list(installed.glob("_native.abi3.so")), "an abi3 extension"
    wheel = os.environ.get("DARGAH_WHEEL")
    if wheel:
        assert "-cp39-abi3-" in Path(wheel).name
        names = zipfile.ZipFile(wheel).namelist()
        assert "dargah/py.typed" in names and "dargah/_native.pyi" in names
