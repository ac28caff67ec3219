"""A chart's table as the page shows it: the selector returns the rows as data, the
`table_rows` template tag renders them."""

import datetime

from django.template import Context, Template

from complaints.selectors.stats import Column, Table


def render_rows(table: Table) -> str:
    template = Template("{% load stats_format %}{% table_rows table %}")
    return template.render(Context({"table": table}))


def test_rows_are_cells_with_numbers_marked_and_keys_hidden():
    table = Table(
        key="top_apps",
        title="Apps",
        chart="hbar",
        columns=[
            Column("app_id", "App id", "key"),
            Column("app", "App", "text"),
            Column("complaints", "Complaints"),
            Column("rate", "Rate", "rate"),
        ],
        rows=[[7, "Alpha", 1234, 0.5], [8, "Beta", 0, None]],
        links={"app": ("app_id", "/apps/{}/")},
    )

    assert render_rows(table) == (
        '<tr><td><a href="/apps/7/">Alpha</a></td><td class="num">1,234</td>'
        '<td class="num">50.0%</td></tr>\n'
        '<tr><td><a href="/apps/8/">Beta</a></td><td class="num">0</td>'
        '<td class="num">—</td></tr>'
    )


def test_text_is_escaped():
    table = Table(
        key="category_mix",
        title="Mix",
        chart="pie",
        columns=[Column("category", "Category", "text"), Column("month", "Month", "month")],
        rows=[['<script>alert("x")</script>', datetime.date(2026, 3, 1)]],
    )

    assert render_rows(table) == (
        "<tr><td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td><td>2026-03</td></tr>"
    )


def test_an_empty_table_renders_no_rows():
    table = Table(key="funnel", title="Funnel", chart="funnel", columns=[], rows=[])

    assert render_rows(table) == ""
