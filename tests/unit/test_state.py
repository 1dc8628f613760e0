"""The sidebar's filters: what a link means, and what an export records."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd

from dashboard.state import CUSTOM, Filters, custom_days, export_csv, export_name

NOW = datetime(2026, 11, 24, 12, 4, 31, tzinfo=UTC)
TODAY = NOW.date()


def test_a_preset_window_ends_at_the_end_of_the_current_minute() -> None:
    window = Filters("24h").window(NOW)
    assert (window.start, window.end) == (
        datetime(2026, 11, 23, 12, 5, tzinfo=UTC),
        datetime(2026, 11, 24, 12, 5, tzinfo=UTC),
    )


def test_an_unknown_window_falls_back_to_the_last_24_hours() -> None:
    assert Filters("forever").window(NOW) == Filters("24h").window(NOW)


def test_a_custom_range_is_whole_utc_days_with_both_ends_included() -> None:
    window = Filters(CUSTOM, date(2026, 11, 1), date(2026, 11, 7)).window(NOW)
    assert (window.start, window.end) == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 11, 8, tzinfo=UTC),
    )


def test_custom_days_from_a_link_are_tolerant_of_what_people_paste() -> None:
    assert custom_days("2026-11-01", "2026-11-07", today=TODAY) == (
        date(2026, 11, 1),
        date(2026, 11, 7),
    )
    assert custom_days("2026-11-07", "2026-11-01", today=TODAY) == (
        date(2026, 11, 1),
        date(2026, 11, 7),
    )
    assert custom_days("yesterday", None, today=TODAY) == (date(2026, 11, 18), TODAY)
    assert custom_days("2026-11-20", "2027-01-01", today=TODAY) == (date(2026, 11, 20), TODAY)
    assert custom_days("2027-01-01", "2027-01-02", today=TODAY) == (TODAY, TODAY)


def test_the_description_names_the_window_and_the_tutorial() -> None:
    filters = Filters("7d", tutorial_id="sql-basics", by_tutorial=True)
    assert filters.describe(filters.window(NOW)) == (
        "last 7 days: 2026-11-17 12:05 – 2026-11-24 12:05 UTC · tutorial sql-basics"
    )
    custom = Filters(CUSTOM, date(2026, 11, 1), date(2026, 11, 7), by_tutorial=True)
    assert custom.describe(custom.window(NOW)) == (
        "2026-11-01 – 2026-11-07 (UTC days) · all tutorials"
    )


def test_pages_without_the_tutorial_filter_do_not_mention_tutorials() -> None:
    filters = Filters("1h")
    assert filters.describe(filters.window(NOW)) == (
        "last hour: 2026-11-24 11:05 – 2026-11-24 12:05 UTC"
    )


def test_an_export_records_its_window_and_filters_in_its_name_and_first_lines() -> None:
    filters = Filters("7d", tutorial_id="sql-basics", by_tutorial=True)
    window = filters.window(NOW)
    assert export_name("funnel", window, ["sql-basics", "ch 05/x"]) == (
        "funnel_20261117T1205Z-20261124T1205Z_sql-basics_ch-05-x.csv"
    )
    text = export_csv(
        pd.DataFrame({"chapter_id": ["ch-01"], "completed": [3]}),
        {"table": "Funnel", "window": filters.describe(window)},
        exported_at=NOW,
    )
    assert text.splitlines() == [
        "# table: Funnel",
        "# window: last 7 days: 2026-11-17 12:05 – 2026-11-24 12:05 UTC · tutorial sql-basics",
        "# exported: 2026-11-24 12:04:31 UTC",
        "chapter_id,completed",
        "ch-01,3",
    ]
