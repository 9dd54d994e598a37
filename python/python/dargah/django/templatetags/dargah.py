"""``{% load dargah %}``: the admin pages' filters for amounts, dates, reasons."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Optional

from django import template

from ..labels import local_date_text, note_label

register = template.Library()


@register.filter
def rial(amount: Optional[int]) -> str:
    """An amount in thousands (``1,250,000``): Django's Persian formats do not group."""
    return "" if amount is None else f"{amount:,}"


@register.filter
def local_date(moment: Optional[datetime]) -> str:
    """Solar Hijri when the active language is Persian, else ISO-like."""
    return local_date_text(moment)


@register.filter
def note(text: Optional[str]) -> str:
    return note_label(text)


@register.filter
def get_item(mapping: Mapping[str, Any], key: str) -> Any:
    return mapping.get(key)
