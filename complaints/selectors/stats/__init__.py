"""Reads for figures and charts: the regulator dashboard, the public rectification board,
scorecards and open data, all counted from the ComplaintStat summary and live cases.

Modules by audience: `regulator_dashboard`, `rectification_board`, `scorecards`, `open_data`;
beneath them `summary` (the filter, summary rows, freshness), `tables` (the Table every chart
is) and `cases` (case figures). Pages use the names below; the operator dashboard is in
`selectors.operators`.
"""

from .cases import case_figures
from .open_data import (
    PUBLIC_TABLES,
    PlatformStatistics,
    home_figures,
    platform_figures,
    platform_statistics,
    public_table,
    published_complaints,
    published_count,
    published_page,
)
from .rectification_board import (
    PUBLIC_STATUSES,
    BoardPage,
    board,
    board_counts,
    board_counts_shared,
    board_page_shared,
    public_cases,
    public_status_labels,
)
from .regulator_dashboard import (
    DASHBOARD_TABLES,
    Dashboard,
    active_model_summary,
    dashboard,
    dashboard_shared,
    dashboard_table,
)
from .scorecards import Scorecard, app_scorecard, app_scorecard_shared, operator_scorecard
from .shared import Shared
from .summary import StatsFilter, rate, reads_summary
from .tables import Column, Table

__all__ = [
    "BoardPage",
    "Shared",
    "app_scorecard_shared",
    "board_counts_shared",
    "board_page_shared",
    "dashboard_shared",
    "DASHBOARD_TABLES",
    "PUBLIC_STATUSES",
    "PUBLIC_TABLES",
    "Column",
    "Dashboard",
    "PlatformStatistics",
    "Scorecard",
    "StatsFilter",
    "Table",
    "active_model_summary",
    "app_scorecard",
    "board",
    "board_counts",
    "case_figures",
    "dashboard",
    "dashboard_table",
    "home_figures",
    "operator_scorecard",
    "platform_figures",
    "platform_statistics",
    "public_cases",
    "public_status_labels",
    "public_table",
    "published_complaints",
    "published_count",
    "published_page",
    "rate",
    "reads_summary",
]
