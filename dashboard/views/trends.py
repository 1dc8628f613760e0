"""Completion trends (product): is completion getting better or worse, did a change help, which
tutorials lose learners and when — start cohorts, completion within N days per week, tutorials
side by side, before/after a change with a confidence interval; the learners behind any figure one
link from the console. Every number is defined in `queries.trends`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import streamlit as st
from sqlalchemy import Select

from dashboard import data, trend_charts
from dashboard.context import engine
from dashboard.links import with_console_links
from dashboard.trend_choices import CURVES, DEFAULTS, WEEKS, TrendChoices
from dashboard.widgets import csv_download, database_guard, empty_state, table
from queries import trends
from queries.sql import compiled_sql, frame
from queries.trends import ALL, MILESTONES, PERIODS, WHO, Span
from queries.window import Window

COUNT = st.column_config.NumberColumn(format="localized")
PERCENT = st.column_config.NumberColumn(format="%.1f %%")
COHORT = st.column_config.DatetimeColumn(format="YYYY-MM-DD", timezone="UTC")
# The two views of the week-by-week table (each whole at 1024 px; the CSV has every column).
WEEKLY_COMPLETION = ["completion_pct", "previous_pct", "change_pts"]
WEEKLY_CERTIFICATES = ["certificates", "certificate_pct", "median_days_to_certificate"]
COHORT_FORMATS = {"day": "%Y-%m-%d", "week": "week of %Y-%m-%d", "month": "%B %Y"}


@st.cache_data(ttl=30, show_spinner=False, max_entries=200)
def _read(sql: str, _statement: Select[Any]) -> pd.DataFrame:
    """A statement's result, cached by its SQL text (the values written in)."""
    return frame(engine(), _statement)


def read(build: Callable[[], Select[Any]]) -> tuple[pd.DataFrame, str]:
    """The statement's result and its SQL (for "Show SQL")."""
    statement = build()
    sql = compiled_sql(statement)
    return _read(sql, statement), sql


def show_sql(*statements: str) -> None:
    with st.expander("Show SQL", icon=":material/code:"):
        for sql in statements:
            st.code(sql, language="sql")


def panel(
    data: pd.DataFrame,
    name: str,
    title: str,
    choices: TrendChoices,
    sqls: list[str],
    *,
    column_config: dict[str, Any] | None = None,
    shown: pd.DataFrame | None = None,
    views: dict[str, list[str]] | None = None,
    details: tuple[str, ...] = (),
) -> None:
    """A table with its CSV (every column of `data`, recording the page's choices) and its SQL.
    `shown` is what the table shows (fewer, narrower columns: whole at 1024 px); `views` splits
    it into tabs, each showing the named columns."""
    display, texts = blank_when_missing(data if shown is None else shown)
    config = {k: v for k, v in (column_config or {}).items() if k not in texts}
    for column in texts:
        setting = (column_config or {}).get(column, {})
        config[column] = st.column_config.TextColumn(
            setting.get("label"),
            width=setting.get("width"),
            help=setting.get("help"),
            alignment="right",
        )
    if views is None:
        table(display, column_config=config, key=f"t-{name}")
    else:
        for tab, (view, columns) in zip(st.tabs(list(views)), views.items(), strict=True):
            with tab:
                table(display[columns], column_config=config, key=f"t-{name}-{view}")
    csv_download(
        data,
        name,
        title=title,
        window=None,
        header={"choices": choices.describe(), **dict(zip(("detail",), details, strict=False))},
        details=[choices.period, f"{choices.weeks}w", f"{choices.within}d", *details],
    )
    show_sql(*sqls)


def median_days(label: str, within: int) -> Any:
    """The column of median whole days to the certificate."""
    return st.column_config.NumberColumn(
        label,
        format="%d d",
        help="Median whole days from start to certificate, of those certified within "
        f"{within} days",
    )


def _cell_format(column: str) -> str:
    if column.endswith("_pct") or column.startswith("day "):
        return "{:.1f} %"
    if column.endswith("_pts"):
        return "{:+.1f} pts"
    if column.startswith("median_days"):
        return "{:,.0f} d"
    if column.endswith("_after"):
        return "after {:.1f} d"
    return "{:,.0f}"


