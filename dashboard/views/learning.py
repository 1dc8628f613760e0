"""Learning activity (product): who is active, how far learners get, where they stop, who is at
risk — each learner one link away from the console."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, data
from dashboard.links import CONSOLE, with_console_links
from dashboard.state import Filters
from dashboard.text import literal
from dashboard.widgets import data_page, database_guard, empty_state, show_sql, table_panel
from queries.window import Window, utc_midnight

COUNT = st.column_config.NumberColumn(format="localized")
PERCENT = st.column_config.NumberColumn(format="%.1f %%")
SECONDS = st.column_config.NumberColumn(format="%,.0f s")
WHEN = st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm", timezone="UTC")
NO_ACTIVITY = "No learning activity in this window: pick a longer window or another tutorial."


def with_conversion(funnel: pd.DataFrame) -> pd.DataFrame:
    """Step conversion (completed ÷ completed at the step before; the first step ÷ starters) and
    overall conversion (completed ÷ starters)."""
    started = int(funnel["reached"].iloc[0])
    completed = funnel["completed"].astype(float)
    return funnel.assign(
        step_pct=(100 * completed / completed.shift(1, fill_value=started)).round(1),
        overall_pct=(100 * completed / started).round(1),
    )


def activity(filters: Filters, window: Window) -> None:
    tutorial_id = filters.tutorial_id
    table_panel(
        "Active tutorials in the window",
        "daily_active_tutorials",
        filters,
        window,
        tutorial_id=tutorial_id,
        empty=NO_ACTIVITY,
        column_config={
            "active_users": st.column_config.NumberColumn("active learners", format="localized"),
            "avg_completion": st.column_config.NumberColumn("avg completion", format="%.1f %%"),
        },
    )
    active = data.load("active_learners", window, tutorial_id)
    if active.empty:
        empty_state(NO_ACTIVITY)
    else:
        st.altair_chart(
            charts.per_day(
                active,
                "active_learners",
                window,
                title="Active learners per UTC day",
                y_title="learners",
            ),
            width="stretch",
        )
        if window.start != utc_midnight(window.start):
            st.caption(
                f"Counted per whole UTC day: the bar for {window.start:%d %b} counts the whole "
                f"day, also the hours before the window starts at {window.start:%H:%M} UTC."
            )
    show_sql("active_learners", window, tutorial_id)

    completion = data.load("completion", window, tutorial_id)
    if completion.empty:
        empty_state(NO_ACTIVITY)
    else:
        bands = completion.assign(
            completion=[
                "100 %" if band >= 100 else f"{band:.0f}–{band + 10:.0f} %"
                for band in completion["band"].astype(float)
            ]
        )
        figure = charts.bars(
            bands,
            "completion",
            "learners",
            title="Completion of the learners active in the window",
            y_title="learners",
        )
        st.altair_chart(figure, width="stretch")
    show_sql("completion", window, tutorial_id)

    durations = data.load("time_to_certificate", window, tutorial_id)
    if durations.empty:
        empty_state("No certificates in this window, so no completion times.")
    else:
        histogram = charts.binned(
            durations,
            title="Time from starting to the certificate",
            x_title="days",
            y_title="learners",
        )
        st.altair_chart(histogram, width="stretch")
    show_sql("time_to_certificate", window, tutorial_id)
    table_panel(
        "Quizzes",
        "quizzes",
        filters,
        window,
        tutorial_id=tutorial_id,
        empty="No quiz attempts in this window.",
        column_config={
            "learners": COUNT,
            "pass_rate_pct": st.column_config.NumberColumn("pass rate", format="%.1f %%"),
            "avg_attempts": st.column_config.NumberColumn("attempts (avg)", format="%.2f"),
        },
    )


def biggest_drop(steps: pd.DataFrame, drop: int) -> str:
    """The funnel's biggest drop in words: who did not go on, and the share who did."""
    chapter = literal(steps.iloc[drop]["chapter_id"])
    before = (
        "started the tutorial"
        if drop == 0
        else f"completed {literal(steps.iloc[drop - 1]['chapter_id'])}"
    )
    kept = float(steps.iloc[drop]["step_pct"])
    return (
        f"Biggest drop at **{chapter}**: {100 - kept:.1f} % of the learners who {before} did not "
        f"complete it ({kept:.1f} % did)."
    )


