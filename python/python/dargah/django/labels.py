"""The words the owner and the customer see for Dargah's states, gateways
and reasons, translatable (``locale/fa``: Persian), and dates in the Solar
Hijri calendar when the active language is Persian."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Dict, Iterable, List, Optional, Tuple, Union

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language, get_language_bidi, gettext, gettext_noop, pgettext, pgettext_lazy

import dargah

StrOrPromise = Union[str, Promise]

STATE_LABELS: Dict[dargah.PaymentState, StrOrPromise] = {
    dargah.PaymentState.CREATED: pgettext_lazy("payment state", "Created"),
    dargah.PaymentState.AWAITING: pgettext_lazy("payment state", "Awaiting the customer"),
    dargah.PaymentState.VERIFYING: pgettext_lazy("payment state", "Being verified"),
    dargah.PaymentState.IN_DOUBT: pgettext_lazy("payment state", "In doubt"),
    dargah.PaymentState.PAID: pgettext_lazy("payment state", "Paid"),
    dargah.PaymentState.FAILED: pgettext_lazy("payment state", "Failed"),
    dargah.PaymentState.CANCELLED: pgettext_lazy("payment state", "Cancelled"),
    dargah.PaymentState.EXPIRED: pgettext_lazy("payment state", "Expired"),
    dargah.PaymentState.NEEDS_REVIEW: pgettext_lazy("payment state", "Needs review"),
}

GATEWAY_LABELS: Dict[dargah.Gateway, StrOrPromise] = {
    dargah.Gateway.MUPRA: pgettext_lazy("gateway", "Mupra"),
    dargah.Gateway.CANPAY: pgettext_lazy("gateway", "CanPay"),
    dargah.Gateway.ATIPAY: pgettext_lazy("gateway", "AtiPay"),
    dargah.Gateway.VANDAR: pgettext_lazy("gateway", "Vandar"),
}


def state_label(state: Union[dargah.PaymentState, str]) -> str:
    return str(STATE_LABELS[dargah.PaymentState(state)])


def gateway_label(gateway: Union[dargah.Gateway, str]) -> str:
    return str(GATEWAY_LABELS[dargah.Gateway(gateway)])


#: The gateways' calls a note names (core/src/gateways/*.rs), in the reader's words.
_VERIFY_CALLS: Dict[str, StrOrPromise] = {
    "mupra verify": pgettext_lazy("gateway call", "mupra verify"),
    "canpay verify": pgettext_lazy("gateway call", "canpay verify"),
    "atipay verify-payment": pgettext_lazy("gateway call", "atipay verify-payment"),
    "vandar verify": pgettext_lazy("gateway call", "vandar verify"),
}
_CALLS: Dict[str, StrOrPromise] = {**_VERIFY_CALLS, "vandar transaction info": pgettext_lazy("gateway call", "vandar transaction info")}

#: The sentences the engine writes into a payment's note (``Payment.note``;
#: core/src/engine.rs, core/src/gateways/*.rs, core/src/store/sql.rs), in the
#: engine's own words, so an untranslated language shows a note as the
#: engine wrote it (a gateway's name aside, shown as everywhere else). A
#: note is one or more of them joined by "; "; the first that matches a part
#: wins. Each %(name)s matches the pattern _VALUE_PATTERNS gives its name,
#: else anything.
_NOTE_SENTENCES = [
    gettext_noop("amount mismatch: the gateway says %(paid)s rial, the order is %(order)s rial"),
    gettext_noop("%(gateway)s: no receipt of its own so far"),
    gettext_noop("a callback's receipt verified for %(paid)s rial, not this order's %(order)s rial, so it is another order's"),
    gettext_noop("verification in doubt: %(error)s"),
    gettext_noop("a verify of ours may have gone through, so a person must check"),
    gettext_noop("an earlier verify of ours may have gone through"),
    gettext_noop("asked again until the deadline, and a verify of ours may have gone through, so a person must check"),
    gettext_noop("asked again until the deadline, then a person must check"),
    gettext_noop("%(verify)s: not paid"),
    gettext_noop("atipay: no referenceNumber from a callback, so the payment cannot be verified"),
    gettext_noop("%(call)s says paid but gives no amount to check against the order"),
    gettext_noop(
        "vandar transaction info still shows the payment paid and awaiting verify (code 1), but a verify of ours was refused earlier: "
        "Vandar answers once, so it is not verified again"
    ),
    gettext_noop("vandar verify refused a payment transaction info shows paid and awaiting verify: %(message)s"),
    gettext_noop("vandar transaction info refused: %(message)s"),
    gettext_noop("vandar transaction info: code 1 with no payment date or receipt: not paid yet"),
    gettext_noop("vandar transaction info: code %(code)s (%(message)s), which the document does not describe"),
    gettext_noop("refused a callback whose receipt already paid %(payment)s"),
    gettext_noop("the gateway reference already paid %(payment)s"),
    # A gateway refused our verify (gateways/mod.rs, refusal_as_unpaid): its message.
    gettext_noop("%(verify)s: %(message)s"),
    gettext_noop("create failed: %(error)s"),
    gettext_noop("create interrupted before the gateway's token was stored"),
    # Said of a refused callback (its error), not of the payment.
    gettext_noop("the payment was never sent to the gateway, so it cannot have been paid"),
    gettext_noop("the callback's receipt already paid another payment"),
    gettext_noop("the callback's receipt is not this payment's, which stays open"),
    gettext_noop("this payment stays open"),
    gettext_noop("not paid yet"),
]


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(re.escape(word) for word in words)


_VALUE_PATTERNS = {
    "paid": r"\d*",  # empty when the gateway gave no amount
    "order": r"\d+",
    "code": r"\S+",
    "gateway": r"\w+",
    "call": _alternatives(_CALLS),
    "verify": _alternatives(_VERIFY_CALLS),
}

def _pattern(sentence: str) -> "re.Pattern[str]":
    """The sentence's words, each %(name)s a group of what _VALUE_PATTERNS says."""

    def group(placeholder: "re.Match[str]") -> str:
        name = placeholder[1]
        return f"(?P<{name}>{_VALUE_PATTERNS.get(name, '.*')})"

    return re.compile(re.sub(r"%\\\((\w+)\\\)s", group, re.escape(sentence)), re.DOTALL)


