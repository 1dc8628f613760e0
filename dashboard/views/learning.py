"""Learning activity (product): who is active, how far learners get, where they stop, who is at
risk — each learner one link away from the console."""

from __future__ import annotations

from urllib.parse import urlencode

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dashboard.context import selected_tutorial, selected_window
from dashboard.widgets import query, show_sql, table_panel

window = selected_window()
tutorial_id = selected_tutorial()
st.title("Learning activity")
st.caption(f"{window.describe()} · {tutorial_id or 'all tutorials'}")


def console_link(user_id: str, tutorial: str) -> str:
    return "/console?" + urlencode({"user": user_id, "tutorial": tutorial})


def chart(figure: go.Figure, height: int = 300) -> None:
    figure.update_layout(height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    st.plotly_chart(figure, width="stretch")


NO_ACTIVITY = "No learning activity in this window: pick a longer window or another tutorial."
table_panel(
    "Daily active tutorials",
    "daily_active_tutorials",
    window,
    tutorial_id=tutorial_id,
    empty=NO_ACTIVITY,
    column_config={
        "active_users": st.column_config.NumberColumn("active learners", format="localized"),
        "avg_completion": st.column_config.NumberColumn("avg completion", format="%.2f %%"),
    },
)

left, right = st.columns(2)
with left:
    active = query("active_learners", window, tutorial_id)
    if active.empty:
        st.info(NO_ACTIVITY)
    else:
        chart(px.bar(active, x="day", y="active_learners", title="Active learners per day"))
    show_sql("active_learners", window, tutorial_id)
with right:
    completion = query("completion", window, tutorial_id)
    if completion.empty:
        st.info(NO_ACTIVITY)
    else:
        completion["completion"] = [
            "100 %" if band >= 100 else f"{band:.0f}–{band + 10:.0f} %"
            for band in completion["band"].astype(float)
        ]
        chart(
            px.bar(completion, x="completion", y="learners", title="Completion of active learners")
        )
    show_sql("completion", window, tutorial_id)

left, right = st.columns(2)
with left:
    durations = query("time_to_complete", window, tutorial_id)
    if durations.empty:
        st.info("No certificates in this window, so no completion times.")
    else:
        chart(px.histogram(durations, x="days", nbins=30, title="Days from start to certificate"))
    show_sql("time_to_complete", window, tutorial_id)
with right:
    table_panel(
        "Quizzes",
        "quizzes",
        window,
        tutorial_id=tutorial_id,
        empty="No quiz attempts in this window.",
        column_config={
            "pass_rate_pct": st.column_config.NumberColumn("pass rate", format="%.1f %%"),
            "avg_attempts": st.column_config.NumberColumn("attempts (avg)", format="%.2f"),
        },
    )

st.header("Chapter funnel")
if tutorial_id is None:
    st.info("Pick a tutorial in the sidebar to see its chapter funnel and where learners stop.")
else:
    funnel = query("funnel", window, tutorial_id)
    if funnel.empty:
        st.info(f"Nobody started {tutorial_id} in this window: pick a longer window.")
    else:
        started = int(funnel["reached"].iloc[0])
        completed = funnel["completed"].astype(int)
        funnel["step_conversion_pct"] = (
            100 * completed / completed.shift(1, fill_value=started)
        ).round(1)
        funnel["overall_pct"] = (100 * completed / started).round(1)
        drop = int(funnel["step_conversion_pct"].to_numpy().argmin())
        worst = funnel.loc[drop]
        st.warning(
            f"Biggest drop: {worst['chapter_id']} — only {worst['step_conversion_pct']:g} % of the "
            "learners who got there completed it.",
            icon=":material/trending_down:",
        )
        colours = ["#c0392b" if i == drop else "#2457c5" for i in range(len(funnel))]
        chart(
            go.Figure(
                go.Bar(
                    x=funnel["chapter_id"],
                    y=funnel["completed"],
                    marker_color=colours,
                    text=[f"{p:g} %" for p in funnel["overall_pct"]],
                )
            ).update_layout(title=f"Learners completing each chapter (of {started:,} who started)"),
            height=340,
        )
        st.dataframe(
            funnel[["chapter_id", "reached", "completed", "step_conversion_pct", "overall_pct"]],
            hide_index=True,
            width="stretch",
            column_config={
                "step_conversion_pct": st.column_config.NumberColumn("step", format="%.1f %%"),
                "overall_pct": st.column_config.NumberColumn("overall", format="%.1f %%"),
            },
        )
        show_sql("funnel", window, tutorial_id)

        stops = query("stop_positions", window, tutorial_id)
        if not stops.empty:
            chart(
                px.box(
                    stops,
                    x="chapter_id",
                    y="last_position",
                    title="Where in the video learners stopped (seconds, unfinished chapters)",
                ),
                height=320,
            )
        show_sql("stop_positions", window, tutorial_id)

        chapter = st.selectbox(
            "Learners stuck at chapter", funnel["chapter_id"].tolist(), index=drop
        )
        stuck = query("stuck", window, tutorial_id, chapter)
        if stuck.empty:
            st.info(f"Nobody is stuck at {chapter}.")
        else:
            stuck.insert(0, "console", [console_link(u, tutorial_id) for u in stuck["user_id"]])
            st.dataframe(
                stuck,
                hide_index=True,
                width="stretch",
                column_config={
                    "console": st.column_config.LinkColumn("open", display_text="console"),
                },
            )
        show_sql("stuck", window, tutorial_id, chapter)

st.header("At risk")
st.caption("Started, not finished, and inactive for 7 days or more at the end of the window.")
at_risk = query("at_risk", window, tutorial_id)
if at_risk.empty:
    st.info("Nobody went quiet in this window.")
else:
    at_risk.insert(
        0,
        "console",
        [
            console_link(u, t)
            for u, t in zip(at_risk["user_id"], at_risk["tutorial_id"], strict=True)
        ],
    )
    st.dataframe(
        at_risk,
        hide_index=True,
        width="stretch",
        column_config={"console": st.column_config.LinkColumn("open", display_text="console")},
    )
show_sql("at_risk", window, tutorial_id)
