"""``@dataclass(frozen=True)`` for Dargah's value classes, at a fraction of
its import cost.

The standard decorator writes six methods for each class as source text and
compiles each with ``exec`` while the module is imported; for the nine value
classes that was most of ``import dargah``'s own time (docs/benchmarks.md,
B5). This one makes the same classes: ``dataclasses`` itself collects the
fields (so ``fields``, ``asdict``, ``astuple``, ``replace``, ``is_dataclass``
and ``__match_args__`` are the standard ones) and ``__dataclass_params__``
says ``init``, ``repr``, ``eq`` and ``frozen`` as the standard decorator's
do. Of the methods only ``__init__`` is compiled per class (its signature is
the class's fields); ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``
and ``__delattr__`` are closures over the field names, compiled once with
this module, behaving as the generated ones do: the same text, equality of
same-class instances over the fields in order, the hash of the tuple of the
fields, ``FrozenInstanceError`` with the same message.
python/tests/test_api.py (test_value_classes_behave_as_standard_frozen_dataclasses)
compares each with a standard frozen dataclass of the same fields.

Type checkers see the standard decorator (_model.py imports this one only
at run time), so the synthesised ``__init__`` they check against is the
standard one too.
"""

from __future__ import annotations

import dataclasses
from _thread import get_ident
from typing import Any, Callable, Dict, Set, Tuple, Type, TypeVar

_T = TypeVar("_T")


def dataclass(*, frozen: bool) -> Callable[[Type[_T]], Type[_T]]:
    """The only form the value classes use: ``@dataclass(frozen=True)``."""
    if not frozen:
        raise TypeError("dargah._frozen.dataclass makes frozen dataclasses only")
    return _frozen_dataclass


def _frozen_dataclass(cls: Type[_T]) -> Type[_T]:
    # Fields, __dataclass_fields__, __match_args__ and the checks of the
    # class body, with no method generated. Not yet frozen here: a frozen
    # base refuses a non-frozen subclass, so a subclass (CreatedPayment of
    # Payment) is processed against a base whose flags are set after it.
    for base in cls.__mro__[1:]:
        params = base.__dict__.get("__dataclass_params__")
        if params is not None:
            params.frozen = False
    dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    # What the value classes use and the methods below write: required fields, no field() options, no __post_init__.
    for f in fields:
        plain = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING and f.init and f.repr and f.compare and f.hash is None
        if not plain or getattr(f, "kw_only", False) is True:
            raise TypeError(f"{cls.__name__}.{f.name}: dargah._frozen.dataclass takes fields without a default or field() options")
    if hasattr(cls, "__post_init__") or len(fields) != len(cls.__dataclass_fields__):  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__name__}: dargah._frozen.dataclass takes no __post_init__ and no InitVar")
    names = tuple(f.name for f in fields)
    methods: Dict[str, Any] = {
        "__init__": _init(names, {f.name: f.type for f in fields}),
        "__repr__": _repr(names),
        "__eq__": _eq(names),
        "__hash__": _hash(names),
        "__setattr__": _setattr(cls, names),
        "__delattr__": _delattr(cls, names),
    }
    for name, method in methods.items():
        if name in cls.__dict__:  # the value classes leave all six to the decorator
            raise TypeError(f"{cls.__name__} defines {name}, which dargah._frozen.dataclass writes")
        method.__qualname__ = f"{cls.__qualname__}.{name}"
        method.__module__ = cls.__module__
        setattr(cls, name, method)
    for klass in cls.__mro__:
        params = klass.__dict__.get("__dataclass_params__")
        if params is not None:
            params.init = params.repr = params.eq = params.frozen = True
    return cls


def _init(names: Tuple[str, ...], types: Dict[str, Any]) -> Any:
    # The standard frozen __init__: every field a required parameter, set
    # past the frozen __setattr__. Its parameters are the class's fields,
    # so it is the one method compiled here.
    body = "".join(f"    __dargah_object__.__setattr__(self, {n!r}, {n})\n" for n in names) or "    pass\n"
    source = f"def __init__(self, {', '.join(names)}):\n{body}"
    namespace: Dict[str, Any] = {}
    exec(source, {"__dargah_object__": object}, namespace)
    init = namespace["__init__"]
    init.__annotations__ = {**types, "return": None}
    return init


def _recursive_repr(repr_fn: Callable[[Any], str]) -> Callable[[Any], str]:
    # As dataclasses': "..." for an instance already being shown on this thread.
    running: Set[Tuple[int, int]] = set()

    def __repr__(self: Any) -> str:
        key = (id(self), get_ident())
        if key in running:
            return "..."
        running.add(key)
        try:
            return repr_fn(self)
        finally:
            running.discard(key)

    return __repr__


def _repr(names: Tuple[str, ...]) -> Callable[[Any], str]:
    def show(self: Any) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in names)
        return f"{self.__class__.__qualname__}({shown})"

    return _recursive_repr(show)


def _eq(names: Tuple[str, ...]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)
        return NotImplemented

    return __eq__


def _hash(names: Tuple[str, ...]) -> Callable[[Any], int]:
    def __hash__(self: Any) -> int:
        return hash(tuple(getattr(self, n) for n in names))

    return __hash__


def _setattr(owner: type, names: Tuple[str, ...]) -> Callable[[Any, str, Any], None]:
    def __setattr__(self: object, name: str, value: Any) -> None:
        if type(self) is owner or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(owner, self).__setattr__(name, value)  # type: ignore[arg-type]  # mypy reads owner, a closure variable, as an instance

    return __setattr__


def _delattr(owner: type, names: Tuple[str, ...]) -> Callable[[Any, str], None]:
    def __delattr__(self: object, name: str) -> None:
        if type(self) is owner or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(owner, self).__delattr__(name)  # type: ignore[arg-type]

    return __delattr__