_NOTES: List[Tuple["re.Pattern[str]", str]] = [(_pattern(sentence), sentence) for sentence in _NOTE_SENTENCES]

_GATEWAY_NAMES = frozenset(gateway.value for gateway in dargah.Gateway)

#: The engine's own words where a value is missing (the other payment's id,
#: the gateway's message, Vandar's code).
_STAND_INS: Dict[Tuple[str, str], StrOrPromise] = {
    ("payment", "another payment"): pgettext_lazy("note value", "another payment"),
    ("message", "rejected"): pgettext_lazy("note value", "rejected"),
    ("code", "none"): pgettext_lazy("note value", "none"),
}


def note_label(note: Optional[str]) -> str:
    """A payment's note in the active language: each "; "-separated part
    that is one of the engine's sentences is translated, keeping its amounts,
    ids and the gateway's own words; an unknown part stays as the core wrote it."""
    if not note:
        return ""
    return pgettext("note parts", "; ").join(_note_part(part) for part in note.split("; "))


def _note_part(part: str) -> str:
    for pattern, sentence in _NOTES:
        match = pattern.fullmatch(part)
        if match:
            return gettext(sentence) % {name: _note_value(name, value) for name, value in match.groupdict().items()}
    return part


def _note_value(name: str, value: str) -> str:
    if name == "gateway" and value in _GATEWAY_NAMES:
        return gateway_label(value)
    if name in ("call", "verify"):
        return str(_CALLS[value])
    if (name, value) in _STAND_INS:
        return str(_STAND_INS[name, value])
    return isolate(value)


def isolate(text: str) -> str:
    """``text`` kept left to right inside a right-to-left sentence: Unicode's
    LEFT-TO-RIGHT ISOLATE … POP DIRECTIONAL ISOLATE, invisible, and kept in a
    plain-text e-mail as in a page (where ``<bdi>`` would be escaped)."""
    return f"\u2066{text}\u2069" if get_language_bidi() else text


def _is_persian() -> bool:
    return (get_language() or "").split("-")[0] == "fa"


# --- Solar Hijri dates -------------------------------------------------------

_JALALI_MONTHS = ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"]


def to_jalali(day: date) -> Tuple[int, int, int]:
    """(year, month, day) of the Solar Hijri (Jalali) calendar for a
    Gregorian date, by the 33-year leap rule counted from 1 Farvardin 1401
    (21 March 2022). For the years a shop's payments have, it agrees with
    the astronomical calendar the core converts with (ICU); the tests
    compare the two."""
    year, remaining = 1401, day.toordinal() - _FARVARDIN_1401
    while remaining < 0:
        year -= 1
        remaining += _year_length(year)
    while remaining >= _year_length(year):
        remaining -= _year_length(year)
        year += 1
    month = 1
    for length in (31, 31, 31, 31, 31, 31, 30, 30, 30, 30, 30):
        if remaining < length:
            break
        remaining -= length
        month += 1
    return year, month, remaining + 1


_FARVARDIN_1401 = date(2022, 3, 21).toordinal()


def _year_length(year: int) -> int:
    # Leap when the year's place in its 33-year cycle is 1, 5, 9, 13, 17, 22, 26 or 30.
    return 366 if (25 * year + 11) % 33 < 8 else 365


def local_date_text(moment: Optional[datetime], with_time: bool = True) -> str:
    """``moment`` in the current time zone: ``۱۴۰۴ آذر ۱۴ ۱۰:۰۵`` style (Solar
    Hijri, Latin digits in a ``<bdi>`` of the template) when the active
    language is Persian, else ``2025-12-05 10:05:00``."""
    if moment is None:
        return ""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    clock = local.strftime(" %H:%M:%S") if with_time else ""
    if _is_persian():
        year, month, day = to_jalali(local.date())
        return f"{day} {_JALALI_MONTHS[month - 1]} {year}{clock}"
    return local.strftime("%Y-%m-%d") + clock