def blank_when_missing(data: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Numbers with gaps (a cohort too young, no week before) as text with blank gaps — a grid
    shows a missing number as "None" — and the names of the columns made text."""
    missing = [
        str(c)
        for c in data.columns
        if data[c].isna().any() and pd.api.types.is_numeric_dtype(data[c].dtype)
    ]
    texts = {
        column: ["" if pd.isna(v) else _cell_format(column).format(v) for v in data[column]]
        for column in missing
    }
    return data.assign(**texts), missing


# -- choices (all in the URL) ------------------------------------------------------------------


def _param(key: str, value: str) -> None:
    if value == DEFAULTS[key]:
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def pick_choices(tutorial_ids: list[str]) -> TrendChoices:
    """The page's controls, seeded from the URL on first use and written back on every run."""
    seeded = TrendChoices.from_params({key: st.query_params.get(key) or "" for key in DEFAULTS})
    state = st.session_state
    for key, value in (
        ("trend_period", seeded.period),
        ("trend_weeks", seeded.weeks),
        ("trend_within", seeded.within),
        ("trend_tutorials", [t for t in seeded.tutorials if t in tutorial_ids]),
        ("trend_curves", seeded.curves),
    ):
        state.setdefault(key, value)
    columns = st.columns(3)  # three choices a row, the tutorials below: whole at 1024 px
    period = columns[0].selectbox("Cohort size", PERIODS, key="trend_period")
    weeks = columns[1].selectbox(
        "Started in the last", WEEKS, key="trend_weeks", format_func=lambda w: f"{w} weeks"
    )
    within = columns[2].selectbox(
        "Completion within (N)",
        MILESTONES,
        key="trend_within",
        format_func=lambda n: f"{n} days",
        help="A learner counts as completed when every chapter was complete within N whole "
        "days (N × 24 h) of their first progress.",
    )
    chosen = st.multiselect(
        "Tutorials", tutorial_ids, key="trend_tutorials", placeholder="All tutorials"
    )
    choices = TrendChoices(
        period=period,
        weeks=weeks,
        within=within,
        tutorials=tuple(sorted(chosen)),
        curves=state.get("trend_curves", "cohort"),
        split=seeded.split,
        length=seeded.length,
        changed=seeded.changed,
    )
    return choices


def write_url(choices: TrendChoices) -> None:
    params = choices.to_params()
    for key in DEFAULTS:
        _param(key, params.get(key, DEFAULTS[key]))


# -- sections ----------------------------------------------------------------------------------


def start_cohorts(choices: TrendChoices, span: Span, now: datetime) -> pd.DataFrame:
    st.header("Start cohorts")
    st.caption(
        f"Learners grouped by the {choices.period} (UTC) they started a tutorial: the share who "
        "completed every chapter, and who had the certificate, by each day after starting. "
        "Blank: the cohort is too young for that column (not every member has had that many "
        "days yet)."
    )
    raw, sql = read(lambda: trends.cohorts_statement(span, choices.period))
    cohorts = trends.mature(raw, choices.period, span, now)
    if cohorts.empty:
        empty_state("Nobody started a tutorial in this range: pick more weeks or other tutorials.")
        show_sql(sql)
        return cohorts
    total = cohorts[cohorts["tutorial_id"] == ALL]
    fmt = COHORT_FORMATS[choices.period]
    tabs = st.tabs(["Completed every chapter", "Certificate"])
    for tab, kind, name in zip(
        tabs, ("complete", "certificate"), ("completed", "certified"), strict=True
    ):
        with tab:
            shares = trends.shares(total, kind, MILESTONES)
            heatmap_chart(shares, name, fmt)
            panel(
                shares.drop(columns=["tutorial_id"]),
                f"cohorts_{kind}",
                f"Start cohorts: % {name} by day N",
                choices,
                [sql],
                column_config={"cohort": COHORT, "starters": COUNT}
                | {f"day {n}": PERCENT for n in MILESTONES},
            )
    curves = st.radio(
        "Curves",
        CURVES,
        key="trend_curves",
        horizontal=True,
        format_func=lambda c: f"one line per {c}",
    )
    st.altair_chart(
        trend_charts.curves(
            curve_lines(cohorts, curves, fmt),
            title="% completed every chapter by day N",
        ),
        width="stretch",
    )
    return cohorts


CELL_KEYS = ("trend_cell", "trend_cell_tutorial", "trend_cell_who", "trend_cell_days")


def pick_cell(key: str, who: str) -> None:
    """A click on a heat-map cell: the learner list below shows that cohort, all tutorials, `who`
    (the heat map's measure) and the cell's day — the same selectboxes a keyboard user sets."""
    cell = trend_charts.picked_cell(st.session_state.get(key))
    if cell is not None:
        start, day = cell
        for name, value in zip(CELL_KEYS, (start, ALL, who, day), strict=True):
            st.session_state[name] = value


def heatmap_chart(shares: pd.DataFrame, who: str, fmt: str) -> None:
    """The heat map of `who` ("completed", "certified"); a click on a cell lists its learners.
    Its key names the cell the selectboxes show, so after they change, a click on the cell picked
    before is a new selection again; that cell is outlined."""
    state = st.session_state
    chosen = [state.get(name) for name in CELL_KEYS]
    start, tutorial_id, shown_who, day = chosen
    shown = (
        (pd.Timestamp(start), int(day))
        if tutorial_id == ALL and shown_who == who and start is not None and day is not None
        else None
    )
    key = f"heat-{who}-" + "-".join(str(value) for value in chosen)
    st.altair_chart(
        trend_charts.heatmap(
            shares,
            title=f"% of each cohort {who} by day N (cohort size in brackets) · "
            "click a cell for its learners",
            cohort_format=fmt,
            chosen=shown,
        ),
        width="stretch",
        key=key,
        on_select=partial(pick_cell, key, who),
        selection_mode=trend_charts.CELL,
    )


def curve_lines(cohorts: pd.DataFrame, curves: str, fmt: str) -> pd.DataFrame:
    """Long data for the curves: per cohort (all tutorials), or per tutorial over every cohort old
    enough for the day (matured cohorts' completers ÷ their starters)."""
    rows = []
    if curves == "cohort":
        for _, row in cohorts[cohorts["tutorial_id"] == ALL].iterrows():
            for n in MILESTONES:
                value = row[f"complete_{n}d"]
                share = None if pd.isna(value) else 100 * float(value) / float(row["starters"])
                rows.append(
                    {"name": f"{pd.Timestamp(row['cohort']):{fmt}}", "day": n, "share": share}
                )
    else:
        for tutorial_id, group in cohorts[cohorts["tutorial_id"] != ALL].groupby("tutorial_id"):
            for n in MILESTONES:
                old = group[group[f"complete_{n}d"].notna()]
                starters = float(old["starters"].sum())
                share = 100 * float(old[f"complete_{n}d"].sum()) / starters if starters else None
                rows.append({"name": tutorial_id, "day": n, "share": share})
    return pd.DataFrame(rows, columns=["name", "day", "share"])


def over_time(choices: TrendChoices, span: Span, now: datetime) -> None:
    n = choices.within
    st.header(f"Completion within {n} days, week by week")
    st.caption(
        f"For each week's starters: the share who completed every chapter within {n} days, beside "
        "the week before (change in percentage points); under *Certificates*, certificates within "
        "the same days and the median whole days to the certificate. Blank while the week is "
        f"younger than {n} days. The CSV has every column, counts included."
    )
    raw, cohort_sql = read(lambda: trends.cohorts_statement(span, "week", (n,)))
    medians, median_sql = read(lambda: trends.median_days_statement(span, "week", n, now))
    weekly = trends.completion_over_time(trends.mature(raw, "week", span, now), medians, n)
    if weekly.empty:
        empty_state("Nobody started a tutorial in this range: pick more weeks or other tutorials.")
        show_sql(cohort_sql, median_sql)
        return
    st.altair_chart(
        trend_charts.rates(
            weekly,
            "completion_pct",
            title=f"% of each week's starters who completed within {n} days (thick: all)",
            highlight=ALL,
            span=(span.start, span.end),
            marks=data.load("annotations", Window(span.start, span.end)),
        ),
        width="stretch",
    )
    panel(
        weekly,
        "completion_by_week",
        f"Completion within {n} days by start week",
        choices,
        [cohort_sql, median_sql],
        views={
            "Completion": ["cohort", "tutorial_id", "starters", *WEEKLY_COMPLETION],
            "Certificates": ["cohort", "tutorial_id", "starters", *WEEKLY_CERTIFICATES],
        },
        column_config={
            "cohort": st.column_config.DatetimeColumn(
                "week of", format="YYYY-MM-DD", timezone="UTC"
            ),
            "starters": COUNT,
            "completed": COUNT,
            "completion_pct": st.column_config.NumberColumn(
                "completed",
                format="%.1f %%",
                help=f"Completed every chapter within {n} days of starting",
            ),
            "previous_pct": st.column_config.NumberColumn(
                "week before", format="%.1f %%", help="The same tutorial's previous start week"
            ),
            "change_pts": st.column_config.NumberColumn(
                "change", format="%+.1f pts", help="Percentage points since the week before"
            ),
            "certificates": COUNT,
            "certificate_pct": st.column_config.NumberColumn(
                "certified",
                format="%.1f %%",
                help=f"Had the certificate within {n} days of starting",
            ),
            "median_days_to_certificate": median_days("median days", n),
        },
    )


def learning_link(tutorial_id: str, span: Span) -> str:
    """The tutorial's funnel on Learning activity, for the same start days."""
    last = (span.end - timedelta(days=1)).date()
    return "learning?" + urlencode(
        {
            "window": "custom",
            "start": span.start.date().isoformat(),
            "end": last.isoformat(),
            "tutorial": tutorial_id,
        }
    )


def side_by_side(choices: TrendChoices, span: Span, now: datetime) -> None:
    n = choices.within
    st.header("Tutorials side by side")
    st.caption(
        f"Learners who started in the range. Completion and certificate rates within {n} days "
        f"count only those who have had {n} days (the CSV says how many: *counted*). Largest "
        "drop: the chapter that the largest share of the learners who got to it did not "
        "complete. Median: whole days from start to certificate. Quiz pass rate: learners whose "
        "every quiz is passed ÷ learners with a quiz score. Click a column to sort; a tutorial's "
        "name opens its funnel on Learning activity."
    )
    summary, summary_sql = read(lambda: trends.summary_statement(span, n, now))
    medians, median_sql = read(lambda: trends.median_days_statement(span, None, n, now))
    reach, reach_sql = read(lambda: trends.chapter_reach_statement(span))
    if summary.empty or summary["starters"].isna().all():
        empty_state("Nobody started a tutorial in this range.")
        show_sql(summary_sql, median_sql, reach_sql)
        return
    result = trends.side_by_side(summary, medians, trends.largest_drops(reach))
    shown = pd.DataFrame(
        {
            "tutorial_id": [learning_link(t, span) for t in result["tutorial_id"]],
            "starters": result["starters"],
            "completion_pct": result["completion_pct"],
            "certificate_pct": result["certificate_pct"],
            "median_days_to_certificate": result["median_days_to_certificate"],
            "largest_drop": [
                "" if pd.isna(chapter) else f"ch {chapter:.0f}: {lost:.0f} %"
                for chapter, lost in zip(
                    result["largest_drop_chapter"], result["largest_drop_pct"], strict=True
                )
            ],
            "quiz_pass_pct": result["quiz_pass_pct"],
        }
    )
    panel(
        result,
        "tutorials",
        "Tutorials side by side",
        choices,
        [summary_sql, median_sql, reach_sql],
        shown=shown,
        column_config={
            "tutorial_id": st.column_config.LinkColumn(
                "tutorial",
                display_text=r"tutorial=([^&]*)",
                help="Opens the tutorial's funnel on Learning activity",
            ),
            "starters": COUNT,
            "completion_pct": st.column_config.NumberColumn(
                "completed",
                format="%.1f %%",
                help=f"Completed every chapter within {n} days, of those counted",
            ),
            "certificate_pct": st.column_config.NumberColumn(
                "certified",
                format="%.1f %%",
                help=f"Had the certificate within {n} days, of those counted",
            ),
            "median_days_to_certificate": median_days("median", n),
            "largest_drop": st.column_config.TextColumn(
                "largest drop",
                help="The chapter that lost the largest share of the learners who got to it, "
                "and that share",
            ),
            "quiz_pass_pct": st.column_config.NumberColumn(
                "quiz pass",
                format="%.0f %%",
                help="Learners whose every quiz is passed ÷ learners with a quiz score",
            ),
        },
    )


def what_changed(choices: TrendChoices, tutorial_ids: list[str], now: datetime) -> None:
    n = choices.within
    st.header("What changed")
    st.caption(
        f"Completion within {n} days of the learners who started in the days before a change "
        "against those who started from its day on. The 95 % interval of the difference is "
        "Newcombe's hybrid score interval (from each side's Wilson interval): if it includes 0, "
        "the difference may well be noise."
    )
    state = st.session_state
    state.setdefault("trend_split", choices.split_day(now))
    state.setdefault("trend_length", choices.length)
    options = [ALL, *tutorial_ids]
    state.setdefault("trend_changed", choices.changed if choices.changed in options else ALL)
    left, middle, right = st.columns(3)
    split = left.date_input("Change went out on (UTC)", key="trend_split")
    length = middle.number_input(
        "Days compared on each side", min_value=7, max_value=91, step=7, key="trend_length"
    )
    tutorial_id = right.selectbox("Tutorial", options, key="trend_changed")
    choices = replace(choices, split=split, length=int(length), changed=tutorial_id)
    write_url(choices)
    before_span, after_span = choices.before_after(now)
    before, before_sql = read(lambda: trends.summary_statement(before_span, n, now))
    after, after_sql = read(lambda: trends.summary_statement(after_span, n, now))
    result = trends.compare(before, after, tutorial_id)
    if result is None:
        empty_state(
            f"Not enough learners who have had {n} days on both sides: pick an earlier day, "
            "fewer days or a shorter N."
        )
        show_sql(before_sql, after_sql)
        return
    p1 = 100 * result.before_completed / result.before_learners
    p2 = 100 * result.after_completed / result.after_learners
    columns = st.columns(3)
    columns[0].metric(
        f"Before ({before_span.start:%d %b} – {before_span.end - timedelta(days=1):%d %b})",
        f"{p1:.1f} %",
        help=f"{result.before_completed:,} of {result.before_learners:,} learners",
    )
    columns[1].metric(
        f"After ({after_span.start:%d %b} – {after_span.end - timedelta(days=1):%d %b})",
        f"{p2:.1f} %",
        help=f"{result.after_completed:,} of {result.after_learners:,} learners",
    )
    columns[2].metric(  # the interval below the change: as the value it is cut at 1024 px
        "Change (95 % interval)",
        f"{100 * result.difference:+.1f} pts",
        delta=f"{100 * result.low:+.1f} to {100 * result.high:+.1f} pts",
        delta_color="off",
        delta_arrow="off",
        help="After − before, in percentage points; below it, its 95 % interval",
    )
    verdict = (
        "The change is **unlikely to be noise**: the interval does not include 0."
        if result.significant
        else "The interval includes 0: this **could be noise** — wait for more learners."
    )
    st.markdown(
        f"{verdict} ({result.before_learners:,} learners before, {result.after_learners:,} "
        f"after, counted when they have had {n} days.)"
    )
    comparison = pd.DataFrame(
        {
            "side": ["before", "after"],
            "first_start_day": [before_span.start.date(), after_span.start.date()],
            "last_start_day": [
                (before_span.end - timedelta(days=1)).date(),
                (after_span.end - timedelta(days=1)).date(),
            ],
            "learners": [result.before_learners, result.after_learners],
            "completed": [result.before_completed, result.after_completed],
            "completion_pct": [round(p1, 1), round(p2, 1)],
            "difference_pts": [None, round(100 * result.difference, 1)],
            "ci95_low_pts": [None, round(100 * result.low, 1)],
            "ci95_high_pts": [None, round(100 * result.high, 1)],
        }
    )
    panel(
        comparison,
        "what_changed",
        f"Completion within {n} days before and after {split}",
        choices,
        [before_sql, after_sql],
        shown=pd.DataFrame(
            {
                "side": comparison["side"],
                "started": [
                    f"{first:%d %b} – {last:%d %b}"
                    for first, last in zip(
                        comparison["first_start_day"], comparison["last_start_day"], strict=True
                    )
                ],
                "learners": comparison["learners"],
                "completed": comparison["completed"],
                "completion_pct": comparison["completion_pct"],
            }
        ),
        column_config={
            "learners": COUNT,
            "completed": COUNT,
            "completion_pct": st.column_config.NumberColumn("completion", format="%.1f %%"),
        },
        details=(tutorial_id,),
    )


def learners_behind(choices: TrendChoices, cohorts: pd.DataFrame, tutorial_ids: list[str]) -> None:
    st.header("Learners behind a figure")
    st.caption(
        "Any cell above: its cohort, tutorial, who (started, completed or certified — or not "
        "completed — within N days) and N, the day of its column."
    )
    starts = sorted(set(pd.to_datetime(cohorts["cohort"], utc=True)), reverse=True)
    fmt = COHORT_FORMATS[choices.period]
    st.session_state.setdefault("trend_cell_days", choices.within)
    columns = [*st.columns(2), *st.columns(2)]  # two a row: a cohort's label stays whole
    start = columns[0].selectbox(
        "Cohort", starts, format_func=lambda c: f"{c:{fmt}}", key="trend_cell"
    )
    tutorial_id = columns[1].selectbox(
        "Tutorial", [ALL, *(choices.tutorials or tutorial_ids)], key="trend_cell_tutorial"
    )
    who = columns[2].selectbox("Who", WHO, key="trend_cell_who")
    n = columns[3].selectbox(
        "Within (days)", MILESTONES, key="trend_cell_days", disabled=who == "started"
    )
    end = trends.period_end(pd.Timestamp(start), choices.period).to_pydatetime()
    tutorials = choices.tutorials if tutorial_id == ALL else (tutorial_id,)
    people, sql = read(lambda: trends.learners_statement(start, end, tutorials, who, n))
    if people.empty:
        empty_state("Nobody in this cell.")
        show_sql(sql)
        return
    panel(
        people,
        "learners",
        f"Learners who {who} ({start:{fmt}}, {tutorial_id})",
        choices,
        [sql],
        shown=learner_rows(people),
        column_config={
            "user_id": st.column_config.LinkColumn(
                "learner",
                display_text=r"user=([^&]*)",
                help="Opens the learner's progress in the console",
            ),
            "started_at": st.column_config.DatetimeColumn(
                "started", format="D MMM HH:mm", timezone="UTC"
            ),
            "completed_after": st.column_config.NumberColumn(
                "completed",
                format="after %.1f d",
                help="Days from start to completing every chapter (the CSV has the moments)",
            ),
            "certified_after": st.column_config.NumberColumn(
                "certified",
                format="after %.1f d",
                help="Days from start to the certificate (the CSV has the moments)",
            ),
            "completion_percentage": st.column_config.NumberColumn("progress", format="%.0f %%"),
        },
        details=(f"{start:%Y-%m-%d}", tutorial_id, who.replace(" ", "-")),
    )
    if len(people) >= 500:
        st.caption("The first 500, earliest start first.")


def learner_rows(people: pd.DataFrame) -> pd.DataFrame:
    """The learner list as shown: the learner (a link to the console), the tutorial, the start,
    and the days to completing and to the certificate — floored to a tenth, so a learner shown
    "after 0.9 d" did it within 1 day, as the figures count."""

    def days_after_start(moment: pd.Series) -> pd.Series:
        # A list where nobody completed has a column of only NULLs, read as objects, not times.
        days = (pd.to_datetime(moment, utc=True) - people["started_at"]).dt.total_seconds() / 86_400
        return (days * 10).map(np.floor) / 10

    return pd.DataFrame(
        {
            "user_id": with_console_links(people)["console"],
            "tutorial_id": people["tutorial_id"],
            "started_at": people["started_at"],
            "completed_after": days_after_start(people["completed_at"]),
            "certified_after": days_after_start(people["certified_at"]),
            "completion_percentage": people["completion_percentage"],
        }
    )


def render() -> None:
    now = datetime.now(UTC)
    st.title("Completion trends")
    tutorial_ids, _ = read(trends.tutorials_statement)
    ids = [str(t) for t in tutorial_ids["tutorial_id"]]
    choices = pick_choices(ids)
    write_url(choices)
    st.caption(choices.describe() + " · started = first progress, UTC days")
    span = choices.span(now)
    cohorts = start_cohorts(choices, span, now)
    if cohorts.empty:
        return
    over_time(choices, span, now)
    side_by_side(choices, span, now)
    what_changed(choices, ids, now)
    learners_behind(choices, cohorts, ids)


with database_guard():
    render()
