"""The words the owner and the customer see for Dargah's states, gateways
and reasons, translatable (``locale/fa``: Persian), and dates in the Solar
Hijri calendar when the active language is Persian."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Callable, Dict, List, Optional, Tuple, Union

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext, pgettext_lazy

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


#: The engine's reasons (``Payment.note``) the owner sees most, as patterns of
#: the core's English text, and the translatable message with their values.
#: Any other note is shown as the core wrote it.
_NOTES: List[Tuple["re.Pattern[str]", Callable[[], str]]] = [
    (
        re.compile(r"^amount mismatch: the gateway says (?P<paid>\d+) rial, the order is (?P<order>\d+) rial$"),
        lambda: gettext("amount mismatch: the gateway says %(paid)s rial, the order is %(order)s rial"),
    ),
    (
        re.compile(r"^atipay: no referenceNumber from a callback, so the payment cannot be verified$"),
        lambda: gettext("atipay: no referenceNumber from a callback, so the payment cannot be verified"),
    ),
    (
        re.compile(r"^the payment was never sent to the gateway, so it cannot have been paid$"),
        lambda: gettext("the payment was never sent to the gateway, so it cannot have been paid"),
    ),
    (
        re.compile(r"^the callback's receipt already paid another payment; this payment stays open$"),
        lambda: gettext("the callback's receipt already paid another payment; this payment stays open"),
    ),
    (re.compile(r"^not paid yet$"), lambda: gettext("not paid yet")),
    (re.compile(r"^mupra verify: not paid$"), lambda: gettext("mupra verify: not paid")),
    (
        re.compile(r"^atipay verify-payment says paid but gives no amount to check against the order$"),
        lambda: gettext("atipay verify-payment says paid but gives no amount to check against the order"),
    ),
    (
        re.compile(r"^vandar transaction info: code 1 with no payment date or receipt: not paid yet$"),
        lambda: gettext("vandar transaction info: code 1 with no payment date or receipt: not paid yet"),
    ),
]

#: What the engine adds to a note when a payment ends needs_review at its deadline.
_NOTE_ENDINGS: List[Tuple[str, Callable[[], str]]] = [
    (
        "; asked again until the deadline, and a verify of ours may have gone through, so a person must check",
        lambda: gettext("asked again until the deadline, and a verify of ours may have gone through, so a person must check"),
    ),
    ("; asked again until the deadline, then a person must check", lambda: gettext("asked again until the deadline, then a person must check")),
    ("; a verify of ours may have gone through, so a person must check", lambda: gettext("a verify of ours may have gone through, so a person must check")),
]


def note_label(note: Optional[str]) -> str:
    """A payment's reason in the active language, where Dargah knows its words."""
    if not note:
        return ""
    ending = ""
    for english, translated in _NOTE_ENDINGS:
        if note.endswith(english):
            note, ending = note[: -len(english)], "؛ " + translated() if _is_persian() else "; " + translated()
            break
    for pattern, message in _NOTES:
        match = pattern.match(note)
        if match:
            return message() % match.groupdict() + ending
    return note + ending


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