def funnel(filters: Filters, window: Window, tutorial_id: str) -> None:
    steps = data.load("funnel", window, tutorial_id)
    if steps.empty:
        empty_state(f"Nobody started {tutorial_id} in this window: pick a longer window.")
        show_sql("funnel", window, tutorial_id)
        return
    steps = with_conversion(steps)
    drop = int(steps["step_pct"].to_numpy().argmin())
    st.warning(biggest_drop(steps, drop), icon=":material/trending_down:")
    st.altair_chart(
        charts.bars(
            steps,
            "chapter_id",
            "completed",
            title=f"Learners completing each chapter, of {int(steps['reached'].iloc[0]):,} who "
            "started in the window (label: overall conversion)",
            y_title="learners",
            colours=[charts.RED if i == drop else charts.BLUE for i in range(len(steps))],
            labels=[f"{p:g} %" for p in steps["overall_pct"]],
            height=360,
        ),
        width="stretch",
    )
    table_panel(
        "Conversion by chapter",
        "funnel",
        filters,
        window,
        tutorial_id=tutorial_id,
        empty="",
        prepare=with_conversion,
        column_config={
            "reached": COUNT,
            "completed": COUNT,
            "step_pct": st.column_config.NumberColumn("step conversion", format="%.1f %%"),
            "overall_pct": st.column_config.NumberColumn("overall conversion", format="%.1f %%"),
        },
    )

    stops = data.load("stop_positions", window, tutorial_id)
    if stops.empty:
        empty_state("Every chapter started in this window was finished.")
    else:
        st.altair_chart(
            charts.stop_positions(
                stops, title="Where in the video learners stopped (unfinished chapters)"
            ),
            width="stretch",
        )
    show_sql("stop_positions", window, tutorial_id)
    stuck(filters, window, tutorial_id, steps["chapter_id"].tolist(), drop)


@st.fragment
def stuck(
    filters: Filters, window: Window, tutorial_id: str, chapters: list[str], drop: int
) -> None:
    """Who is stuck at a chapter. A fragment: picking another chapter reruns only this, not the
    page's charts and tables above, which do not depend on it (nor the window: the list stays the
    one of the window the page shows)."""
    with database_guard():  # a fragment's rerun is outside the page's guard
        chapter = st.selectbox(
            "Learners stuck at chapter",
            chapters,
            index=drop,
            help="Their furthest chapter, not completed. Opens the biggest drop first.",
        )
        table_panel(
            f"Stuck at {chapter}",
            "stuck",
            filters,
            window,
            tutorial_id=tutorial_id,
            extra=chapter,
            empty=f"Nobody who started in this window is stuck at {chapter}.",
            prepare=lambda frame: with_console_links(frame, tutorial_id),
            column_config={
                "console": CONSOLE,
                "last_position": SECONDS,
                "watch_time": SECONDS,
                "last_watched_at": WHEN,
            },
        )


def render(filters: Filters, window: Window) -> None:
    activity(filters, window)

    st.header("Chapter funnel")
    if filters.tutorial_id is None:
        empty_state(
            "Pick a tutorial in the sidebar to see its chapter funnel, where learners stop, and "
            "who is stuck."
        )
    else:
        funnel(filters, window, filters.tutorial_id)

    st.header("At risk")
    st.caption("Started, not finished, and inactive for 7 days or more at the end of the window.")
    table_panel(
        "Inactive learners",
        "at_risk",
        filters,
        window,
        tutorial_id=filters.tutorial_id,
        empty="Nobody went quiet in this window.",
        prepare=with_console_links,
        column_config={
            "console": CONSOLE,
            "completion_percentage": st.column_config.NumberColumn("completion", format="%.0f %%"),
            "last_watched_at": WHEN,
        },
    )


data_page("Learning activity", render, reads="learning")
