"""Formatting for statistics pages: rates as percentages, missing figures as a dash."""

from django import template

register = template.Library()


@register.filter
def percent(value, digits: int = 1) -> str:
    """0.1234 -> "12.3%"; None (nothing to divide by) -> "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{int(digits)}f}%"


@register.filter
def or_dash(value):
    return "—" if value is None or value == "" else value


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template (labels by status code)."""
    return mapping.get(key, key) if hasattr(mapping, "get") else ""
