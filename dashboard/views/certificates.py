"""Certificates (product): awards per day and cumulative, by tutorial, support overrides marked."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, data
from dashboard.state import Filters
from dashboard.widgets import (
    csv_download,
    data_page,
    empty_state,
    export_header,
    show_sql,
    table_panel,
)
from queries.window import Window

COUNT = st.column_config.NumberColumn(format="localized")


def render(filters: Filters, window: Window) -> None:
    tutorial_id = filters.tutorial_id
    per_day = data.load("awards_per_day", window, tutorial_id)
    if per_day.empty:
        empty_state(
            "No certificates were awarded in this window: pick a longer window or another "
            "tutorial in the sidebar."
        )
    else:
        total, overrides = int(per_day["certificates"].sum()), int(per_day["overrides"].sum())
        first, second, third = st.columns(3)
        first.metric("Certificates awarded", f"{total:,}", border=True)
        second.metric(
            "By support override",
            f"{overrides:,}",
            border=True,
            help="Awarded by support although the learner was not eligible; the reason is kept.",
        )
        third.metric("Share by override", f"{100 * overrides / total:.1f} %", border=True)
        st.altair_chart(charts.awards_per_day(per_day, window), width="stretch")
        csv_download(
            per_day,
            "awards_per_day",
            title="Certificates per UTC day",
            window=window,
            header=export_header(filters, window),
            details=[tutorial_id] if tutorial_id else [],
        )
    show_sql("awards_per_day", window, tutorial_id)

    table_panel(
        "By tutorial",
        "awards_by_tutorial",
        filters,
        window,
        tutorial_id=tutorial_id,
        empty="No certificates in this window.",
        column_config={"certificates": COUNT, "overrides": COUNT},
    )


data_page(
    "Certificates",
    render,
    note="counted when awarded (`tutorial_certificates.awarded_at`)",
    reads="certificates",
)
