"""A complaint's per-kind details as a regulator reads them: each stored value under the label
the consumer answered, choices in words, dates as dates; a price comparison as two columns
with the difference. Built from the same forms that asked the questions, so the labels match
what the consumer saw, in the reader's language."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils import timezone

from .details import DETAILS_FORMS, PriceDetailsForm


@dataclass
class Comparison:
    """Two prices for one thing, seen from two devices or accounts."""

    item: str
    consumer_price: str
    consumer_device: str
    other_price: str
    other_device: str
    difference: str  # what the consumer paid more (negative: less)


@dataclass
class DetailsShown:
    rows: list[tuple[str, str]] = field(default_factory=list)
    comparison: Comparison | None = None

    def __bool__(self) -> bool:
        return bool(self.rows or self.comparison)


def _when(value: str) -> str:
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    if isinstance(parsed, datetime.datetime) and "T" in value:
        if timezone.is_aware(parsed):
            parsed = timezone.localtime(parsed)
        return parsed.strftime("%Y-%m-%d %H:%M")
    return parsed.strftime("%Y-%m-%d")


def _words(value: Any, form_field) -> str:
    """A stored value in words: a choice by its label, a list one item per line, a date."""
    choices = {str(k): str(v) for k, v in (getattr(form_field, "choices", None) or [])}
    items = value if isinstance(value, list) else [value]
    shown = []
    for item in items:
        if isinstance(item, dict | list):
            shown.append(
                ", ".join(f"{v}" for v in (item.values() if isinstance(item, dict) else item))
            )
        elif str(item) in choices:
            shown.append(choices[str(item)])
        elif isinstance(form_field, forms.DateField | forms.DateTimeField):
            shown.append(_when(str(item)))
        else:
            shown.append(str(item))
    return "\n".join(shown)


def _money(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _comparison(details: dict) -> Comparison | None:
    observations = details.get("observations")
    if not isinstance(observations, list) or len(observations) != 2:
        return None
    mine = next(
        (o for o in observations if isinstance(o, dict) and o.get("who") == "consumer"), None
    )
    other = next(
        (o for o in observations if isinstance(o, dict) and o.get("who") == "comparison"), None
    )
    if mine is None or other is None:
        return None
    mine_price, other_price = _money(mine.get("price")), _money(other.get("price"))
    difference = (
        f"{mine_price - other_price:+.2f}"
        if mine_price is not None and other_price is not None
        else "—"
    )
    return Comparison(
        item=str(details.get("item", "")),
        consumer_price=str(mine.get("price", "")),
        consumer_device=str(mine.get("device_or_account", "")),
        other_price=str(other.get("price", "")),
        other_device=str(other.get("device_or_account", "")),
        difference=difference,
    )


def details_shown(kind_code: str | None, details: dict | None) -> DetailsShown:
    """The stored `details` of a complaint of kind `kind_code`, ready for a table. Keys the
    form no longer asks keep their stored name, so nothing stored is hidden."""
    shown = DetailsShown()
    if not isinstance(details, dict) or not details:
        return shown
    form_class = DETAILS_FORMS.get(kind_code or "")
    fields = form_class().fields if form_class else {}
    rest = dict(details)
    if form_class is PriceDetailsForm:
        shown.comparison = _comparison(details)
        if shown.comparison is not None:
            rest.pop("observations", None)
            rest.pop("item", None)
            if "seen_at" in rest:
                shown.rows.append((str(fields["seen_at"].label), _when(str(rest.pop("seen_at")))))
    for key, value in rest.items():
        if value in (None, "", []):
            continue
        form_field = fields.get(key)
        label = str(form_field.label) if form_field is not None else str(key)
        shown.rows.append((label, _words(value, form_field)))
    return shown
