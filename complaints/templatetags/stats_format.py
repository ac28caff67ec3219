"""Formatting for statistics pages: rates as percentages, missing figures as a dash, and a
chart's table rows."""

from django import template
from django.utils.html import format_html, format_html_join

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


def _cell_html(cell: dict) -> str:
    text = (
        format_html('<a href="{}">{}</a>', cell["url"], cell["text"])
        if "url" in cell
        else cell["text"]
    )
    return (
        format_html('<td class="num">{}</td>', text)
        if cell["numeric"]
        else format_html("<td>{}</td>", text)
    )


@register.simple_tag
def table_rows(table):
    """A Table's rows (Table.display_rows) as <tr> elements. Built here rather than in a
    template loop: a year of weeks by ten categories costs more as template nodes than all
    the dashboard's queries together."""
    return format_html_join(
        "\n",
        "<tr>{}</tr>",
        (
            (format_html_join("", "{}", ((_cell_html(cell),) for cell in cells)),)
            for cells in table.display_rows()
        ),
    )
